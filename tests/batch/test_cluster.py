"""Per-worker cache slots: never shared by two live workers, reused after release."""

from __future__ import annotations

import pytest

from coalsurv.batch.cluster import SlotClaims, slot_environment


def test_live_claims_get_distinct_slots_and_release_frees_them(tmp_path):
    first, second = SlotClaims(tmp_path), SlotClaims(tmp_path)
    a, b = first.claim(), second.claim()
    c = first.claim()
    assert len({a, b, c}) == 3
    first.release()
    assert second.claim() == a  # the lowest free slot is reused (its caches stay warm)
    second.release()


def test_slot_environment_sets_separate_compile_and_numba_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTENSOR_FLAGS", "floatX=float64,base_compiledir=/elsewhere")
    env = slot_environment(tmp_path / "slot-00")
    assert env["PYTENSOR_FLAGS"] == f"floatX=float64,base_compiledir={tmp_path}/slot-00/pytensor"
    assert env["NUMBA_CACHE_DIR"] == f"{tmp_path}/slot-00/numba"


def test_unguarded_script_gets_a_coalsurv_error_naming_the_guard(tmp_path):
    """A script starting a batch at import time: one clear error, not Dask's traceback."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("import coalsurv\n"
                      "from coalsurv.batch.cluster import batch_client\n"
                      "try:\n"
                      "    with batch_client(n_workers=1):\n"
                      "        pass\n"
                      "except coalsurv.BatchError as exc:\n"
                      "    print('BATCH-ERROR', exc)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=240, cwd=tmp_path)
    assert "BATCH-ERROR" in done.stdout, done.stderr[-2000:]
    assert "if __name__ == \"__main__\":" in done.stdout and "unguarded.py" in done.stdout


def test_a_cluster_object_is_taken_as_client_and_left_running():
    """dask-jobqueue / dask-kubernetes clusters are Cluster objects: a client is opened on it."""
    from distributed import Client, LocalCluster

    from coalsurv.batch.cluster import batch_client

    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        with batch_client(cluster) as client:
            assert isinstance(client, Client)
            assert client.scheduler.address == cluster.scheduler_address
        assert client.status == "closed"
        assert cluster.status.name == "running"


def test_client_of_another_type_is_refused_by_name():
    from coalsurv.batch.cluster import batch_client
    from coalsurv.errors import ArgumentError

    with pytest.raises(ArgumentError, match="a Dask cluster object, got int"):
        with batch_client(5):
            pass
