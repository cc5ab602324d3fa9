"""One fit of a batch, as it runs on a worker: data, fit, fit file, record row.

Runs in a worker process; it imports the fit layer only when called, so that unpickling the
task does not import PyTensor before the worker's compile directory is set.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from coalsurv._io import atomic_write_text
from coalsurv.errors import ArgumentError, CoalsurvError

__all__ = ["run_fit", "options_key", "record_path", "fit_path", "error_path", "fit_row",
           "ROW_COLUMNS"]

#: Columns of the tidy frame of :func:`coalsurv.fit_many`, in order.
ROW_COLUMNS = ("name", "status", "file", "sampling_time", "elapsed", "divergences", "max_rhat",
               "min_ess", "error", "worker")


def fit_path(out: Path, name: str) -> Path:
    """Fit file of ``name``."""
    return out / f"{name}.nc"


def record_path(out: Path, name: str) -> Path:
    """Record (JSON row) of a finished fit; written after its fit file."""
    return out / f"{name}.json"


def error_path(out: Path, name: str) -> Path:
    """Error record of a failed fit."""
    return out / f"{name}.error.json"


def fit_row(fit) -> dict[str, Any]:
    """Return sampling time, divergences, largest R-hat and smallest bulk ESS of one fit.

    R-hat and ESS cover every sampled (posterior) variable, frailty ``z_``/``u_`` included.
    Both come from :func:`coalsurv._stats.rank_diagnostics` (arviz_stats' rank R-hat and
    bulk ESS in NumPy, every element of a variable at once, the rank normalisation shared):
    R-hat over the elements that vary and are finite, ESS over every element.
    """
    from coalsurv._stats import rank_diagnostics

    post = fit.idata["posterior"]
    stats = fit.idata["sample_stats"]
    div = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0
    rhats, esss = [], []
    for da in post.data_vars.values():
        values = np.asarray(da.transpose("chain", "draw", ...), dtype=float)
        values = values.reshape(values.shape[0], values.shape[1], -1)
        if not values.size:
            continue
        rhat, ess = rank_diagnostics(values, ess=True)
        keep = np.isfinite(values).all(axis=(0, 1)) & (np.ptp(values, axis=(0, 1)) > 0)
        if keep.any():
            rhats.append(np.nanmax(rhat[keep]))
        if np.isfinite(ess).any():
            esss.append(np.nanmin(ess))
    return {"sampling_time": float(post.attrs.get("sampling_time", np.nan)),
            "divergences": div,
            "max_rhat": float(np.max(rhats)) if rhats else float("nan"),
            "min_ess": float(np.min(esss)) if esss else float("nan")}


def options_key(fit_kwargs: dict[str, Any]) -> str:
    """Return the fit options as canonical JSON (recorded with each finished fit)."""
    return json.dumps(fit_kwargs, sort_keys=True, default=str)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):
        return "local"


def _data_of(source, name: str):
    from coalsurv.data.episodes import CoalitionData

    data = source() if callable(source) else source
    if not isinstance(data, CoalitionData):
        raise ArgumentError(f"datasets[{name!r}]: expected a CoalitionData (or a callable "
                            f"returning one), got {type(data).__name__}")
    return data


def run_fit(model, name: str, source, out: str, fit_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Fit ``model`` to the data of ``name`` and write ``out/name.nc`` and ``out/name.json``.

    A coalsurv error (bad data, bad arguments: the same on every try) is returned as a failed
    row; any other exception propagates so that the scheduler retries the task.

    Returns
    -------
    dict
        One row of :data:`ROW_COLUMNS`.
    """
    out_dir = Path(out)
    start = time.perf_counter()
    row: dict[str, Any] = dict.fromkeys(ROW_COLUMNS)
    row.update(name=name, worker=_worker_name())
    try:
        data = _data_of(source, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(data, **fit_kwargs)
    except CoalsurvError as exc:
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                   elapsed=time.perf_counter() - start)
        atomic_write_text(error_path(out_dir, name), json.dumps(row, indent=1))
        return row
    path = fit.save(fit_path(out_dir, name))
    row.update(fit_row(fit), status="ok", file=str(path), elapsed=time.perf_counter() - start)
    # the options travel with the record: a rerun with other options must not reuse the fit
    atomic_write_text(record_path(out_dir, name),
                      json.dumps({**row, "options": options_key(fit_kwargs)}, indent=1))
    error_path(out_dir, name).unlink(missing_ok=True)
    return row
