"""Predictions of a fit as tidy frames: survival, hazard, incidence, lifespans, contrasts.

The numbers come from :class:`~coalsurv.fit.predict.Predictor` (NumPy on posterior draws);
this module validates the inputs and lays the draws out as tidy pandas frames (``row``,
``time``, ``mean``, ``lower``, ``upper``, ``ci_prob`` and newdata's columns) or xarray draws.
:class:`~coalsurv.Fit`'s methods of the same names call these functions and document them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, check_times, summarise
from coalsurv.errors import ArgumentError, SpecError
from coalsurv.fit.averaging import average_over_rows
from coalsurv.fit.member_newdata import check_members, member_rows_of
from coalsurv.fit.newdata import check_newdata

if TYPE_CHECKING:  # pragma: no cover
    from coalsurv.fit.record import Fit

__all__ = ["contrast", "cumulative_incidence", "hazard", "median_lifespan", "predict_lifespans",
           "profiles", "rmst", "survival"]


def _cause_frame(values: dict[str, np.ndarray], index: pd.MultiIndex) -> pd.DataFrame:
    return pd.DataFrame({k: np.ravel(v) for k, v in values.items()}, index=index).reset_index()


def profiles(fit: Fit, newdata: pd.DataFrame | None, members=None) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.profiles` (see there)."""
    if newdata is None and members is not None:
        check_members(fit, None, members)  # refuses, naming what is needed
    if newdata is None:
        frame = fit.data.episode_profiles()
        mean = frame.mean(numeric_only=True).to_frame().T
        mean.attrs["mm"] = "typical"  # an mm() model's typical coalition (fit/members.py)
        return mean
    if isinstance(newdata, dict):
        try:
            newdata = pd.DataFrame(newdata)
        except (TypeError, ValueError) as exc:
            raise SpecError(f"newdata: this dict cannot be a table of profiles ({exc})") from None
    if not isinstance(newdata, pd.DataFrame):
        raise SpecError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    return check_newdata(fit, newdata)


def predictor_for(fit: Fit, newdata: pd.DataFrame | None, members):
    """Return the fit's predictor, for rows whose members are ``members`` when given."""
    if members is None:
        return fit.predictor
    return fit.predictor.with_members(check_members(fit, newdata, members))


def _tidy(fit: Fit, draws: np.ndarray, times, newdata: pd.DataFrame, ci_prob: float,
          causes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """(draw, [cause,] row, time) draws → tidy frame with newdata columns attached."""
    stat = summarise(draws, ci_prob)
    rows = newdata.index.to_numpy()
    if causes is None:
        idx = pd.MultiIndex.from_product([rows, times], names=["row", "time"])
    else:
        idx = pd.MultiIndex.from_product([list(causes), rows, times],
                                         names=["cause", "row", "time"])
    out = _cause_frame(stat, idx)
    out["ci_prob"] = ci_prob
    out = out.merge(newdata, left_on="row", right_index=True, how="left")
    out.attrs["time_unit"] = fit.time_unit
    return out


def _draws_xr(fit: Fit, draws: np.ndarray, times, newdata, name: str, causes=None):
    import xarray as xr

    dims = ["draw", "row", "time"] if causes is None else ["draw", "cause", "row", "time"]
    coords = {"row": newdata.index.to_numpy(), "time": times}
    if causes is not None:
        coords["cause"] = list(causes)
    return xr.DataArray(draws, dims=dims, coords=coords, name=name,
                        attrs={"time_unit": fit.time_unit})


def _check_flags(**flags) -> None:
    """Refuse options that must be True or False (a string such as "no" is truthy)."""
    bad = [f"{name} must be True or False, got {value!r}" for name, value in flags.items()
           if not isinstance(value, bool | np.bool_)]
    if bad:
        raise ArgumentError(bad[0] if len(bad) == 1 else "invalid options", bad[1:] and bad)


def _horizon(fit: Fit, horizon) -> float:
    """``horizon`` as a finite time > 0 in the data's unit (a Timedelta is converted)."""
    if isinstance(horizon, pd.Timedelta | np.timedelta64 | dt.timedelta):
        horizon = float(check_times(horizon, time_unit=fit.time_unit, name="horizon")[0])
    ok = isinstance(horizon, int | float | np.integer | np.floating) and not isinstance(
        horizon, bool | np.bool_)
    if not (ok and np.isfinite(horizon) and horizon > 0):
        raise ArgumentError(f"horizon must be a finite time > 0, got {horizon!r} (a number "
                            f"in {fit.time_unit}, or a pd.Timedelta)")
    return float(horizon)


#: Curve name -> (Predictor method, whether it has a cause dimension).
_CURVES = {"survival": ("survival", False), "hazard": ("hazard_by_cause", True),
           "cumulative_incidence": ("cumulative_incidence", True)}


def _curves(fit: Fit, name: str, times, newdata, *, ci_prob, summary, frailty,
            average=False, members=None):
    """Evaluate one curve on the draws: a tidy frame, or the draws when ``summary=False``.

    With ``average=True`` the curve is averaged over the rows of ``newdata`` per draw, in
    chunks of rows (:func:`coalsurv.fit.averaging.average_over_rows`), then summarised.
    """
    ci_prob = check_ci_prob(ci_prob)
    _check_flags(average=average, summary=summary)
    times = check_times(times, time_unit=fit.time_unit)
    newdata = profiles(fit, newdata, members)
    method, by_cause = _CURVES[name]
    predictor = predictor_for(fit, newdata, members)
    evaluate = getattr(predictor, method)
    causes = fit.info.causes if by_cause else None
    if average:
        n_eval = times.size if name != "cumulative_incidence" else 2 * (times.size + 400)

        def chunk(rows):
            pred = predictor if members is None else predictor_for(
                fit, rows, member_rows_of(members, rows))
            return getattr(pred, method)(times, rows, frailty=frailty)

        draws = average_over_rows(chunk, newdata, bytes_per_row=predictor.bytes_per_row(n_eval))
        return _average_output(fit, draws, times, newdata, name, causes, ci_prob, summary)
    draws = evaluate(times, newdata, frailty=frailty)
    if not summary:
        return _draws_xr(fit, draws, times, newdata, name, causes)
    return _tidy(fit, draws, times, newdata, ci_prob, causes)


def _average_output(fit: Fit, draws: np.ndarray, times, newdata, name, causes, ci_prob,
                    summary):
    """Population-average draws (draw, [cause,] time) as a tidy frame or a DataArray."""
    import xarray as xr

    n_rows = len(newdata)
    if not summary:
        dims = ["draw", "time"] if causes is None else ["draw", "cause", "time"]
        coords = {"time": times, **({"cause": list(causes)} if causes is not None else {})}
        return xr.DataArray(draws, dims=dims, coords=coords, name=name,
                            attrs={"time_unit": fit.time_unit, "average_over_rows": n_rows})
    stat = summarise(draws, ci_prob)
    if causes is None:
        idx = pd.Index(times, name="time")
    else:
        idx = pd.MultiIndex.from_product([list(causes), times], names=["cause", "time"])
    out = _cause_frame(stat, idx)
    out["ci_prob"] = ci_prob
    out["n_rows"] = n_rows
    out.attrs.update(time_unit=fit.time_unit, average_over_rows=n_rows)
    return out


def survival(fit: Fit, times, newdata: pd.DataFrame | None = None, *,
             ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
             frailty: str = "conditional", average: bool = False, members=None):
    """Compute :meth:`coalsurv.Fit.survival` (see there)."""
    return _curves(fit, "survival", times, newdata, ci_prob=ci_prob, summary=summary,
                   frailty=frailty, average=average, members=members)


def hazard(fit: Fit, times, newdata: pd.DataFrame | None = None, *,
           ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
           frailty: str = "conditional", average: bool = False, members=None):
    """Compute :meth:`coalsurv.Fit.hazard` (see there)."""
    return _curves(fit, "hazard", times, newdata, ci_prob=ci_prob, summary=summary,
                   frailty=frailty, average=average, members=members)


def cumulative_incidence(fit: Fit, times, newdata: pd.DataFrame | None = None, *,
                         ci_prob: float = DEFAULT_CI_PROB, summary: bool = True,
                         frailty: str = "conditional", average: bool = False, members=None):
    """Compute :meth:`coalsurv.Fit.cumulative_incidence` (see there)."""
    return _curves(fit, "cumulative_incidence", times, newdata, ci_prob=ci_prob,
                   summary=summary, frailty=frailty, average=average, members=members)


def _per_row(fit: Fit, draws: np.ndarray, newdata, ci_prob, name) -> pd.DataFrame:
    stat = summarise(draws, ci_prob)
    out = pd.DataFrame({"row": newdata.index.to_numpy(), **stat, "ci_prob": ci_prob,
                        "unit": fit.time_unit})
    out = out.merge(newdata, left_on="row", right_index=True, how="left")
    out.attrs.update(time_unit=fit.time_unit, quantity=name)
    return out


def median_lifespan(fit: Fit, newdata: pd.DataFrame | None = None, *,
                    ci_prob: float = DEFAULT_CI_PROB, frailty: str = "conditional",
                    members=None):
    """Compute :meth:`coalsurv.Fit.median_lifespan` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    newdata = profiles(fit, newdata, members)
    draws = predictor_for(fit, newdata, members).quantile(0.5, newdata, frailty=frailty)
    return _per_row(fit, draws, newdata, ci_prob, "median lifespan")


def rmst(fit: Fit, horizon: float, newdata: pd.DataFrame | None = None, *,
         ci_prob: float = DEFAULT_CI_PROB, frailty: str = "conditional", members=None):
    """Compute :meth:`coalsurv.Fit.rmst` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    horizon = _horizon(fit, horizon)
    newdata = profiles(fit, newdata, members)
    draws = predictor_for(fit, newdata, members).rmst(horizon, newdata, frailty=frailty)
    return _per_row(fit, draws, newdata, ci_prob, f"RMST to {horizon:g}")


def contrast(fit: Fit, variable: str, values: tuple[float, float], *, times=None,
             newdata: pd.DataFrame | None = None, quantity: str = "median",
             ci_prob: float = DEFAULT_CI_PROB, members=None) -> pd.DataFrame:
    """Compute :meth:`coalsurv.Fit.contrast` (see there)."""
    ci_prob = check_ci_prob(ci_prob)
    problems = []
    if quantity not in ("median", "rmst", "survival"):
        problems.append(f"quantity={quantity!r}; expected 'median', 'rmst' or 'survival'")
    pair = list(values) if isinstance(values, list | tuple | np.ndarray | pd.Series) else None
    if pair is None or len(pair) != 2 or not all(
            isinstance(v, int | float | np.integer | np.floating)
            and not isinstance(v, bool | np.bool_) and np.isfinite(v) for v in pair):
        problems.append(f"values must be two finite numbers (from, to) for {variable!r}, "
                        f"got {values!r:.60}")
    if quantity == "rmst" and times is None:
        problems.append("contrast(quantity='rmst') needs times=[horizon]")
    if problems:
        raise ArgumentError(f"contrast of {variable!r}: invalid arguments", problems)
    base = profiles(fit, newdata, members)
    predictor = predictor_for(fit, base, members)
    if variable not in base.columns:
        raise SpecError(f"contrast: {variable!r} is not a column of newdata: {list(base.columns)}")
    if variable not in fit.data.covariate_names:
        raise SpecError(f"contrast: {variable!r} is not a covariate of the fitting data "
                        f"({list(fit.data.covariate_names)}); contrasts set a numeric covariate")
    lo, hi = (base.copy(), base.copy())
    lo[variable], hi[variable] = (float(v) for v in pair)
    if quantity == "median":
        a, b = (predictor.quantile(0.5, d) for d in (lo, hi))
    elif quantity == "rmst":
        t = check_times(times, time_unit=fit.time_unit)
        horizon = _horizon(fit, float(t.max()))
        a, b = (predictor.rmst(horizon, d) for d in (lo, hi))
    else:
        t = check_times(times if times is not None else [np.median(fit.data.time)],
                        time_unit=fit.time_unit)
        a, b = (predictor.survival(t, d) for d in (lo, hi))
    rows = []
    for label, d in (("from", a), ("to", b), ("difference", b - a)):
        s = summarise(d, ci_prob)
        flat = {k: np.ravel(v) for k, v in s.items()}
        part = pd.DataFrame(flat)
        part.insert(0, "what", label)
        part.insert(1, "row", np.repeat(base.index.to_numpy(), d.shape[-1] if d.ndim == 3 else 1))
        if d.ndim == 3:
            part.insert(2, "time", np.tile(t, len(base)))
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    out["ci_prob"] = ci_prob
    out.attrs.update(variable=variable, values=tuple(values), quantity=quantity,
                     time_unit=fit.time_unit)
    return out


def predict_lifespans(fit: Fit, newdata: pd.DataFrame | None = None, *, random_seed: int = 0,
                      frailty: str = "conditional", members=None):
    """Compute :meth:`coalsurv.Fit.predict_lifespans` (see there)."""
    import xarray as xr

    if not isinstance(random_seed, int | np.integer) or isinstance(random_seed, bool) or (
            random_seed < 0):
        raise ArgumentError(f"random_seed must be an integer >= 0, got {random_seed!r}")
    newdata = profiles(fit, newdata, members)
    rng = np.random.default_rng(random_seed)
    predictor = predictor_for(fit, newdata, members)
    times, cause = predictor.sample_lifetimes(newdata, rng=rng, frailty=frailty)
    return xr.Dataset(
        {"lifespan": (("draw", "row"), times), "cause": (("draw", "row"), cause)},
        coords={"row": newdata.index.to_numpy()},
        attrs={"time_unit": fit.time_unit, "causes": list(fit.info.causes)})
