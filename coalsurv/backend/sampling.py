"""The one place that samples: NUTS (nutpie), seeds, progress, compiled-model reuse.

A compiled model is cached by the structure of the problem (spec, priors, data shape and
levels), so refitting new data of the same shape — cross-validation folds, simulation-based
calibration, bootstrap replications — swaps the data into the compiled kernel instead of
compiling again.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from coalsurv._stats import rank_rhat, worst_rhat
from coalsurv.backend.densities import (
    add_log_densities,
    clear_density_cache,
    log_prior_group,
    shared_variables,
)
from coalsurv.backend.init import initial_points
from coalsurv.backend.nutpie_import import import_nutpie
from coalsurv.backend.pointwise import ATTR, POINTWISE_LIMIT, skipped_note, storage
from coalsurv.backend.pymc_start import guard_starts

__all__ = ["SamplerSettings", "sample", "sample_prior", "add_log_prior",
           "CoalsurvSamplingWarning", "clear_compiled_cache", "compiled_cache_size", "rank_rhat",
           "import_nutpie", "add_log_likelihood"]


class CoalsurvSamplingWarning(UserWarning):
    """A sampling problem explained in plain words."""


@dataclass(frozen=True)
class SamplerSettings:
    """Sampler settings recorded with every fit."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    random_seed: int = 0
    target_accept: float = 0.8
    cores: int | None = None
    backend: str = "nutpie"
    kernel: str = "auto"
    #: most pointwise log-likelihood values (draws x rows) computed with the fit
    #: (:mod:`coalsurv.backend.pointwise`)
    pointwise_limit: int = POINTWISE_LIMIT

    def to_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return dict(self.__dict__)


_COMPILED: dict[str, Any] = {}
_MAX_CACHE = 8


def compiled_cache_size() -> int:
    """Return the number of compiled model kernels kept in this process."""
    return len(_COMPILED)


def clear_compiled_cache() -> None:
    """Forget every compiled kernel (the next fit of each structure compiles again)."""
    _COMPILED.clear()
    clear_density_cache()


def _data_values(model) -> dict[str, np.ndarray]:
    return {name: var.get_value() for name, var in shared_variables(model).items()}


def sample(model, settings: SamplerSettings, *, progressbar: bool = True,
           cache_key: str | None = None, native: tuple | None = None, on_draws=None):
    """Sample ``model`` with NUTS and add the pointwise log-likelihood.

    Parameters
    ----------
    model : pymc.Model
        Built by :func:`coalsurv.build.build_model`.
    settings : SamplerSettings
    progressbar : bool
        Show nutpie's progress bar (terminal and notebook).
    cache_key : str, optional
        Structure key of the model (spec, priors, shapes); when a compiled model with this key
        exists, its kernel is reused with the new data.
    native : tuple, optional
        ``(info, family_options)`` of the model. When given and ``settings.kernel`` is
        ``"auto"``, a model that :func:`coalsurv.backend.native.plan` accepts is sampled with the
        native kernel (no PyTensor compile; pointwise log likelihood and log prior from the
        same kernel); anything else takes the PyMC path. The posterior's attributes
        ``coalsurv_kernel`` (``"native"`` or ``"pymc"``), ``coalsurv_kernel_route`` and
        ``coalsurv_kernel_reason`` say which and why.
    on_draws : callable, optional
        Called with the ``posterior`` group as soon as its draws are final (before the
        pointwise log likelihood, log prior and checks), e.g. to hash them on another thread
        (:class:`coalsurv.fit.identity.FitIdInBackground`); it must not change them.

    Returns
    -------
    xarray.DataTree
        posterior, sample_stats, observed_data, constant_data, log_likelihood and log_prior
        groups.
    """
    kplan, reason = None, "kernel='pymc' was asked for"
    if settings.kernel == "auto":
        kplan, reason = (None, "no model record given") if native is None else _plan(model,
                                                                                   native)
    finish = None
    if kplan is not None:
        idata, finish = _sample_native(model, kplan, settings, progressbar, on_draws)
    else:
        idata = _sample_pymc(model, settings, progressbar, cache_key, on_draws)
        idata["posterior"].attrs.update(coalsurv_kernel="pymc", coalsurv_kernel_route="pymc",
                                        coalsurv_kernel_reason=reason)
    try:
        _warn_in_plain_words(idata, settings)
    finally:
        if finish is not None:  # the native route's pointwise log likelihood, joined
            finish()
    return idata


def _plan(model, native):
    from coalsurv.backend.native import plan

    return plan(model, *native)


def _nuts(compiled, settings: SamplerSettings, progressbar: bool):
    """NUTS draws as a DataTree and the seconds they took (conversion included).

    On a tested nutpie the raw arrow trace is converted by
    :func:`coalsurv.backend.nutpie_trace.sampler_trace` (each array written once, no
    ``warmup_posterior``); else by nutpie itself.
    """
    from coalsurv.backend.nutpie_trace import raw_trace_ok, sampler_trace

    nutpie = import_nutpie()
    raw = raw_trace_ok(nutpie)
    start = time.perf_counter()
    run = nutpie.sample(
        compiled,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.cores or min(settings.chains, 2),
        seed=int(settings.random_seed),
        progress_bar=progressbar,
        target_accept=settings.target_accept,
        blocking=not raw,
        return_raw_trace=raw,
    )
    idata = sampler_trace(run, _wait(run)) if raw else run
    return idata, time.perf_counter() - start


def _wait(run):
    """Nutpie's blocking wait: the raw trace; an interrupt keeps the draws made so far."""
    try:
        return run.wait()
    except KeyboardInterrupt:
        return run.abort()
    except BaseException:
        run.cancel()
        raise


def _sample_native(model, kplan, settings: SamplerSettings, progressbar: bool, on_draws=None):
    """Sample with the native kernel; log likelihood and log prior from the same kernel.

    Returns the DataTree and ``finish()``, which adds its ``log_likelihood`` (computed on a
    background thread meanwhile: its row loop runs without the GIL, beside the
    single-threaded log prior and convergence checks) and ``log_prior`` groups.
    """
    from concurrent.futures import ThreadPoolExecutor

    from pymc.backends.arviz import patch_nutpie_idata
    from xarray import DataTree

    from coalsurv.backend import native, native_fast, nutpie_model

    buf = native.make_buffer(kplan, model)
    why_not = nutpie_model.native_route_available()
    route = "pyfunc" if why_not else "native"
    fast = native_fast.fast_buffer(kplan, buf)  # the specialised row loop, when it fits
    compiled = nutpie_model.compile_native(kplan, buf, route=route, fast=fast)
    idata, elapsed = _nuts(compiled, settings, progressbar)
    patch_nutpie_idata(idata, model, sampling_time=elapsed)
    if on_draws is not None:
        on_draws(idata["posterior"])
    posterior = idata["posterior"].to_dataset()
    obs = list(model.coords["obs"])
    kept = _pointwise_storage(idata, len(obs), settings.pointwise_limit)
    pool = pending = None
    if kept != "skipped":
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coalsurv-pointwise")
        pending = pool.submit(native.log_likelihood_group, kplan, buf, posterior, obs,
                              dtype=kept, fast=fast)  # the buffer made above
    try:
        prior = native.log_prior_group(kplan, posterior)
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=True)
        raise
    idata["posterior"].attrs.update(coalsurv_kernel="native", coalsurv_kernel_route=route,
                                    coalsurv_kernel_reason=why_not,
                                    coalsurv_row_loop="generic" if fast is None else "fast")
    # nothing is compiled per fit: the kernel is numba-cached, the data are this buffer
    idata["sample_stats"].attrs["coalsurv_compiled"] = "none"

    def finish():
        if pool is not None:
            try:
                idata["log_likelihood"] = DataTree(pending.result())
            finally:
                pool.shutdown(wait=True)
        idata["log_prior"] = DataTree(prior)

    return idata, finish


def _sample_pymc(model, settings: SamplerSettings, progressbar: bool, cache_key: str | None,
                 on_draws=None):
    """Sample the PyMC graph compiled by nutpie (numba), the reference path."""
    nutpie = import_nutpie()
    from pymc.backends.arviz import patch_nutpie_idata

    compiled = _COMPILED.get(cache_key) if cache_key else None
    how = "reused" if compiled is not None else "new"
    if compiled is not None:
        known = {var.name for var in compiled.shared_var_keys}
        compiled = compiled.with_data(
            **{k: v for k, v in _data_values(model).items() if k in known})
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            compiled = nutpie.compile_pymc_model(model, backend="numba", freeze_model=False,
                                                 initial_points=initial_points(model))
        if cache_key:
            if len(_COMPILED) >= _MAX_CACHE:
                _COMPILED.pop(next(iter(_COMPILED)))
            _COMPILED[cache_key] = compiled
    # a jittered start far below the centre is pulled in, as on the native route
    compiled = guard_starts(compiled, model)
    idata, elapsed = _nuts(compiled, settings, progressbar)
    patch_nutpie_idata(idata, model, sampling_time=elapsed)
    idata["sample_stats"].attrs["coalsurv_compiled"] = how  # not in the fit id (posterior)
    if on_draws is not None:
        on_draws(idata["posterior"])
    kept = _pointwise_storage(idata, len(model.coords["obs"]), settings.pointwise_limit)
    return add_log_densities(idata, model, cache_key, likelihood=kept)


def _pointwise_storage(idata, rows: int, limit: int) -> str:
    """How this fit keeps its pointwise log likelihood; recorded in the posterior's attrs."""
    post = idata["posterior"]
    draws = post.sizes["chain"] * post.sizes["draw"]
    kept = storage(draws * rows, limit)
    post.attrs[ATTR] = skipped_note(draws, rows, limit) if kept == "skipped" else kept
    return kept


def add_log_likelihood(idata, model, *, native: tuple | None = None, kernel: str = "native",
                       dtype: str | None = None):
    """Compute the ``log_likelihood`` group of a fit that left it out (on demand).

    Parameters
    ----------
    idata : xarray.DataTree
        The fit's draws (a ``posterior`` group of ``model``'s variables).
    model : pymc.Model
        The fit's model, rebuilt from its spec and data.
    native : tuple, optional
        ``(info, family_options)``: with ``kernel="native"`` the kernel computes it when its
        plan accepts the model, else the PyMC graph does.
    kernel : str
        The kernel the fit was sampled with (``fit.sampler["kernel"]``).
    dtype : str, optional
        ``"float64"`` or ``"float32"``; default float32 above
        :data:`~coalsurv.backend.pointwise.FLOAT32_ABOVE` values.

    Returns
    -------
    xarray.DataTree
        ``idata`` with the group added and the posterior's record updated.
    """
    from xarray import DataTree

    post = idata["posterior"]
    obs = list(model.coords["obs"])
    dtype = dtype or storage(post.sizes["chain"] * post.sizes["draw"] * len(obs),
                             np.iinfo(np.int64).max)
    kplan = _plan(model, native)[0] if native is not None and kernel == "native" else None
    if kplan is not None:
        from coalsurv.backend import native as nat

        buf = nat.make_buffer(kplan, model)
        idata["log_likelihood"] = DataTree(nat.log_likelihood_group(
            kplan, buf, post.to_dataset(), obs, dtype=dtype))
    else:
        add_log_densities(idata, model, None, likelihood=dtype, prior=False)
    post.attrs[ATTR] = f"{dtype}, computed after the fit"
    return idata


def sample_prior(model, *, draws: int = 1000, random_seed: int = 0):
    """Draw the model's parameters from their prior (no data): the ``prior`` group.

    Parameters
    ----------
    model : pymc.Model
        Built by :func:`coalsurv.build.build_model`.
    draws : int
        Number of prior draws.
    random_seed : int
        Seed; the same seed gives the same draws.

    Returns
    -------
    xarray.Dataset
        Every free and deterministic variable, dims ``(chain, draw, ...)`` with one chain.
    """
    import pymc as pm

    names = [v.name for v in (*model.free_RVs, *model.deterministics)]
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)  # no "Sampling: [...]" line
    try:
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = pm.sample_prior_predictive(draws=int(draws), random_seed=int(random_seed),
                                               var_names=names)
            prior = (idata["prior"].to_dataset() if hasattr(idata["prior"], "to_dataset")
                     else idata["prior"])
            if model.potentials:  # a truncated prior (the rp spline's monotone bound)
                prior = _inside_potentials(model, prior, int(draws), int(random_seed), names)
    finally:
        logger.setLevel(level)
    return prior


def _inside_potentials(model, prior, draws: int, random_seed: int, names: list[str]):
    """Keep the prior draws where every potential is finite, drawing more until ``draws``.

    ``pm.sample_prior_predictive`` ignores potentials; a potential of 0 or ``-inf`` (the only
    kind coalsurv builds) truncates the prior, so rejection gives exact draws of it.
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt
    import xarray as xr

    from coalsurv.errors import PriorError

    total = pt.sum([pt.sum(p) for p in model.potentials])
    fn = pytensor.function(model.free_RVs, total, on_unused_input="ignore")
    rvs = [v.name for v in model.free_RVs]
    kept, seen = [], 0
    for attempt in range(20):
        batch = prior if attempt == 0 else pm.sample_prior_predictive(
            draws=draws, random_seed=random_seed + 7919 * attempt, var_names=names,
            model=model)["prior"].to_dataset()
        values = {n: batch[n].values[0] for n in rvs}
        ok = np.array([np.isfinite(fn(*(values[n][i] for n in rvs))) for i in range(draws)])
        kept.append(batch.isel(draw=np.flatnonzero(ok)))
        seen += draws
        if sum(k.sizes["draw"] for k in kept) >= draws:
            out = xr.concat(kept, dim="draw").isel(draw=slice(0, draws))
            return out.assign_coords(draw=np.arange(draws))
    raise PriorError(f"the priors put only {sum(k.sizes['draw'] for k in kept)} of {seen} "
                     "draws inside the model's bounds (an increasing spline for family 'rp'); "
                     "narrow the rp_spline prior")


def add_log_prior(idata, model):
    """Add the ``log_prior`` group (pointwise log prior density of each free variable).

    Power-scaling sensitivity (:func:`arviz_stats.psense`) needs it besides ``log_likelihood``.
    Called by :func:`sample`; fits saved before it existed get it on demand.
    """
    return log_prior_group(idata, model)


def _warn_in_plain_words(idata, settings: SamplerSettings) -> None:
    """Emit short, actionable warnings for divergences and non-convergence; record them.

    R-hat is judged on :func:`coalsurv._stats.judged_variables`, the same set as
    ``Fit.diagnose()``. The sample_stats group's attributes keep what was found
    (``coalsurv_divergences``, ``coalsurv_max_rhat``, ``coalsurv_warnings``: the messages,
    one a line), so ``fit.sampler`` flags a stuck chain after the console has scrolled away
    (not the posterior's: the fit id digests those).
    """
    stats = idata["sample_stats"]
    said: list[str] = []
    attrs = stats.attrs
    attrs.update(coalsurv_divergences=0, coalsurv_max_rhat=float("nan"), coalsurv_warnings="")

    def warn(message: str) -> None:
        said.append(message)
        attrs["coalsurv_warnings"] = "\n".join(said)
        warnings.warn(message, CoalsurvSamplingWarning, stacklevel=4)

    if "diverging" in stats:
        n_div = int(np.asarray(stats["diverging"]).sum())
        attrs["coalsurv_divergences"] = n_div
        if n_div:
            total = settings.draws * settings.chains
            names = list(idata["posterior"].data_vars)
            sds = [n for n in names if n.startswith("sd_")]
            walks = [n for n in names if n.startswith("tve_sd_")]
            # name only what this model has: group SDs, the piecewise random walk, the shape
            if walks:  # tve(): its random walk's steps narrow as 1 / tve_sd (issue 23)
                where = (f"often the tve() random walk's SD ({', '.join(walks + sds)})",
                         "a tighter tve_sd prior or fewer tve() df")
            elif sds:
                where = (f"often a group SD near zero ({', '.join(sds)})",
                         "a tighter prior on group SDs")
            elif "rw_step" in names:
                where = ("the piecewise baseline's random walk (rw_sd)",
                         "a tighter rw_sd prior or fewer intervals (family_options n_intervals)")
            else:
                where = ("often the family's shape or strongly correlated covariates",
                         "tighter priors on the coefficients and the shape, or fewer "
                         "overlapping covariates")
            warn(f"{n_div} of {total} draws diverged: the sampler met curvature it could not "
                 f"follow ({where[0]}), so the posterior may be biased. Refit with "
                 f"target_accept=0.95, or use {where[1]}. fit.diagnose() has details.")
    if settings.chains < 2:
        return
    try:
        worst, where = worst_rhat(idata)
    except Exception:  # pragma: no cover - diagnostics must never break a fit
        return
    attrs["coalsurv_max_rhat"] = float(worst)
    if worst > 1.01:
        seen = ("fit.group_effects() and fit.diagnose() show it" if where[:2] in ("z_", "u_", "v_")
                else "fit.diagnose() lists the parameters")
        warn(f"chains disagree (largest R-hat {worst:.3f} > 1.01, at {where}): the chains have "
             "not converged to the same distribution. Run longer (more tune and draws) before "
             f"trusting results; {seen}.")
