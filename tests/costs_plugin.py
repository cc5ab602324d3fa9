"""pytest plugin that finds the fast suite's hidden costs: PyMC-route fits and numba compiles.

Not loaded by default. Run, e.g.::

    PYTHONPATH=$PWD COALSURV_COSTS=/tmp/costs python -m pytest -q -n 2 -p tests.costs_plugin tests

Each test worker appends JSON lines to ``$COALSURV_COSTS/costs-<pid>.jsonl``: one per fit on
the PyMC route (``what: "pymc"``, the seconds of ``backend.sampling._sample_pymc``, whether
the graph was compiled anew) and one per numba compile over half a second (``what: "numba"``,
outermost compiles only; a cache load is no compile). A fit on the graph costs a numba compile
of the graph (~10 s quiet); a compile of the native kernel in a test means numba's cache
missed something ``scripts/warm_kernel.py`` should have compiled.
"""

from __future__ import annotations

import json
import os
import time

import pytest

_STATE = {"test": "<collection>", "depth": 0, "start": 0.0, "name": ""}


def _write(record: dict) -> None:
    folder = os.environ.get("COALSURV_COSTS", ".")
    with open(os.path.join(folder, f"costs-{os.getpid()}.jsonl"), "a") as handle:
        handle.write(json.dumps(record) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Remember which test runs (fixtures included)."""
    _STATE["test"] = item.nodeid
    yield


def pytest_configure(config):
    """Install the numba compile listener and wrap the PyMC route (in each test process)."""
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        return  # the xdist controller runs no tests
    from numba.core import event

    from coalsurv.backend import sampling

    class Compiles(event.Listener):
        def on_start(self, ev):
            if _STATE["depth"] == 0:
                _STATE["start"] = time.perf_counter()
                func = getattr((ev.data or {}).get("dispatcher"), "py_func", None)
                _STATE["name"] = getattr(func, "__qualname__", "?")
            _STATE["depth"] += 1

        def on_end(self, ev):
            _STATE["depth"] -= 1
            seconds = time.perf_counter() - _STATE["start"]
            if _STATE["depth"] == 0 and seconds > 0.5:
                _write({"test": _STATE["test"], "what": "numba", "name": _STATE["name"],
                        "s": round(seconds, 2)})

    event.register("numba:compile", Compiles())
    original = sampling._sample_pymc

    def timed(model, settings, progressbar, cache_key):
        start = time.perf_counter()
        idata = original(model, settings, progressbar, cache_key)
        _write({"test": _STATE["test"], "what": "pymc", "kernel": settings.kernel,
                "compiled": idata["sample_stats"].attrs.get("coalsurv_compiled"),
                "s": round(time.perf_counter() - start, 2)})
        return idata

    sampling._sample_pymc = timed
