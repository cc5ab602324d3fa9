"""An in-process Dask client (one thread): batch tests reuse the session's compiled kernels."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def inline_client():
    """A ``distributed.Client`` on an in-process cluster with one single-threaded worker."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client
