"""Simulation-based calibration of a :class:`~coalsurv.MultiStateModel` from whole paths.

``coalsurv.sbc(multi_state_model, ...)`` lands here. Each simulation draws every transition's
parameters from its (pinned) prior, simulates every unit's path from the initial state
(:mod:`coalsurv.batch.paths`), builds :class:`~coalsurv.TransitionData` from the paths as a
user would and fits the model's transitions on the episodes
:meth:`MultiStateModel.episodes` makes of them. The truth of every transition's parameters is
ranked among its posterior draws.

Why per-transition jobs: the multi-state model has no frailty shared across transitions and
independent priors per transition, so its posterior factorises over transitions —
:meth:`MultiStateModel.fit` itself fits one :class:`~coalsurv.SurvivalModel` per transition
on those episodes. Running each transition's fit as its own job of the batch runner
(:func:`coalsurv.batch.many.run_jobs`, the engine of :func:`coalsurv.fit_many`) gives the same
posterior, with warm refits per transition on Dask and resumption from the fit files.
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import pandas as pd

from coalsurv.batch.calibration import RANK_COLUMNS, Calibration, batch_totals, rank_record
from coalsurv.batch.cluster import DEFAULT_WORKERS
from coalsurv.batch.many import check_fit_options, run_jobs
from coalsurv.batch.paths import (
    DEFAULT_HORIZON,
    episodes_from_prior,
    pin_multistate,
    template_paths,
    template_units,
)
from coalsurv.batch.quantities import scalar_draws, survival_draws, survival_profile
from coalsurv.batch.sbc import check_sbc_settings, read_posterior
from coalsurv.batch.simulate import one_draw
from coalsurv.batch.store import resolve_out
from coalsurv.errors import ArgumentError

__all__ = ["sbc_multistate", "job_name", "compact_key"]


def compact_key(key: str) -> str:
    """Return the quantity prefix of a transition: ``"formation->alliance"``."""
    return key.replace(" -> ", "->")


def job_name(i: int, k: int) -> str:
    """Name (file stem) of the fit of transition number ``k`` in simulation ``i``."""
    return f"sim-{i:04d}-t{k}"


def sbc_multistate(model, *, n_simulations: int, n_rows: int, seed: int, client=None,
                   out=None, template=None, censor_at: float | None = None,
                   initial: str | None = None, draws: int = 250, tune: int = 300,
                   chains: int = 2, thin: int = 5, target_accept: float = 0.8,
                   n_workers: int = DEFAULT_WORKERS, progress: bool = True,
                   label: str | None = None) -> Calibration:
    """Simulation-based calibration of a multi-state model, simulating whole paths.

    Parameters
    ----------
    model : MultiStateModel
        No frailty shared across transitions (the model refuses one), so its posterior
        factorises over transitions and each transition is fitted as one job.
    n_simulations : int
        Data sets drawn from the prior predictive (at least 100 for a verdict).
    n_rows : int
        Units per data set (ignored when ``template`` is given).
    seed : int
        Seed of the template, the prior draws, the paths and the samplers.
    client : None, str or distributed.Client
        As for :func:`coalsurv.fit_many`.
    out : str or Path, optional
        Folder of the fit files (a rerun resumes); default a temporary folder removed after.
    template : TransitionData, optional
        Units (covariates and groups of each unit's first sojourn, held constant along its
        path) and paths that pin each transition's data-based choices. Default:
        :func:`~coalsurv.batch.paths.template_units` with ``breadth``, ``power_hhi``,
        ``power_hhi_sq`` and ``group``, in years, with constant-hazard template paths.
    censor_at : float, optional
        Administrative censoring time of every unit (data unit); default 10 years for the
        default template, else the template's last ``stop``.
    initial : str, optional
        State every unit starts in (default: the source of the model's first transition).
    draws, tune, chains, target_accept : int
        Sampler settings of every fit (each transition's fit is seeded ``seed``).
    thin : int
        Rank among every ``thin``-th posterior draw: ranks lie in ``0..draws * chains / thin``.
    n_workers, progress
        As for :func:`coalsurv.fit_many`.
    label : str, optional
        Name in tables and plots (default: clock and transitions).

    Returns
    -------
    Calibration
        Quantities prefixed with their transition (``"formation->alliance:
        beta[alliance, breadth]"``); ``fits`` has one row per simulation and transition
        (columns ``simulation``, ``transition`` added); ``settings["failed"]`` counts the
        simulations left out because a fit failed (e.g. a transition with no event: every
        transition of that simulation is a failed row naming the reason).

    Notes
    -----
    Each transition's model is pinned to its template episodes
    (:func:`~coalsurv.batch.paths.pin_multistate`): time scale, ``"auto"`` intercept centre,
    cut points and the covariates' standardisation constants, so that every simulation is
    fitted under the prior its truth was drawn from. Leaving out unfittable simulations
    conditions on the data being fittable; their share is reported.
    """
    from coalsurv.fit.multistate import MultiStateModel

    if not isinstance(model, MultiStateModel):
        raise ArgumentError(f"model: expected a coalsurv.MultiStateModel, got "
                            f"{type(model).__name__}")
    from coalsurv.data.transitions import TransitionData

    if template is not None and not isinstance(template, TransitionData):
        raise ArgumentError(f"template: expected a coalsurv.TransitionData (the units' paths "
                            f"to simulate on), got {type(template).__name__}")
    if out is not None:
        out = resolve_out(out)
    n_simulations, seed, thin, draws, chains = check_sbc_settings(
        n_simulations=n_simulations, seed=seed, thin=thin, draws=draws, chains=chains)
    if template is None:
        horizon = float(censor_at) if censor_at is not None else DEFAULT_HORIZON
        units = template_units(n_rows=n_rows, seed=seed)
        template = template_paths(model, units, censor_at=horizon, initial=initial, seed=seed)
    else:
        horizon = (float(censor_at) if censor_at is not None
                   else float(template.frame["stop"].max()))
    pinned = pin_multistate(model, template, censor_at=horizon, initial=initial)
    keys = list(pinned.pinned)
    priors = {key: p.model.sample_prior(p.template, draws=n_simulations, random_seed=seed + k)
              for k, (key, p) in enumerate(pinned.pinned.items())}
    # simulated on the worker (again for each transition's job: paths are cheap, fits are
    # not): a data set that cannot be fitted becomes failed rows naming why, not a crash
    jobs = {job_name(i, k): (pinned.pinned[key].model,
                             functools.partial(episodes_from_prior, pinned, priors, i, key,
                                               seed=seed))
            for i in range(n_simulations) for k, key in enumerate(keys)}
    fit_kwargs = check_fit_options({"draws": draws, "tune": tune, "chains": chains,
                                    "random_seed": seed, "target_accept": target_accept})
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coalsurv-sbc-ms-") as scratch:
        folder = Path(out) if out is not None else Path(scratch)
        fits = run_jobs(jobs, out=folder, client=client, n_workers=n_workers,
                        progress=progress, fit_kwargs=fit_kwargs)
        parts = fits["name"].str.extract(r"^sim-(\d+)-t(\d+)$").astype(int)
        fits.insert(1, "simulation", parts[0])
        fits.insert(2, "transition", [keys[k] for k in parts[1]])
        rows = _rank_rows(fits, pinned, priors, thin)
    failed = sorted(set(fits.loc[fits["status"] != "ok", "simulation"]))
    label = label or f"multi-state ({model.clock}): " + "; ".join(
        f"{compact_key(k)} ~ {f}" for k, f in model.formulas.items())
    settings = {
        "transitions": dict(model.formulas), "families": model.families,
        "clock": model.clock, "initial": pinned.initial, "n_simulations": n_simulations,
        "n_units": pinned.template.n_units, "seed": seed, "draws": draws, "tune": tune,
        "chains": chains, "thin": thin, "target_accept": target_accept,
        "censor_at": pinned.censor_at,
        "time_scale": {k: float(p.info.time_scale) for k, p in pinned.pinned.items()},
        "failed": len(failed),
        "failed_reasons": sorted(set(fits.loc[fits["status"] != "ok", "error"].astype(str))),
        **batch_totals(fits, start)}
    return Calibration(label=label, draws=rows, n_rank_draws=draws * chains // thin,
                       fits=fits, settings=settings)


def _rank_rows(fits: pd.DataFrame, pinned, priors, thin: int) -> pd.DataFrame:
    """Rank rows of every simulation whose every transition was fitted."""
    done = fits.groupby("simulation")["status"].agg(lambda s: bool((s == "ok").all()))
    profiles = {k: survival_profile(p.template) for k, p in pinned.pinned.items()}
    rows = []
    for _, fit_row in fits[fits["simulation"].map(done)].iterrows():
        i, key = int(fit_row["simulation"]), fit_row["transition"]
        p = pinned.pinned[key]

        def checked(ds, p=p, key=key):
            return {**scalar_draws(ds, p.info),
                    **survival_draws(ds, p.info, p.design, profiles[key])}

        truth = checked(one_draw(priors[key], i))
        posterior = checked(read_posterior(fit_row["file"], thin))
        prefix = compact_key(key)
        rows.extend(rank_record(i, f"{prefix}: {q}", value[0], posterior[q])
                    for q, value in truth.items())
    frame = pd.DataFrame(rows, columns=list(RANK_COLUMNS))
    return frame.sort_values(["simulation"], kind="stable").reset_index(drop=True)
