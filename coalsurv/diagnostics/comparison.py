"""Model comparison by PSIS-LOO expected log predictive density."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.diagnostics.common import K_THRESHOLD
from coalsurv.errors import SpecError


def _named(fits) -> dict[str, Any]:
    if isinstance(fits, dict):
        named = {str(k): v for k, v in fits.items()}
    else:
        named = {}
        for fit in fits:
            base = name = fit.spec.label
            i = 2
            while name in named:
                name, i = f"{base} ({i})", i + 1
            named[name] = fit
    if len(named) < 2:
        raise SpecError(f"compare() needs at least two fits, got {len(named)}")
    return named


def compare(fits, *, method: str = "stacking") -> pd.DataFrame:
    """Rank models by PSIS-LOO expected log predictive density (``arviz_stats.compare``).

    Parameters
    ----------
    fits : dict of str to Fit, or list of Fit
        Fitted to the same data, modelling the same endings (labels from ``spec.label`` for a
        list).
    method : str
        Model-weighting method of ``arviz_stats.compare`` (``"stacking"``, ``"bb-pseudo-bma"``,
        ``"pseudo-bma"``).

    Returns
    -------
    DataFrame
        Indexed by model, best first, with arviz-stats' columns ``rank``, ``elpd_diff`` (this
        model minus the best, <= 0), ``dse`` (SE of the difference), ``p_worse``, ``diag_diff``,
        ``diag_elpd``, ``p``, ``elpd``, ``se``, ``weight``, plus ``family``, ``formula``,
        ``mm_weights`` (the weights of an ``mm()`` term, "" without one: aggregation
        mechanisms side by side) and ``n_bad_k`` (rows with Pareto k > 0.7). A difference
        smaller than about two ``dse`` does not separate the models.

    Raises
    ------
    SpecError
        Fewer than two fits, different data, or different modelled endings.
    """
    import arviz_stats as azs
    import xarray as xr

    from coalsurv.fit.pointwise import require_log_likelihood

    named = _named(fits)
    for name, fit in named.items():
        require_log_likelihood(fit, f"compare() of {name!r}")
    first = next(iter(named.values()))
    for name, fit in named.items():
        if fit.data_hash != first.data_hash:
            raise SpecError(f"compare(): {name!r} was fitted to different data than "
                            f"{next(iter(named))!r}; LOO comparison needs the same rows")
        if (fit.info.causes, fit.info.pooled) != (first.info.causes, first.info.pooled):
            raise SpecError(f"compare(): {name!r} models endings {list(fit.info.causes)}, "
                            f"{next(iter(named))!r} models {list(first.info.causes)}; their "
                            "likelihoods describe different outcomes")
    rescale = len({fit.info.time_scale for fit in named.values()}) > 1
    elpds = {}
    for name, fit in named.items():
        data = fit.idata
        if rescale:  # densities of t / tau -> densities of t in the data unit
            exact = np.asarray(fit.idata["constant_data"]["event_of"]).sum(axis=0) > 0
            ll = fit.idata["log_likelihood"].to_dataset()
            ll["lifespan"] = ll["lifespan"] - xr.DataArray(exact * np.log(fit.info.time_scale),
                                                           dims="obs")
            data = xr.DataTree.from_dict({"posterior": fit.idata["posterior"].to_dataset(),
                                          "log_likelihood": ll})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elpds[name] = azs.loo(data, pointwise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = azs.compare(elpds, method=method, round_to="none")
    table["family"] = [named[m].spec.family for m in table.index]
    table["formula"] = [named[m].spec.formula for m in table.index]
    table["mm_weights"] = [getattr(named[m].spec.mm_term, "weights", "") for m in table.index]
    table["n_bad_k"] = [int((np.asarray(elpds[m].pareto_k) > K_THRESHOLD).sum())
                        for m in table.index]
    table.index.name = "model"
    table.attrs.update(scale="log", criterion="PSIS-LOO elpd",
                       note="elpd in the data's time unit" if rescale else "")
    return table
