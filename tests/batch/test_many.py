"""fit_many: one fit file per name, resume after a failure or a kill, errors recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.errors import ArgumentError

SETTINGS = {"draws": 100, "tune": 100, "chains": 2}
FORMULA = "breadth"


class Flaky:
    """Data source that logs each call and raises while ``fail_flag`` exists."""

    def __init__(self, data, log: Path, fail_flag: Path):
        self.data, self.log, self.fail_flag = data, log, fail_flag

    def __call__(self):
        with open(self.log, "a") as fh:
            fh.write("call\n")
        if self.fail_flag.exists():
            raise RuntimeError("worker lost (simulated)")
        return self.data


def test_fit_many_streams_files_and_a_rerun_resumes_without_refitting(tmp_path, inline_client,
                                                                      synthetic_small):
    model = coalsurv.SurvivalModel(FORMULA, family="weibull")
    log, flag = tmp_path / "calls.log", tmp_path / "fail"
    flag.touch()
    sources = {"a": synthetic_small, "b": Flaky(synthetic_small, log, flag)}
    out = tmp_path / "fits"
    first = coalsurv.fit_many(model, sources, out=out, client=inline_client, retries=1,
                              progress=False, **SETTINGS)
    assert list(first["name"]) == ["a", "b"]
    assert list(first["status"]) == ["ok", "failed"]
    assert "worker lost (simulated)" in first.loc[1, "error"]
    assert log.read_text().count("call") == 2  # tried, retried once, then recorded
    assert (out / "errors" / "b.json").exists() and not (out / "b.nc").exists()
    assert first["attempts"].tolist() == [1, 2]  # the real number of tries
    assert first.loc[0, "sampling_time"] > 0 and first.loc[0, "max_rhat"] > 0.9
    assert pd.read_csv(out / "fits.csv")["status"].tolist() == ["ok", "failed"]
    stamp = (out / "a.nc").stat().st_mtime_ns

    flag.unlink()
    second = coalsurv.fit_many(model, sources, out=out, client=inline_client, progress=False,
                               **SETTINGS)
    assert list(second["status"]) == ["ok", "ok"]
    assert (out / "a.nc").stat().st_mtime_ns == stamp  # finished fit not refitted
    assert not (out / "errors" / "b.json").exists()
    fit_b = coalsurv.load_fit(out / "b.nc")
    assert fit_b.data.n == synthetic_small.n
    # the row's R-hat (NumPy rank R-hat over every element) is arviz_stats' own
    import arviz_stats as azs

    rhat = azs.rhat(fit_b.idata, group="posterior")
    expected = max(float(np.nanmax(np.asarray(v))) for v in rhat.data_vars.values())
    assert second.loc[1, "max_rhat"] == pytest.approx(expected, rel=1e-12)
    # and its bulk ESS (NumPy, every element at once) is arviz_stats' bulk ESS
    ess = azs.ess(fit_b.idata, group="posterior", method="bulk")
    expected = min(float(np.nanmin(np.asarray(v))) for v in ess.data_vars.values())
    assert second.loc[1, "min_ess"] == pytest.approx(expected, rel=1e-10)
    from coalsurv.batch import read_batch

    assert read_batch(out)["status"].tolist() == ["ok", "ok"]
    # a rerun asking for other fit options does not reuse the finished fits: refused by name
    other = {**SETTINGS, "draws": SETTINGS["draws"] + 1}
    with pytest.raises(coalsurv.ArgumentError, match=r"2 finished fit\(s\) 'a', 'b'.*other fit"):
        coalsurv.fit_many(model, sources, out=out, client=inline_client, progress=False,
                          **other)
    assert (out / "a.nc").stat().st_mtime_ns == stamp


def test_coalsurv_errors_are_recorded_at_once_with_the_name(tmp_path, inline_client):
    model = coalsurv.SurvivalModel(FORMULA, family="weibull")
    frame = coalsurv.fit_many(model, {"bad": lambda: "not data"}, out=tmp_path,
                              client=inline_client, progress=False, **SETTINGS)
    assert frame.loc[0, "status"] == "failed"
    assert "datasets['bad']" in frame.loc[0, "error"]


@pytest.mark.parametrize("kwargs, match", [
    ({"datasets": {"a/b": None}}, "file name"),
    ({"datasets": {}}, "empty"),
    ({"datasets": lambda seed: None}, "seeds"),
    ({"datasets": [1, 2]}, "mapping"),
    ({"datasets": {"a": None}, "sample_size": 3}, "unknown fit option"),
    ({"datasets": {"a": None}, "retries": -1}, "retries"),
    ({"datasets": {"a": None}, "client": 3}, "client"),
])
def test_bad_batch_arguments_raise_one_argument_error(tmp_path, kwargs, match):
    model = coalsurv.SurvivalModel(FORMULA, family="weibull")
    with pytest.raises(ArgumentError, match=match):
        coalsurv.fit_many(model, out=tmp_path, progress=False, **kwargs)


_KILLED_RUN = textwrap.dedent("""
    import sys
    import numpy as np
    import coalsurv

    def data(seed):
        return coalsurv.datasets.load_synthetic().subset(np.arange(600) < 80 + seed)

    if __name__ == "__main__":
        model = coalsurv.SurvivalModel("breadth", family="weibull")
        coalsurv.fit_many(model, data, seeds=range(int(sys.argv[2])), out=sys.argv[1],
                          draws=100, tune=100, chains=2, progress=False)
""")


@pytest.mark.slow
def test_a_killed_local_cluster_run_resumes_without_refitting(tmp_path):
    """SIGKILL of the whole run after the first fit file; the rerun fits only the rest.

    Uses the default embedded cluster (2 processes; each compiles the model). On the shared
    2-core machine at load ~16 the first run needed ~6 minutes to its first fit file and the
    rerun more than 10 minutes (the earlier 600 s limit was hit), hence the generous limits.
    """
    script = tmp_path / "run.py"
    script.write_text(_KILLED_RUN)
    out = tmp_path / "fits"
    env = {**os.environ, "PYTHONPATH": str(Path(coalsurv.__file__).parents[1])}
    proc = subprocess.Popen([sys.executable, str(script), str(out), "6"], env=env,
                            start_new_session=True)
    deadline = time.time() + 1200
    while time.time() < deadline and not list(out.glob("*.json")):
        time.sleep(0.5)
    os.killpg(proc.pid, 9)
    proc.wait()
    done = {p.stem: p.with_suffix(".nc").stat().st_mtime_ns for p in out.glob("seed-*.json")}
    assert done, "no fit finished before the kill"
    subprocess.run([sys.executable, str(script), str(out), "6"], env=env, check=True,
                   timeout=1800)
    from coalsurv.batch import read_batch

    frame = read_batch(out)
    assert frame["status"].tolist() == ["ok"] * 6
    assert {n: (out / f"{n}.nc").stat().st_mtime_ns for n in done} == done


def test_batch_cli_refuses_bad_requests_in_one_line(capsys):
    from coalsurv.cli import main

    assert main(["batch", "--help"]) == 0
    assert "fit" in capsys.readouterr().out
    assert main(["batch", "validate", "--models", "nope", "-o", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coalsurv: error: --models: unknown ['nope']") and err.count("\n") == 1
    assert main(["batch", "sbc", "--model", "missing.toml", "-o", "x"]) == 2
    assert "missing.toml" in capsys.readouterr().err


def test_a_name_that_looks_like_an_error_record_is_a_name_of_its_own(tmp_path, inline_client,
                                                                     synthetic_small):
    """``a.error`` and ``a``: two names, two fits; neither is read as the other's error."""
    model = coalsurv.SurvivalModel(FORMULA, family="weibull")
    out = tmp_path / "fits"
    frame = coalsurv.fit_many(model, {"a": synthetic_small, "a.error": synthetic_small},
                              out=out, client=inline_client, progress=False, **SETTINGS)
    assert frame["status"].tolist() == ["ok", "ok"]
    from coalsurv.batch import read_batch

    again = read_batch(out)
    assert again["name"].tolist() == ["a", "a.error"] and again["status"].tolist() == ["ok"] * 2
    assert pd.read_csv(out / "fits.csv")["name"].tolist() == ["a", "a.error"]


class Logged:
    """Data source that notes each call in a log file."""

    def __init__(self, data, log: Path, name: str):
        self.data, self.log, self.name = data, log, name

    def __call__(self):
        with open(self.log, "a") as fh:
            fh.write(f"{self.name}\n")
        return self.data


def test_a_client_that_stops_cancels_its_tasks(tmp_path, inline_client, synthetic_small,
                                               monkeypatch):
    """Ctrl-C while the first result is written: the queued fits never start."""
    import importlib

    many = importlib.import_module("coalsurv.batch.many")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(many, "save_result", interrupted)
    log = tmp_path / "calls.log"
    names = [f"n{k}" for k in range(5)]
    model = coalsurv.SurvivalModel(FORMULA, family="weibull")
    with pytest.raises(KeyboardInterrupt):
        coalsurv.fit_many(model, {n: Logged(synthetic_small, log, n) for n in names},
                          out=tmp_path / "fits", client=inline_client, progress=False,
                          **SETTINGS)
    deadline = time.time() + 120
    while time.time() < deadline and any(inline_client.processing().values()):
        time.sleep(0.2)
    time.sleep(1.0)
    assert len(log.read_text().split()) <= 2  # the first, and one already running at most
    assert not [k for k in inline_client.futures if str(k).startswith("coalsurv_fit-")]
    assert not list((tmp_path / "fits").glob("*.nc"))


def test_temporary_files_are_unique_and_only_dead_writers_are_cleaned(tmp_path):
    """A rerun removes temporaries of dead writers on this host, never a live writer's."""
    from coalsurv.batch import store

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(done.stdout)
    host = store._HOST
    live = tmp_path / f".a.b.nc~{host}~{os.getpid()}~0123456789abcdef.tmp"
    stale = tmp_path / f".a.nc~{host}~{dead}~0123456789abcdef.tmp"
    remote = tmp_path / f".a.nc~elsewhere~{dead}~0123456789abcdef.tmp"
    for path in (live, stale, remote):
        path.write_bytes(b"partial")
    assert store.remove_stale_temporaries(tmp_path) == [stale]
    assert live.exists() and remote.exists() and not stale.exists()
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        real_replace(src, dst)

    import unittest.mock

    with unittest.mock.patch.object(store.os, "replace", spy):
        store.write_bytes(tmp_path / "x.json", b"{}")
        store.write_bytes(tmp_path / "x.json", b"{}")
    assert len(set(seen)) == 2 and all(f"~{os.getpid()}~" in s for s in seen)
    assert (tmp_path / "x.json").read_bytes() == b"{}"
