"""The quantities checked by calibration: named scalars of a fit's (or a prior's) draws.

Coefficients ``beta[cause, term]`` (per SD) and ``beta_shape[cause, term]``, intercepts,
family parameters (shape, sigma, gamma, the piecewise random-walk SD), frailty SDs
``sd_<factor>[cause]``, an ``mm()`` term's ``beta_mm``, ``sd_mm`` and weight parameters, and
overall survival
``S(t)`` at fixed profiles and times (typical group: frailty effect 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["scalar_draws", "survival_draws", "survival_profile", "survival_times"]


def _keep(name: str, family_names: set[str]) -> bool:
    """Keep the checked parameters (not z_/u_/v_ level effects or random-walk steps).

    Intercepts, coefficients, family parameters, group SDs, the time-varying effects' SDs and
    deviations, the cure model's coefficients, the shape covariates' coefficients, an
    ``mm()`` term's member coefficients, SD ``sd_mm`` and weight parameters (``family_names``
    holds their posterior names).
    """
    return (name in ("intercept", "beta", "beta_shape", "beta_mm") or name in family_names
            or name in ("cure_intercept", "cure_beta")
            or name.startswith(("sd_", "tve_sd_", "tve_dev_")))


def scalar_draws(ds, info) -> dict[str, np.ndarray]:
    """``label -> draws`` (1-D, chains stacked) for every checked scalar parameter."""
    family = info.family_object()
    names = {p.posterior_name for p in family.parameters}
    names |= {p.key for p in family.parameters if p.vector}  # e.g. the random-walk SD rw_sd
    names |= set((getattr(info, "members", None) or {}).get("weight_params", {}).values())
    out: dict[str, np.ndarray] = {}
    for name in ds.data_vars:
        if not _keep(str(name), names):
            continue
        da = ds[name]
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        values = np.asarray(da.transpose("chain", "draw", *extra))
        values = values.reshape(-1, *values.shape[2:])
        if not extra:
            out[str(name)] = values
            continue
        coords = [list(map(str, da.coords[d].values)) if d in da.coords
                  else [str(j) for j in range(da.sizes[d])] for d in extra]
        for index in np.ndindex(*values.shape[1:]):
            label = ", ".join(coords[j][k] for j, k in enumerate(index))
            out[f"{name}[{label}]"] = values[(slice(None), *index)]
    return out


def survival_profile(data, strata: str = "") -> pd.DataFrame:
    """One profile: every covariate at its mean in ``data`` (no group: a typical group).

    A stratified model's profile is in its first stratum (sorted labels; ``strata`` names the
    column). For an ``mm()`` model it is a typical coalition too (member term 0;
    fit/members.py).
    """
    out = data.covariates.mean().to_frame().T.reset_index(drop=True)
    if strata:
        out[strata] = sorted(data.groups[strata].astype(str))[0]
    out.attrs["mm"] = "typical"
    return out


def survival_times(info) -> np.ndarray:
    """Half, once and twice the internal time scale, in the data's unit."""
    return np.array([0.5, 1.0, 2.0]) * float(info.time_scale)


def survival_draws(ds, info, design, profile: pd.DataFrame) -> dict[str, np.ndarray]:
    """``"S(t=...)" -> draws`` at the profile (frailty effect 0)."""
    from coalsurv.fit.predict import Predictor

    times = survival_times(info)
    pred = Predictor(info, design, ds, max_draws=None)
    surv = pred.survival(times, profile, frailty="zero")[:, 0, :]  # (draw, time)
    return {f"S(t={t:.4g})": surv[:, j] for j, t in enumerate(times)}
