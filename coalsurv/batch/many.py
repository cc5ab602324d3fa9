"""fit_many: one model, many data sets, on Dask; results come home to the client's ``out/``.

Workers return each fit file's bytes; only the client writes, under its own resolved ``out=``
(:mod:`coalsurv.batch.store`), so a cluster needs no shared disk and no common working
directory. Every name ends as a file on disk: ``ok`` (fit file and record), ``failed`` (the
task's own error) or ``lost`` (its workers died), each with the number of tries that started;
the index is rebuilt from those files. A client that stops cancels its tasks; a lost scheduler
is a :class:`~coalsurv.errors.BatchError` raised after the index is rebuilt.
"""

from __future__ import annotations

import inspect
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv.batch.cluster import DEFAULT_WORKERS, batch_client
from coalsurv.batch.store import (
    INDEX_FILE,
    frame_of,
    read_batch,
    remove_stale_temporaries,
    resolve_out,
    save_failure,
    save_result,
    write_index,
)
from coalsurv.batch.task import ROW_COLUMNS, options_key, run_fit
from coalsurv.errors import ArgumentError, BatchError

__all__ = ["fit_many", "run_jobs", "check_fit_options", "read_batch", "INDEX_FILE"]

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
    _check_names(datasets)
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
    warm (:mod:`coalsurv.backend.sampling`). Workers write nothing the client needs: each returns
    its sealed fit file's bytes and the client writes them under its own ``out`` (resolved to
    an absolute path here, before anything runs), so the workers may run anywhere, with no
    shared disk. Each result is written as soon as it arrives (``out/NAME.nc``, then its
    record ``out/NAME.json``, both atomically), so a killed run loses nothing that finished
    and a rerun skips every finished name (a name stands for its data set: give new data new
    names; a record made with other fit options is refused, not reused). A task that raises
    its own error is tried again up to ``retries`` times, then recorded as ``failed`` with
    that error; a coalsurv error (bad data or options) is recorded at once; a task whose
    workers died (the scheduler gives up after its ``allowed-failures``) is ``lost``. Failed
    and lost names are recorded under ``out/errors/`` and refitted by a rerun. The index
    ``out/fits.csv`` is rebuilt from the files at the end. A client that stops (an error,
    Ctrl-C) cancels the tasks it submitted; a lost scheduler raises a
    :class:`~coalsurv.errors.BatchError` after the index is rebuilt.

    Parameters
    ----------
    model : SurvivalModel
    datasets : mapping or callable
        ``name -> CoalitionData`` (or a zero-argument callable returning one, called on the
        worker), or a callable ``datasets(seed=s)`` called for each of ``seeds`` (names
        ``seed-0000``, ...). Names become file names.
    out : str or Path
        Folder of the fit files on the client's machine (created; an existing file is an
        ArgumentError).
    client : None, str or distributed.Client
        ``None``: an embedded local cluster (``n_workers`` processes, one thread each);
        a scheduler address or a ``Client`` to scale out.
    seeds : iterable of int, optional
        With a callable ``datasets``.
    retries : int
        Further tries of a task that raised its own (non-coalsurv) error.
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
        One row per name: ``name``, ``status`` ("ok" / "failed" / "lost"), ``attempts``
        (tries that began), ``file`` (absolute path), ``sampling_time`` (s), ``elapsed``
        (s on the worker, data to record), ``divergences``,
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


def _check_names(names: Iterable[Any]) -> None:
    """Names become file names: refuse bad characters and names equal but for case."""
    names = list(names)
    problems = [f"name {n!r}: expected letters, digits, '.', '_' or '-' (a file name)"
                for n in names if not isinstance(n, str) or not _NAME.match(n)]
    folded: dict[str, list[str]] = {}
    for n in names:
        if isinstance(n, str):
            folded.setdefault(n.casefold(), []).append(n)
    problems += [f"names {same!r} differ only in case (one file on some disks)"
                 for same in folded.values() if len(same) > 1]
    if problems:
        raise ArgumentError("datasets: names become file names under out/", problems)


def _payloads(jobs: Mapping[str, tuple[Any, Any]]) -> dict[str, bytes]:
    """Pickle each ``(model, source)`` on the client: a problem is named before any work."""
    import cloudpickle

    payloads, problems = {}, []
    for name, job in jobs.items():
        try:
            payloads[name] = cloudpickle.dumps(job)
        except Exception as exc:  # noqa: BLE001 - whatever pickling raises, named
            problems.append(f"{name!r}: {type(exc).__name__}: {exc}")
    if problems:
        raise ArgumentError(f"{len(problems)} data source(s) cannot be sent to the Dask "
                            "workers (pickled with cloudpickle)", problems[:10])
    return payloads


def run_jobs(jobs: Mapping[str, tuple[Any, Any]], *, out: str | Path, client=None,
             retries: int = 2, n_workers: int = DEFAULT_WORKERS, progress: bool = True,
             fit_kwargs: dict[str, Any]) -> pd.DataFrame:
    """Run ``name -> (model, data source)`` fits on Dask: the engine of :func:`fit_many`.

    Parameters as for :func:`fit_many`; ``fit_kwargs`` checked by :func:`check_fit_options`.
    """
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ArgumentError(f"retries: expected an integer >= 0, got {retries!r}")
    out = resolve_out(out)
    _check_names(jobs)
    wanted = options_key(fit_kwargs)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    rows = {r["name"]: r for r in read_batch(out).to_dict("records")}
    finished = {n for n in jobs if n in rows and rows[n]["status"] == "ok"}
    other = sorted(n for n in finished if _options_of(out, n) != wanted)
    if other:
        from coalsurv._format import fmt_ids

        raise ArgumentError(
            f"{out}: {len(other)} finished fit(s) {fmt_ids(other)} were made with other fit "
            f"options than {wanted} (or by an older coalsurv); a rerun resumes only the same "
            "request. Use another folder, or delete those files to refit them")
    todo = {name: job for name, job in jobs.items() if name not in finished}
    payloads = _payloads(todo)
    line = _Progress(len(jobs), len(finished), progress)  # a rerun says what it skipped
    if todo:
        _Run(out, payloads, fit_kwargs, wanted, retries, rows, line).go(client, n_workers)
    frame = read_batch(out)
    write_index(out, frame)
    return frame[frame["name"].isin(list(jobs))].reset_index(drop=True)


def _options_of(out: Path, name: str) -> str | None:
    import json

    from coalsurv.batch.store import record_path

    return json.loads(record_path(out, name).read_text(encoding="utf-8")).get("options")


class _SchedulerLost(Exception):
    """The client lost its scheduler: no further result can come."""


class _Run:
    """One pass over the names to fit: submit, retry the task's own errors, write at home."""

    def __init__(self, out: Path, payloads: dict[str, bytes], fit_kwargs: dict[str, Any],
                 options: str, retries: int, rows: dict[str, dict[str, Any]], bar):
        self.out, self.payloads, self.fit_kwargs = out, payloads, fit_kwargs
        self.options, self.retries, self.rows, self.bar = options, retries, rows, bar
        self.token = uuid.uuid4().hex[:12]
        self.topic = f"coalsurv-batch-{self.token}"
        self.starts: Counter[str] = Counter()    # tries that began, from the workers' events
        self.submitted: Counter[str] = Counter()
        self.own_error: dict[str, str] = {}      # last error a try of the name raised itself
        self.futures: dict[Any, str] = {}

    def _started(self, event) -> None:
        msg = event[1] if isinstance(event, tuple) else event
        if isinstance(msg, dict) and msg.get("name") in self.payloads:
            self.starts[msg["name"]] += 1

    def _key(self, name: str) -> str:
        # one task group ("coalsurv_fit": the key's first word) for every try: a large group
        # is queued on the scheduler and handed to a worker only when it has a free thread,
        # so a worker that dies takes only the task it was running with it
        return f"coalsurv_fit-{self.submitted[name]}-{self.token}-{name}"

    def _submit_all(self, client) -> list:
        names = list(self.payloads)
        self.submitted.update(names)
        futures = client.map(run_fit, [self.payloads[n] for n in names], names,
                             fit_kwargs=self.fit_kwargs, topic=self.topic,
                             key=[self._key(n) for n in names], retries=0, pure=False)
        self.futures.update(zip(futures, names, strict=True))
        return futures

    def _submit(self, client, name: str):
        self.submitted[name] += 1
        future = client.submit(run_fit, self.payloads[name], name, fit_kwargs=self.fit_kwargs,
                               topic=self.topic, key=self._key(name), retries=0, pure=False)
        self.futures[future] = name
        return future

    def attempts(self, name: str, ran: bool) -> int:
        """Return the tries that began (``ran``: this one surely did, whatever the events say)."""
        return max(self.starts[name], self.submitted[name] if ran else 0)

    def go(self, client, n_workers: int) -> None:
        from distributed import as_completed

        with batch_client(client, n_workers=n_workers) as dask_client:
            address = getattr(dask_client.scheduler, "address", None) or str(client)
            dask_client.subscribe_topic(self.topic, self._started)
            try:
                pending = as_completed(self._submit_all(dask_client))
                for future in pending:
                    again = self._collect(future, self.futures.pop(future))
                    if again is not None:
                        pending.add(self._submit(dask_client, again))
            except _SchedulerLost as exc:
                self._lost_scheduler(address, exc)
            except BaseException:
                self._cancel(dask_client)
                write_index(self.out, read_batch(self.out))
                raise
            finally:
                if dask_client.status == "running":
                    dask_client.unsubscribe_topic(self.topic)

    def _cancel(self, dask_client) -> None:
        """Cancel every task still queued or running (the client is stopping)."""
        if self.futures and dask_client.status == "running":
            try:
                dask_client.cancel(list(self.futures), force=True)
            except Exception:  # noqa: BLE001 - stopping anyway; the error that stopped us wins
                pass
        self.futures.clear()

    def _collect(self, future, name: str) -> str | None:
        """Write the outcome of one try; return ``name`` to try again, else ``None``."""
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        try:
            result = future.result()
        except KilledWorker as exc:
            return self._record(name, "lost", f"KilledWorker: the scheduler gave up after "
                                              f"{exc.allowed_failures + 1} death(s) of the "
                                              "worker it was given to", ran=False)
        except CancelledError as exc:
            if "scheduler-connection-lost" in str(exc) or future.client.status != "running":
                raise _SchedulerLost(str(exc)) from None
            return self._record(name, "lost", f"cancelled by the scheduler: {exc}", ran=False)
        except Exception as exc:  # noqa: BLE001 - the task's own error: kept, maybe retried
            self.own_error[name] = f"{type(exc).__name__}: {exc}"
            if self.submitted[name] <= self.retries:
                return name
            return self._record(name, "failed", self.own_error[name], ran=True)
        finally:
            future.release()
        if result["row"]["status"] != "ok":
            return self._record(name, "failed", result["row"]["error"], ran=True,
                                extra=result["row"])
        row = save_result(self.out, name, result, attempts=self.attempts(name, True),
                          options=self.options)
        self._note(row)
        return None

    def _record(self, name: str, status: str, error: str, *, ran: bool,
                extra: dict[str, Any] | None = None) -> None:
        if status == "lost" and name in self.own_error:  # its own error is what happened
            status, error = "failed", f"{self.own_error[name]} (a later try was lost: {error})"
        row = {**dict.fromkeys(ROW_COLUMNS), **(extra or {}), "name": name, "status": status,
               "error": error, "attempts": self.attempts(name, ran)}
        self._note(save_failure(self.out, name, row))
        return None

    def _note(self, row: dict[str, Any]) -> None:
        self.rows[row["name"]] = row
        write_index(self.out, frame_of(self.rows.values()))
        self.bar.step(row["status"] == "ok")

    def _lost_scheduler(self, address: str, exc: Exception) -> None:
        frame = read_batch(self.out)
        write_index(self.out, frame)
        names = set(self.payloads)
        done = frame[frame["name"].isin(names)]
        missing = len(names) - len(done)
        raise BatchError(
            f"lost the Dask scheduler {address} with {missing} of {len(names)} fit(s) "
            f"unfinished; what finished ({int((done['status'] == 'ok').sum())} fit(s), "
            f"{int((done['status'] != 'ok').sum())} failed or lost) is saved under {self.out} "
            f"and indexed in {INDEX_FILE}; rerun the same call to fit only the rest") from exc
