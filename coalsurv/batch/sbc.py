"""Simulation-based calibration (Talts et al. 2018) of a coalsurv model, on the batch runner.

Draw parameters from the prior, data from the model given them, fit, rank the true value
among the posterior draws. If the inference is right, each rank is uniform on
``0..n_rank_draws`` and every central interval covers the truth at the rate an exact
posterior gives for intervals made of that many draws (a little under nominal: 88.2% for a
90% interval of 100 draws, :func:`coalsurv.batch.calibration.expected_coverage`).

Why not ``simuk.SBC`` itself: it refits through ``pm.sample`` with ``pm.observe`` on the
observed variable, but a coalsurv model's observations are a censoring-aware ``CustomDist``
whose status, causes and group indices are data containers of their own; its loop recompiles
with nutpie on every fit and runs serially. Here the loop runs on :func:`coalsurv.fit_many`
(Dask, warm refits) and the ranks are written in simuk's DataTree format.
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.batch.calibration import RANK_COLUMNS, Calibration, batch_totals, rank_record
from coalsurv.batch.cluster import DEFAULT_WORKERS
from coalsurv.batch.many import fit_many
from coalsurv.batch.quantities import scalar_draws, survival_draws, survival_profile
from coalsurv.batch.simulate import one_draw, pin_model, simulate_from_prior, template_data
from coalsurv.batch.store import resolve_out
from coalsurv.errors import ArgumentError

__all__ = ["sbc", "check_sbc_settings"]


def _positive_int(name: str, value: Any, low: int = 1) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
        raise ArgumentError(f"{name}: expected an integer >= {low}, got {value!r}")
    return int(value)


def check_sbc_settings(*, n_simulations, seed, thin, draws, chains) -> tuple[int, ...]:
    """Check the calibration's counts (of any model); return them as ints, in that order.

    At least 2 simulations, seed >= 0, and at least 10 posterior draws to rank among after
    thinning.
    """
    n_simulations = _positive_int("n_simulations", n_simulations, 2)
    seed = _positive_int("seed", seed, 0)
    thin = _positive_int("thin", thin)
    draws, chains = _positive_int("draws", draws), _positive_int("chains", chains)
    if draws * chains // thin < 10:
        raise ArgumentError(f"draws * chains / thin = {draws * chains // thin}: rank among "
                            "at least 10 posterior draws")
    return n_simulations, seed, thin, draws, chains


def sbc(model, *, n_simulations: int, n_rows: int, seed: int, client=None, out=None,
        template=None, censor_at: float | None = None, draws: int = 250, tune: int = 300,
        chains: int = 2, thin: int = 5, target_accept: float = 0.8,
        n_workers: int = DEFAULT_WORKERS, progress: bool = True,
        label: str | None = None, initial: str | None = None) -> Calibration:
    """Simulation-based calibration of ``model``: ranks, uniformity tests, coverage.

    A :class:`~coalsurv.MultiStateModel` is calibrated from whole simulated paths by
    :func:`coalsurv.batch.sbc_multistate.sbc_multistate` (same options; ``n_rows`` counts
    units, ``template`` is a TransitionData, plus ``initial=``).

    Parameters
    ----------
    model : SurvivalModel or MultiStateModel
    n_simulations : int
        Data sets drawn from the prior predictive (at least 100 for a verdict).
    n_rows : int
        Coalitions per data set (covariates and groups of the synthetic generator with
        ``seed``, unless ``template`` is given).
    seed : int
        Seed of the template, the prior draws and the simulated lifespans.
    client : None, str or distributed.Client
        As for :func:`coalsurv.fit_many`.
    out : str or Path, optional
        Folder of the fit files on the client (a rerun resumes; an existing file is an
        ArgumentError, raised before anything is sampled); default a temporary folder
        removed after.
    template : CoalitionData, optional
        Covariates and groups to simulate on instead of the synthetic generator's.
    censor_at : float, optional
        Administrative censoring time (data unit); default twice the median follow-up of the
        template.
    draws, tune, chains, target_accept : int
        Sampler settings of every fit.
    thin : int
        Keep every ``thin``-th posterior draw for the ranks (less autocorrelation):
        ranks lie in ``0..draws * chains / thin``.
    n_workers, progress
        As for :func:`coalsurv.fit_many`.
    label : str, optional
        Name in tables and plots (default: family and formula).
    initial : str, optional
        A MultiStateModel's starting state (default: its first transition's source).

    Returns
    -------
    Calibration
        ``.tree()`` (simuk's ``prior_sbc`` DataTree), ``.uniformity()``, ``.coverage()``,
        ``.plot()``, ``.save(folder)``.

    Notes
    -----
    The prior must not depend on the data, so the model is pinned to the template first
    (:func:`coalsurv.batch.simulate.pin_model`): internal time scale, piecewise cut points and
    the ``"auto"`` intercept centre take the template's values.
    """
    from coalsurv.data.episodes import CoalitionData
    from coalsurv.fit.model import SurvivalModel
    from coalsurv.fit.multistate import MultiStateModel

    if not isinstance(model, SurvivalModel | MultiStateModel):
        raise ArgumentError(f"model: expected a coalsurv.SurvivalModel or MultiStateModel, got "
                            f"{type(model).__name__} {model!r:.60}")
    if out is not None:
        out = resolve_out(out)
    if isinstance(model, MultiStateModel):
        from coalsurv.batch.sbc_multistate import sbc_multistate

        return sbc_multistate(model, n_simulations=n_simulations, n_rows=n_rows, seed=seed,
                              client=client, out=out, template=template, censor_at=censor_at,
                              draws=draws, tune=tune, chains=chains, thin=thin,
                              target_accept=target_accept, n_workers=n_workers,
                              progress=progress, label=label, initial=initial)
    if initial is not None:
        raise ArgumentError("initial= is an option of a MultiStateModel's calibration only")
    if template is not None and not isinstance(template, CoalitionData):
        raise ArgumentError(f"template: expected a coalsurv.CoalitionData (covariates and "
                            f"groups to simulate on), got {type(template).__name__}")
    n_simulations, seed, thin, draws, chains = check_sbc_settings(
        n_simulations=n_simulations, seed=seed, thin=thin, draws=draws, chains=chains)
    template = template if template is not None else template_data(model, n_rows=n_rows,
                                                                    seed=seed)
    pinned = pin_model(model, template, censor_at=censor_at)
    prior = pinned.model.sample_prior(template, draws=n_simulations, random_seed=seed)
    # simulated on the worker: a draw whose data cannot be fitted (e.g. every coalition
    # censored) becomes a failed row naming why, counted in settings["failed"], not a crash
    datasets = {f"sim-{i:04d}": functools.partial(simulate_from_prior, pinned, prior, i,
                                                  seed=seed)
                for i in range(n_simulations)}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="coalsurv-sbc-") as scratch:
        folder = Path(out) if out is not None else Path(scratch)
        fits = fit_many(pinned.model, datasets, out=folder, client=client, draws=draws,
                        tune=tune, chains=chains, random_seed=seed, target_accept=target_accept,
                        n_workers=n_workers, progress="sbc" if progress else False)
        rows = _rank_rows(fits, pinned, prior, thin)
    spec = model.spec
    label = label or f"{spec.family}: {spec.formula}" + (
        f" [{', '.join(spec.causes)}]" if spec.causes else "")
    settings = {"formula": spec.formula, "family": spec.family,
                "causes": list(spec.causes) if spec.causes else None, "cure": spec.cure,
                "n_simulations": n_simulations, "n_rows": template.n, "seed": seed,
                "draws": draws, "tune": tune, "chains": chains, "thin": thin,
                "target_accept": target_accept,
                "censor_at": pinned.censor_at, "time_scale": pinned.info.time_scale,
                "failed": int((fits["status"] != "ok").sum()),
                **batch_totals(fits, start)}
    return Calibration(label=label, draws=rows, n_rank_draws=draws * chains // thin,
                       fits=fits, settings=settings)


def _rank_rows(fits: pd.DataFrame, pinned, prior, thin: int) -> pd.DataFrame:
    """Truth, rank and interval quantiles per finished simulation and quantity."""
    profile = survival_profile(pinned.template, strata=pinned.info.strata)
    rows = []
    for _, fit_row in fits.iterrows():
        if fit_row["status"] != "ok":
            continue
        i = int(str(fit_row["name"]).split("-")[1])
        truth_ds = one_draw(prior, i)
        truth = {**scalar_draws(truth_ds, pinned.info),
                 **survival_draws(truth_ds, pinned.info, pinned.design, profile)}
        post = read_posterior(fit_row["file"], thin)
        posterior = {**scalar_draws(post, pinned.info),
                     **survival_draws(post, pinned.info, pinned.design, profile)}
        rows.extend(rank_record(i, q, value[0], posterior[q]) for q, value in truth.items())
    return pd.DataFrame(rows, columns=list(RANK_COLUMNS))


def read_posterior(file: str, thin: int):
    """Return the posterior group of a fit file, every ``thin``-th draw (loaded).

    Only the posterior group is needed: every simulated set has the template's design and the
    pinned time scale, so the template's info and design apply (reading the whole sealed fit
    with ``load_fit`` costs ~10 s per file on a loaded machine).
    """
    import xarray as xr

    with xr.open_dataset(file, group="posterior", engine="h5netcdf") as ds:
        return ds.isel(draw=slice(None, None, thin)).load()
