"""The Dask client of a batch: an embedded local cluster by default, or the user's scheduler.

PyTensor compilation is not thread-safe and numba's cache writes can race between processes
(PyMC issue 7819), so the embedded cluster runs one single-threaded **process** per worker and
gives each its own PyTensor compile directory and numba cache directory. A directory is a
*slot* under the user cache folder, claimed with an exclusive file lock for the cluster's
lifetime: two batches running at once on one machine never share a slot, and a later batch
reuses the compiled modules of an earlier one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from coalsurv.errors import ArgumentError, BatchError

__all__ = ["batch_client", "worker_cache_root", "slot_environment", "SlotClaims", "DEFAULT_WORKERS"]

#: Workers of the embedded cluster (one thread each).
DEFAULT_WORKERS = 2
_MAX_SLOTS = 64


def worker_cache_root() -> Path:
    """Folder holding the per-worker compile and numba cache slots."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("COALSURV_WORKER_CACHE") or
                Path(user_cache_dir("coalsurv")) / "workers")


class SlotClaims:
    """Exclusive locks on cache slots, held by this process while its cluster lives."""

    def __init__(self, root: Path):
        self.root = root
        self.handles: list[Any] = []

    def claim(self) -> Path:
        """Lock and return the lowest free slot folder."""
        self.root.mkdir(parents=True, exist_ok=True)
        for k in range(_MAX_SLOTS):
            slot = self.root / f"slot-{k:02d}"
            slot.mkdir(exist_ok=True)
            handle = open(slot / "lock", "a+")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self.handles.append(handle)
            return slot
        raise ArgumentError(f"all {_MAX_SLOTS} worker cache slots under {self.root} are in use")

    def release(self) -> None:
        """Drop every lock this object holds."""
        for handle in self.handles:
            handle.close()  # closing the file drops its lock
        self.handles.clear()


def slot_environment(slot: Path) -> dict[str, str]:
    """Environment giving a worker process its own PyTensor compiledir and numba cache."""
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    kept = [f for f in flags.split(",") if f and not f.startswith(("base_compiledir=",
                                                                  "compiledir="))]
    return {"PYTENSOR_FLAGS": ",".join([*kept, f"base_compiledir={slot / 'pytensor'}"]),
            "NUMBA_CACHE_DIR": str(slot / "numba")}


def _local_cluster(n_workers: int, claims: SlotClaims):
    from distributed import LocalCluster, Nanny

    class _IsolatedNanny(Nanny):
        """A worker process with its own compile and numba cache directories."""

        def __init__(self, *args, env=None, **kwargs):
            super().__init__(*args, env={**(env or {}), **slot_environment(claims.claim())},
                             **kwargs)

    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                        worker_class=_IsolatedNanny, dashboard_address=":0",
                        silence_logs=40)


@contextlib.contextmanager
def batch_client(client=None, *, n_workers: int = DEFAULT_WORKERS) -> Iterator[Any]:
    """Yield a ``distributed.Client`` for a batch and close what this call opened.

    Parameters
    ----------
    client : None, str, distributed.Client or a Dask cluster object
        ``None``: an embedded local cluster of ``n_workers`` single-threaded processes with
        separate compile and numba cache directories. A str: the address of a running
        scheduler (e.g. ``"tcp://10.0.0.5:8786"``); its workers must isolate their compile
        directories themselves (``coalsurv.batch.cluster.slot_environment``). A ``Client``:
        used as it is and left open. A cluster object (``distributed.deploy.Cluster``:
        ``dask_jobqueue.SLURMCluster``, ``dask_kubernetes``' ``KubeCluster``,
        ``LocalCluster``, ...): a client of it is opened and closed here; the cluster itself
        (and its scaling) stays the caller's.
    n_workers : int
        Workers of the embedded cluster.
    """
    from distributed import Client
    from distributed.deploy import Cluster

    if isinstance(client, Client):
        yield client
        return
    if isinstance(client, Cluster):
        with Client(client) as own:
            yield own
        return
    if client is not None and not isinstance(client, str):
        raise ArgumentError(f"client: expected None, a scheduler address (str), a "
                            f"distributed.Client or a Dask cluster object, got "
                            f"{type(client).__name__}")
    if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
        raise ArgumentError(f"n_workers: expected an integer >= 1, got {n_workers!r}")
    if isinstance(client, str):
        try:
            own = Client(client)
        except (OSError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {client!r}: "
                             f"{type(exc).__name__}: {exc}") from exc
        try:
            yield own
        finally:
            own.close(timeout=10)
        return
    claims = SlotClaims(worker_cache_root())
    try:
        cluster = _start_local_cluster(n_workers, claims)
        with cluster, Client(cluster) as own:
            yield own
    finally:
        claims.release()


def _start_local_cluster(n_workers: int, claims):
    """Start the embedded cluster; a worker that cannot start gets a coalsurv error.

    The usual cause is a script that starts a batch at import time: worker processes are
    spawned, re-import the script, and Python refuses (``multiprocessing`` needs the
    ``if __name__ == "__main__":`` guard).
    """
    import sys

    try:
        return _local_cluster(n_workers, claims)
    except RuntimeError as exc:
        main = getattr(sys.modules.get("__main__"), "__file__", None) or (
            sys.argv[0] if sys.argv and sys.argv[0].endswith(".py") else None)
        hint = (f"; if {main!r} starts the batch at module level, put that code under "
                "'if __name__ == \"__main__\":' (worker processes re-import the script)"
                if main else "")
        raise BatchError(f"the local Dask cluster could not start its {n_workers} worker "
                         f"process(es): {str(exc).rstrip('.')}{hint}") from exc
