"""The cured share of a mixture-cure model for covariate profiles (:meth:`Fit.cure_fraction`).

``pi = 1 / (1 + exp(-(cure_intercept + Z_std @ cure_beta)))`` per posterior draw (the default
logit mixture; other links and the promotion-time model: :mod:`coalsurv.families.cure_links`),
for the rows of ``newdata`` given in original units (see :mod:`coalsurv.build.cure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, summarise
from coalsurv.errors import ArgumentError, SpecError
from coalsurv.families import NUMPY
from coalsurv.families.cure_links import log_cured_share

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["cure_fraction"]


def cure_fraction(fit: Fit, newdata: pd.DataFrame | None = None, *,
                  ci_prob: float = DEFAULT_CI_PROB, summary: bool = True):
    """Compute :meth:`coalsurv.Fit.cure_fraction` (see there)."""
    from coalsurv.fit.predictions import profiles

    ci_prob = check_ci_prob(ci_prob)
    if not isinstance(summary, bool | np.bool_):
        raise ArgumentError(f"summary must be True or False, got {summary!r}")
    if not fit.info.cure:
        raise SpecError("this model has no cure fraction; fit SurvivalModel(..., cure='1') "
                        "or cure='<covariates>' for a mixture-cure model")
    newdata = profiles(fit, newdata)
    lin = fit.predictor.cure_logit(newdata)
    info = fit.info
    draws = np.exp(log_cured_share(lin, getattr(info, "cure_link", "logit"),
                                   getattr(info, "cure_type", "mixture"), NUMPY))
    if not summary:
        import xarray as xr

        return xr.DataArray(draws, dims=["draw", "row"],
                            coords={"row": newdata.index.to_numpy()}, name="cure_fraction")
    stat = summarise(draws, ci_prob)
    out = pd.DataFrame({"row": newdata.index.to_numpy(), **stat, "ci_prob": ci_prob})
    out = out.merge(newdata, left_on="row", right_index=True, how="left")
    out.attrs.update(quantity="cure fraction", cure=fit.info.cure)
    return out
