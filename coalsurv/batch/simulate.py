"""Data from a model: parameters drawn from its prior, lifespans drawn given them.

Used by simulation-based calibration. The model is first *pinned* to a template data set:
every data-based choice (the internal time scale, the piecewise cut points, the intercept
prior's ``"auto"`` centre) is fixed to the template's value, so that the prior does not depend
on the simulated data (Talts et al. 2018 need one fixed prior) and every simulated data set of
the same shape refits warm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.errors import ArgumentError

__all__ = ["PinnedModel", "pin_model", "template_data", "simulate_from_prior", "one_draw"]


@dataclass
class PinnedModel:
    """A model whose prior no longer depends on the data, with its template's structure."""

    model: Any          # SurvivalModel
    template: Any       # CoalitionData
    info: Any           # ModelInfo of the template
    design: Any         # Design of the template
    censor_at: float    # administrative censoring time, in the data's unit


def template_data(model, *, n_rows: int, seed: int):
    """Covariates and groups of the synthetic generator, ``n_rows`` coalitions.

    The generator's frame has ``breadth``, ``power_hhi``, ... and ``group``
    (:mod:`coalsurv.simulation`); its endings are replaced by simulated ones.
    """
    from coalsurv.simulation import simulate

    if not isinstance(n_rows, int) or isinstance(n_rows, bool) or n_rows < 10:
        raise ArgumentError(f"n_rows: expected an integer >= 10, got {n_rows!r}")
    return simulate(n_coalitions=n_rows, n_groups=max(2, min(20, n_rows // 10)),
                    seed=seed).data


def pin_model(model, template, *, censor_at: float | None = None) -> PinnedModel:
    """Fix the data-based choices of ``model`` to ``template``'s values.

    Parameters
    ----------
    model : SurvivalModel
    template : CoalitionData
        Covariates and groups of the simulated data sets.
    censor_at : float, optional
        Administrative censoring time in the data's unit; default twice the internal time
        scale (the template's median follow-up).
    """
    from coalsurv.fit.model import SurvivalModel
    from coalsurv.spec.modelspec import ModelSpec
    from coalsurv.spec.priors import Prior

    _, design, info, resolved = model.build(template)
    options = dict(model.spec.family_options)
    options["time_scale"] = float(info.time_scale)
    if model.spec.family == "piecewise":
        options.pop("n_intervals", None)
        options["cuts"] = [float(c) * info.time_scale for c in info.cuts]
    if info.knots:  # the spline's knots (family rp), at the template's event times
        options.pop("k", None)
        knots = [float(np.exp(c) * info.time_scale) for c in info.knots]
        options["bknots"] = [knots[0], knots[-1]]
        if len(knots) > 2:
            options["knots"] = knots[1:-1]
        else:
            options["k"] = 0
    smooth = getattr(info, "tve_splines", None) or {}
    if set(info.tve) - set(smooth):  # the intervals of tve(x) terms, the template's
        options["tve_cuts"] = {name: [float(c) * info.time_scale for c in cuts]
                               for name, cuts in info.tve.items() if name not in smooth}
    if smooth:  # the knots of smooth tve(x) terms (log model time in info), the template's
        options["tve_knots"] = {name: [float(np.exp(c)) * info.time_scale for c in info.tve[name]]
                                for name in smooth}
    spec = ModelSpec.from_dict({**model.spec.to_dict(), "family_options": options})
    priors = model.priors
    pinned = {}
    for k, cause in enumerate(info.causes):
        prior = priors.get(f"intercept[{cause}]")
        if prior.params.get("mu") == "auto":
            pinned[f"intercept[{cause}]"] = Prior(
                prior.dist, **{**prior.params, "mu": float(info.intercept_centre[k])})
    from coalsurv.spec.priors import PriorSet

    # marked pinned whether or not an "auto" intercept was replaced: the build then accepts
    # every data set its prior simulates (e.g. a tve interval without events; build.info)
    priors = PriorSet({**priors.priors, **pinned}, priors.name, priors.description,
                      {**priors.provenance, "pinned_for": "simulation-based calibration"})
    new = SurvivalModel.from_spec(spec, priors=priors)
    _, design, info, _ = new.build(template)
    at = float(censor_at) if censor_at is not None else 2.0 * float(info.time_scale)
    if not np.isfinite(at) or at <= 0:
        raise ArgumentError(f"censor_at: expected a positive time, got {censor_at!r}")
    return PinnedModel(model=new, template=template, info=info, design=design, censor_at=at)


def one_draw(prior, i: int):
    """Draw ``i`` of a prior dataset as a one-draw posterior (chain 1, draw 1)."""
    return prior.isel(chain=[0], draw=[i])


def simulate_from_prior(pinned: PinnedModel, prior, i: int, *, seed: int):
    """Simulate data set number ``i``: lifespans and endings given prior draw ``i``.

    Latent times come from each cause's family quantile given the drawn intercept,
    coefficients, family parameters and group effects; the ending is the earliest cause;
    endings after ``pinned.censor_at`` are censored there. An ``mm()`` model's members
    table is the template's (members, shares and member covariates fixed like the coalition
    covariates); the member effects and weight parameters are the prior draw's.
    """
    from coalsurv.data.episodes import CoalitionData
    from coalsurv.fit.predict import Predictor

    template = pinned.template
    frame = template.to_frame()
    predictor = Predictor(pinned.info, pinned.design, one_draw(prior, i), max_draws=None)
    rng = np.random.default_rng([int(seed), int(i)])
    times, cause = predictor.sample_lifetimes(frame, rng=rng, frailty="conditional")
    times, cause = times[0], cause[0]
    labels = np.asarray(pinned.info.causes, dtype=object)[cause]
    if pinned.info.pooled:
        labels = np.full(len(times), "ended", dtype=object)
    ended = times <= pinned.censor_at
    groups = list(template.groups.columns)
    covariates = list(template.covariates.columns)
    df = pd.DataFrame({"id": frame["id"].to_numpy(),
                       "duration": np.where(ended, times, pinned.censor_at),
                       "event": np.where(ended, labels, "censored")})
    df = pd.concat([df, frame[groups + covariates].reset_index(drop=True)], axis=1)
    # every modelled ending is an ending of the data, even when a draw makes one of them
    # so rare that no coalition ends that way
    causes = None if pinned.info.pooled else list(pinned.info.causes)
    return CoalitionData.from_frame(df, duration="duration", event="event", id="id",
                                    causes=causes, groups=groups or None, covariates=covariates,
                                    members=template.members, time_unit=template.time_unit,
                                    name=f"sbc-{i:04d}")
