"""fit_many: one model, many data sets, on Dask; streamed, resumable, nothing dropped."""

from __future__ import annotations

import inspect
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv._io import atomic_write_with
from coalsurv.batch.cluster import DEFAULT_WORKERS, batch_client
from coalsurv.batch.task import (
    ROW_COLUMNS,
    error_path,
    fit_path,
    options_key,
    record_path,
    run_fit,
)
from coalsurv.errors import ArgumentError

__all__ = ["fit_many", "run_jobs", "check_fit_options", "read_batch", "INDEX_FILE"]

#: The tidy frame of a batch, rewritten (atomically) under ``out/`` as each fit finishes.
INDEX_FILE = "fits.csv"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


def _check_model(model) -> None:
    from coalsurv.fit.model import SurvivalModel

    if not isinstance(model, SurvivalModel):
        raise ArgumentError(f"model: expected a coalsurv.SurvivalModel, got "
                            f"{type(model).__name__}")


def _sources(datasets, seeds) -> dict[str, Any]:
    """``name -> CoalitionData or zero-argument callable``, names checked."""
    import functools

    if callable(datasets) and not isinstance(datasets, Mapping):
        if seeds is None:
            raise ArgumentError("datasets is a callable: give the seeds to call it with "
                                "(seeds=range(100))")
        seeds = list(seeds)
        bad = [s for s in seeds if not isinstance(s, int) or isinstance(s, bool) or s < 0]
        if bad:
            raise ArgumentError(f"seeds: expected integers >= 0, got {bad[:5]!r}")
        width = max(4, len(str(max(seeds, default=0))))
        return {f"seed-{s:0{width}d}": functools.partial(datasets, seed=s) for s in seeds}
    if seeds is not None:
        raise ArgumentError("seeds= is only for a callable datasets(seed=...)")
    if not isinstance(datasets, Mapping):
        raise ArgumentError(f"datasets: expected a mapping name -> CoalitionData (or callable) "
                            f"or a callable datasets(seed=...), got {type(datasets).__name__}")
    problems = [f"name {n!r}: expected letters, digits, '.', '_' or '-' (a file name)"
                for n in datasets if not isinstance(n, str) or not _NAME.match(n)]
    if problems:
        raise ArgumentError("datasets: names become file names under out/", problems)
    if not datasets:
        raise ArgumentError("datasets: empty; nothing to fit")
    return dict(datasets)


def check_fit_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Refuse unknown :meth:`SurvivalModel.fit` options; one core per fit, no progress bar."""
    from coalsurv.fit.model import SurvivalModel

    allowed = set(inspect.signature(SurvivalModel.fit).parameters) - {"self", "data"}
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise ArgumentError(f"fit_many: unknown fit option(s) {unknown}; expected some of "
                            f"{sorted(allowed)}")
    # one core per fit: a worker is single-threaded; no progress bars inside workers
    return {"cores": 1, **kwargs, "progressbar": False}


def read_batch(out: str | Path) -> pd.DataFrame:
    """Return the tidy frame of the finished and failed fits recorded under ``out/``."""
    out = Path(out)
    rows = []
    for path in sorted(out.glob("*.json")):
        if path.name.endswith(".error.json"):
            if record_path(out, path.name[:-len(".error.json")]).exists():
                continue
        rows.append(json.loads(path.read_text(encoding="utf-8")))
    return _frame(rows)


def _frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: r.get(c) for c in ROW_COLUMNS} for r in rows],
                         columns=list(ROW_COLUMNS))
    return frame.sort_values("name", kind="stable").reset_index(drop=True)


def _write_index(out: Path, rows: dict[str, dict[str, Any]]) -> None:
    frame = _frame(rows.values())
    atomic_write_with(out / INDEX_FILE, lambda tmp: frame.to_csv(tmp, index=False))


class _Progress:
    """A plain progress line on standard error (tqdm-style, no dependency)."""

    def __init__(self, total: int, skipped: int, enabled: bool | str):
        # a str names the caller ("sbc", "spec_curve") in the line instead of fit_many
        self.label = enabled if isinstance(enabled, str) else "fit_many"
        self.total, self.done, self.failed, self.enabled = total, skipped, 0, bool(enabled)
        self.start = time.perf_counter()
        self.show()

    def step(self, ok: bool) -> None:
        self.done += 1
        self.failed += not ok
        self.show()

    def show(self) -> None:
        if self.enabled:
            end = "\n" if self.done >= self.total else ""
            print(f"\r{self.label}: {self.done}/{self.total} done, {self.failed} failed, "
                  f"{time.perf_counter() - self.start:.0f} s", end=end, file=sys.stderr,
                  flush=True)


def fit_many(model, datasets: Mapping[str, Any] | Callable[..., Any], *, out: str | Path,
             client=None, seeds: Iterable[int] | None = None, retries: int = 2,
             n_workers: int = DEFAULT_WORKERS, progress: bool = True,
             **fit_kwargs) -> pd.DataFrame:
    """Fit one model to many data sets on Dask; one fit file per name under ``out/``.

    Each worker compiles the model once per structure and refits new data of the same shape
    warm (:mod:`coalsurv.backend.sampling`). Each result is written as soon as it finishes
    (``out/NAME.nc``, then its record ``out/NAME.json``, both atomically), so a killed run
    loses nothing that finished and a rerun skips every name with a record (a name stands for
    its data set: give new data new names; a record made with other fit options is refused,
    not reused). A task whose
    worker fails is retried ``retries`` times, then recorded as failed with its error (also
    ``out/NAME.error.json``); a coalsurv error (bad data or options) is recorded at once.
    The tidy frame is also rewritten to ``out/fits.csv`` after every fit.

    Parameters
    ----------
    model : SurvivalModel
    datasets : mapping or callable
        ``name -> CoalitionData`` (or a zero-argument callable returning one, called on the
        worker), or a callable ``datasets(seed=s)`` called for each of ``seeds`` (names
        ``seed-0000``, ...). Names become file names.
    out : str or Path
        Folder of the fit files (created).
    client : None, str or distributed.Client
        ``None``: an embedded local cluster (``n_workers`` processes, one thread each);
        a scheduler address or a ``Client`` to scale out.
    seeds : iterable of int, optional
        With a callable ``datasets``.
    retries : int
        Retries of a task whose worker failed or raised an unexpected error.
    n_workers : int
        Workers of the embedded cluster.
    progress : bool
        Print a progress line on standard error.
    **fit_kwargs
        Passed to :meth:`SurvivalModel.fit` (``draws``, ``tune``, ``chains``,
        ``random_seed``, ``target_accept``; ``cores`` defaults to 1 per fit).

    Returns
    -------
    pandas.DataFrame
        One row per name: ``name``, ``status`` ("ok" / "failed"), ``file``,
        ``sampling_time`` (s), ``elapsed`` (s on the worker, data to record), ``divergences``,
        ``max_rhat``, ``min_ess`` (bulk), ``error``, ``worker``.

    Examples
    --------
    >>> frame = coalsurv.fit_many(model, {"a": data_a, "b": data_b}, out="fits",
    ...                           draws=500, tune=500, chains=2)      # doctest: +SKIP
    """
    _check_model(model)
    sources = _sources(datasets, seeds)
    return run_jobs({name: (model, source) for name, source in sources.items()}, out=out,
                    client=client, retries=retries, n_workers=n_workers, progress=progress,
                    fit_kwargs=check_fit_options(fit_kwargs))


def run_jobs(jobs: Mapping[str, tuple[Any, Any]], *, out: str | Path, client=None,
             retries: int = 2, n_workers: int = DEFAULT_WORKERS, progress: bool = True,
             fit_kwargs: dict[str, Any]) -> pd.DataFrame:
    """Run ``name -> (model, data source)`` fits on Dask: the engine of :func:`fit_many`.

    Parameters as for :func:`fit_many`; ``fit_kwargs`` checked by :func:`check_fit_options`.
    """
    from distributed import as_completed

    from coalsurv._io import atomic_write_text

    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ArgumentError(f"retries: expected an integer >= 0, got {retries!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, Any]] = {}
    todo = {}
    wanted, other = options_key(fit_kwargs), []
    for name, job in jobs.items():
        record = record_path(out, name)
        if record.exists() and fit_path(out, name).exists():
            rows[name] = json.loads(record.read_text(encoding="utf-8"))
            if rows[name].get("options") != wanted:
                other.append(name)
            continue
        for stale in out.glob(f".{name}.*"):  # a temporary file of a killed write
            stale.unlink(missing_ok=True)
        todo[name] = job
    if other:
        from coalsurv._format import fmt_ids

        raise ArgumentError(
            f"{out}: {len(other)} finished fit(s) {fmt_ids(other)} were made with other fit "
            f"options than {wanted} (or by an older coalsurv); a rerun resumes only the same "
            "request. Use another folder, or delete those files to refit them")
    bar = _Progress(len(jobs), len(rows), progress)
    if todo:
        token = uuid.uuid4().hex[:8]
        with batch_client(client, n_workers=n_workers) as dask_client:
            futures = {dask_client.submit(run_fit, model, name, source, str(out), fit_kwargs,
                                          key=f"coalsurv-fit-{name}-{token}", retries=retries,
                                          pure=False): name
                       for name, (model, source) in todo.items()}
            for future in as_completed(futures):
                name = futures[future]
                try:
                    row = future.result()
                except Exception as exc:  # noqa: BLE001 - recorded, never dropped
                    row = {**dict.fromkeys(ROW_COLUMNS), "name": name, "status": "failed",
                           "error": f"{type(exc).__name__}: {exc} (after {retries} retries)"}
                    atomic_write_text(error_path(out, name), json.dumps(row, indent=1))
                rows[name] = row
                _write_index(out, rows)
                bar.step(row["status"] == "ok")
    _write_index(out, rows)
    return _frame(rows.values())
