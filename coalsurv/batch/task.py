"""One fit of a batch, as it runs on a worker: data, fit, the sealed fit file's bytes, a row.

Runs in a worker process and writes nothing the client needs: the fit file is written by the
usual writer (:meth:`Fit.save`, sealed) into a private temporary folder of the worker, read
back as bytes and returned with the row; the client writes it under its own ``out/``
(:mod:`coalsurv.batch.store`), so results come home whatever the workers' disks and working
directories. The model and the data source arrive pickled (cloudpickle, on the client) and are
unpickled here, inside the task: a worker that cannot import what they need reports the real
``ModuleNotFoundError`` as this name's error, and PyTensor is not imported before the worker's
compile directory is set.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from coalsurv.errors import ArgumentError, CoalsurvError

__all__ = ["run_fit", "options_key", "fit_row", "ROW_COLUMNS", "STATUSES", "announce_start"]

#: Columns of the tidy frame of :func:`coalsurv.fit_many`, in order.
ROW_COLUMNS = ("name", "status", "attempts", "file", "sampling_time", "elapsed", "divergences",
               "max_rhat", "min_ess", "error", "worker")
#: ``ok``: fitted and saved; ``failed``: the task raised its own error (kept, with the number
#: of tries); ``lost``: every try died with its worker (or was cancelled by the scheduler).
STATUSES = ("ok", "failed", "lost")


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
    import json

    return json.dumps(fit_kwargs, sort_keys=True, default=str)


def _worker():
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def announce_start(topic: str | None, name: str) -> str:
    """Tell the scheduler that a try of ``name`` starts (one event on ``topic``); worker name.

    Sent as a request the scheduler answers before the fit begins, so a try whose worker dies
    at once (``os._exit``, out of memory) is still counted: the client counts the tries of
    each name from these events.
    """
    worker = _worker()
    if worker is None:
        return "local"
    if topic:
        msg = {"name": name, "worker": str(worker.name), "pid": os.getpid()}
        try:
            from distributed.utils import sync

            sync(worker.loop, worker.scheduler.log_event, topic=topic, msg=msg,
                 callback_timeout=30)
        except Exception:  # noqa: BLE001 - counted late rather than not at all
            worker.log_event(topic, msg)
    return str(worker.name)


def _data_of(source, name: str):
    from coalsurv.data.episodes import CoalitionData

    data = source() if callable(source) else source
    if not isinstance(data, CoalitionData):
        raise ArgumentError(f"datasets[{name!r}]: expected a CoalitionData (or a callable "
                            f"returning one), got {type(data).__name__}")
    return data


def _unpickle(payload: bytes, name: str):
    import cloudpickle

    try:
        return cloudpickle.loads(payload)
    except (ImportError, AttributeError) as exc:
        raise ArgumentError(
            f"datasets[{name!r}]: the worker cannot unpickle the model or data source: "
            f"{type(exc).__name__}: {exc} (the workers need every module it refers to: "
            "install it there, or send it with client.upload_file)") from None


def _fit_bytes(fit, name: str) -> bytes:
    """Return the sealed fit file as :meth:`Fit.save` writes it (in a private folder)."""
    folder = Path(tempfile.mkdtemp(prefix=f"coalsurv-fit-{os.getpid()}-{uuid.uuid4().hex}-"))
    try:
        return fit.save(folder / f"{name}.nc").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_fit(payload: bytes, name: str, fit_kwargs: dict[str, Any],
            topic: str | None = None) -> dict[str, Any]:
    """Fit the pickled ``(model, source)`` of ``name``; return its row and fit file bytes.

    A coalsurv error (bad data, bad arguments, a module the worker lacks: the same on every
    try) is returned as a failed row; any other exception propagates so that the client
    can try again.

    Returns
    -------
    dict
        ``row`` (one row of :data:`ROW_COLUMNS`), ``fit`` (the sealed fit file's bytes, or
        ``None``) and ``sha256`` (of those bytes).
    """
    start = time.perf_counter()
    row: dict[str, Any] = dict.fromkeys(ROW_COLUMNS)
    row.update(name=name, worker=announce_start(topic, name))
    try:
        model, source = _unpickle(payload, name)
        data = _data_of(source, name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = model.fit(data, **fit_kwargs)
    except CoalsurvError as exc:
        row.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                   elapsed=time.perf_counter() - start)
        return {"row": row, "fit": None, "sha256": None}
    content = _fit_bytes(fit, name)
    row.update(fit_row(fit), status="ok", elapsed=time.perf_counter() - start)
    return {"row": row, "fit": content, "sha256": hashlib.sha256(content).hexdigest()}
