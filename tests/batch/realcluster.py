"""A real Dask cluster for tests: ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

Each worker runs in its own temporary working directory with its own compile and numba cache
slot (claimed like the embedded cluster's), so nothing is shared with the client but the
network. Before a worker starts, the package's own numba cache (``coalsurv/*/__pycache__``,
filled by ``make setup``'s kernel warm-up and this run) is copied into its slot
(:func:`seed_numba_cache`): a fresh machine's empty slots otherwise recompile the whole kernel
in every worker (93 s of CPU each on a quiet machine; these tests start up to six workers).
Every process is started in its own session and killed (the whole group) by
:meth:`RealCluster.close`; on Linux each also gets SIGTERM when the test process dies without
closing it (a killed or interrupted run), so no scheduler or worker outlives its tests.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from coalsurv.batch.cluster import SlotClaims, slot_environment, worker_cache_root

DASK = str(Path(sys.executable).parent / "dask")
REPO = str(Path(__file__).resolve().parents[2])
_PR_SET_PDEATHSIG, _SIGTERM = 1, int(signal.SIGTERM)
_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None


def seed_numba_cache(cache_dir: Path) -> int:
    """Copy the package's in-tree numba cache into ``cache_dir`` (a worker's ``NUMBA_CACHE_DIR``).

    numba keys a cached function by its source file's contents (sha256), so the copies are
    valid wherever the source is unchanged; the folder name is numba's for a user-provided
    cache directory (``<folder>_<sha1 of the source folder>``,
    ``numba.core.caching._CacheLocator.get_suitable_cache_subpath``). Each index is copied
    after its data files (numba writes them in that order), and a data file an index names but
    the copy lacks is recompiled by numba. Returns the number of files copied.
    """
    copied = 0
    for pycache in sorted(Path(REPO, "coalsurv").rglob("__pycache__")):
        indexes = sorted(pycache.glob("*.nbi"))
        if not indexes:
            continue
        source = os.path.abspath(pycache.parent)
        digest = hashlib.sha1(source.encode()).hexdigest()
        target = cache_dir / f"{os.path.basename(source)}_{digest}"
        target.mkdir(parents=True, exist_ok=True)
        for path in [*sorted(pycache.glob("*.nbc")), *indexes]:
            shutil.copyfile(path, target / path.name)
            copied += 1
    return copied


def _die_with_parent() -> None:
    """In the child between fork and exec: SIGTERM when the test process dies (Linux prctl)."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, _SIGTERM)


class RealCluster:
    """One scheduler and its workers, as separate processes; :meth:`close` kills them all."""

    def __init__(self, root: Path, *, allowed_failures: int = 1):
        self.root, self.workers, self.procs = root, {}, []
        self.claims = SlotClaims(worker_cache_root())
        self.env = {**os.environ, "PYTHONPATH": REPO,
                    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures),
                    "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
        self.env.pop("MPLBACKEND", None)
        folder = root / "scheduler"
        folder.mkdir(parents=True)
        info = folder / "scheduler.json"
        self.scheduler = self._spawn(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)], folder, self.env)
        deadline = time.time() + 120
        while not info.exists() or not info.read_text().strip():
            if time.time() > deadline or self.scheduler.poll() is not None:
                self.close()
                raise RuntimeError(f"dask scheduler did not start: {self.log(folder)}")
            time.sleep(0.2)
        time.sleep(0.2)
        self.address = json.loads(info.read_text())["address"]
        assert self.address.startswith("tcp://127.0.0.1:"), self.address

    def _spawn(self, cmd, cwd: Path, env) -> subprocess.Popen:
        with open(cwd / "log.txt", "ab") as log:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=log,
                                    start_new_session=True,
                                    preexec_fn=_die_with_parent if _LIBC else None)
        self.procs.append(proc)
        return proc

    @staticmethod
    def log(folder: Path) -> str:
        path = folder / "log.txt"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def add_worker(self, name: str) -> Path:
        """Start worker ``name`` in its own empty working directory; return that directory."""
        cwd = self.root / name
        cwd.mkdir(parents=True)
        env = {**self.env, **slot_environment(self.claims.claim())}
        seed_numba_cache(Path(env["NUMBA_CACHE_DIR"]))
        self.workers[name] = self._spawn(
            [DASK, "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
             "--no-dashboard", "--name", name, "--local-directory", str(cwd / "scratch"),
             "--death-timeout", "60"], cwd, env)
        return cwd

    def wait_for_workers(self, n: int, timeout: float = 300) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill_worker_of(self, pid: int) -> str:
        """Kill (SIGKILL, whole group: nanny and worker) the worker whose process is ``pid``."""
        group = os.getpgid(pid)
        for name, proc in self.workers.items():
            if proc.pid == group:
                os.killpg(group, signal.SIGKILL)
                proc.wait(timeout=30)
                return name
        raise AssertionError(f"pid {pid} is no worker of this cluster")

    def kill_scheduler(self) -> None:
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait(timeout=30)

    def close(self) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.claims.release()


class Gate:
    """Data source whose first try announces itself (its pid) and then waits to be killed."""

    def __init__(self, data, marker: Path, wait: float = 240.0):
        self.data, self.marker, self.wait = data, marker, wait

    def __call__(self):
        if not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            time.sleep(self.wait)
            raise RuntimeError("the gate was not killed in time")
        return self.data


class Poison:
    """Data source that kills its worker process after a second (as a crashing fit would).

    The second lets the worker first report the task it finished before (its batched messages
    go every few milliseconds): the test is about this task's death, not a neighbour's.
    """

    def __call__(self):
        time.sleep(1.0)
        os._exit(3)


class RaiseThenDie:
    """Data source whose first try raises its own error and whose later tries kill the worker."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __call__(self):
        if not self.marker.exists():
            self.marker.write_text("raised")
            raise RuntimeError("first try raised")
        time.sleep(1.0)
        os._exit(3)


class Raising:
    """Data source that raises its own error every time."""

    def __call__(self):
        raise RuntimeError("bad luck in the data source")


def same_draws(a, b) -> bool:
    """Whether two fits have the same posterior, draw for draw."""
    pa, pb = a.idata["posterior"], b.idata["posterior"]
    return set(pa.data_vars) == set(pb.data_vars) and all(
        np.array_equal(np.asarray(pa[v]), np.asarray(pb[v])) for v in pa.data_vars)
