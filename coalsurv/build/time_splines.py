"""Smooth time-varying effects ``tve(x, type="bs", df=D)``: spline basis, knots, quadrature.

The per-SD coefficient of ``x`` on cause ``k``'s log hazard is a cubic spline in log time
``s = log t`` (model time scale)::

    beta_k,x(t) = beta_k,x + sum_j dev_k,x[j] B_j(s*),     s* = clip(s, s_lo, s_hi)
    d[0] = 0,  d[j] = d[j-1] + tve_sd_k,x * tve_step[j]             (random walk, j = 1..D)
    dev = d - sum_j c_j d_j,    c_j = mean of B_j over [s_lo, s_hi]  (uniform in log time)

``B_j`` (``j = 0..D``) is a basis with ``sum_j B_j = 1`` (a partition of unity): the natural
cubic spline's cardinal basis at ``D + 1`` knots (``basis="natural"``: ``B_j`` is the natural
spline through 1 at knot ``j`` and 0 at the others; ``d`` are the effect's values at the
knots) or the cubic B-splines of ``D - 3`` interior knots (``basis="bspline"``; degree
``min(3, D)``). So a random walk with ``tve_sd -> 0`` gives a constant effect (the prior
shrinks towards proportional hazards), and ``beta`` is the average log hazard ratio over log
time between the first and the last event (``sum_j c_j dev_j = 0``). ``D = 1`` is log-linear.
Outside the boundary knots (the first and last event time of any modelled ending) the effect
is constant (``s`` is clamped): no extrapolation of a slope to ``t -> 0`` or beyond follow-up.

Cumulative hazard (proportional-hazards families): ``H_i(entry, t) = int exp(x_i f(u))
dH_k(u)`` is a midpoint rule on a grid of cells shared by the rows: cell bounds equally
spaced in log time between the boundary knots (at most :data:`CELL_WIDTH` wide), plus ``0``,
``inf``, the piecewise baseline's and the piecewise tve terms' cut points. On the part of a
cell inside ``(entry_i, t_i]`` the family's cumulative hazard difference (exact) is weighted
by ``exp(x f)`` at that part's log-midpoint; piecewise terms are constant on every cell, so
they stay exact. Checked against ``scipy.integrate.quad`` (tests/fit/test_time_splines.py).
"""

from __future__ import annotations

import numpy as np

from coalsurv.spec.time_terms import TveTerm

__all__ = ["CELL_WIDTH", "grid_bounds", "row_cells", "spline_basis", "spline_centre",
           "spline_knots"]

#: Widest quadrature cell, in log time (model scale).
CELL_WIDTH = 0.05
_MIN_CELLS = 16


def spline_degree(df: int, basis: str) -> int:
    """Polynomial degree of the spline pieces (:attr:`coalsurv.spec.TveTerm.degree`)."""
    return TveTerm("x", df, "bs", basis).degree


def spline_knots(name: str, df: int, basis: str, log_events: np.ndarray) -> tuple[
        list[float], list[str]]:
    """Knots in log model time: boundary at the extreme log event times, interior quantiles.

    Returns the knots and the problems (a term whose data cannot carry ``df``): fewer
    distinct event times than ``df + 2``, or interior knots that tie.
    """
    distinct = np.unique(np.asarray(log_events, dtype=float))
    if distinct.size < df + 2:
        return [], [f"tve({name}, df={df}): {distinct.size} distinct event times cannot "
                    f"carry a spline with {df} degrees of freedom (need at least {df + 2}); "
                    "use a smaller df="]
    n = TveTerm(name, df, "bs", basis).n_knots
    probs = np.linspace(0.0, 1.0, n)
    knots = np.quantile(np.asarray(log_events, dtype=float), probs)
    knots[0], knots[-1] = distinct[0], distinct[-1]
    if np.any(np.diff(knots) <= 0):
        return [], [f"tve({name}, df={df}): the event-time quantiles that place its "
                    f"{n - 2} interior knot(s) tie (many tied event times); use a smaller df="]
    return [float(k) for k in knots], []


def spline_basis(s, knots, basis: str, df: int) -> np.ndarray:
    """Basis ``B_j(clip(s))`` (``len(s)``, ``df + 1``); rows sum to one.

    Parameters
    ----------
    s : array_like
        Log times (model scale), any finite values (clamped to the boundary knots).
    knots : sequence of float
        Boundary and interior knots (:func:`spline_knots`).
    basis : {"natural", "bspline"}
    df : int
    """
    from scipy.interpolate import BSpline, CubicSpline

    k = np.asarray(knots, dtype=float)
    x = np.clip(np.asarray(s, dtype=float).ravel(), k[0], k[-1])
    if basis == "natural":
        out = CubicSpline(k, np.eye(k.size), bc_type="natural")(x)
    else:
        degree = spline_degree(df, basis)
        t = np.concatenate([[k[0]] * degree, k, [k[-1]] * degree])
        out = BSpline.design_matrix(x, t, degree).toarray()
    return np.asarray(out, dtype=float).reshape(np.shape(s) + (df + 1,))


def spline_centre(knots, basis: str, df: int) -> list[float]:
    """Mean of each basis function over ``[s_lo, s_hi]`` (uniform in log time)."""
    s = np.linspace(knots[0], knots[-1], 4001)
    values = spline_basis(s, knots, basis, df)
    return [float(v) for v in np.trapezoid(values, s, axis=0) / (knots[-1] - knots[0])]


def grid_bounds(splines: dict[str, dict], knots: dict[str, list[float]],
                cuts: list[float]) -> np.ndarray:
    """Interior cell bounds (model time, finite, > 0) of the shared quadrature grid.

    Equally spaced in log time between the lowest and highest boundary knot of the spline
    terms (cells at most :data:`CELL_WIDTH` wide, at least 16), joined with ``cuts`` (the
    piecewise baseline's and the piecewise tve terms' cut points).
    """
    lo = min(knots[name][0] for name in splines)
    hi = max(knots[name][-1] for name in splines)
    m = max(_MIN_CELLS, int(np.ceil((hi - lo) / CELL_WIDTH)))
    grid = np.exp(np.linspace(lo, hi, m + 1))
    return np.unique(np.concatenate([grid, np.asarray(cuts, dtype=float)]))


def row_cells(bounds: np.ndarray, entry, time) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cell end points and the log-midpoints of its parts of the cells.

    Returns
    -------
    points : ndarray, shape (row, cell + 1)
        ``clip([0, *bounds, inf], entry_i, time_i)``.
    mids : ndarray, shape (row, cell)
        Log-midpoint of each part (``log`` of 0 read as the lowest bound, of ``inf`` as the
        highest; a part of zero width gets its cell's value, which the rule weights by 0).
    """
    full = np.concatenate([[0.0], bounds, [np.inf]])
    entry = np.asarray(entry, dtype=float)[:, None]
    time = np.asarray(time, dtype=float)[:, None]
    points = np.clip(full[None, :], entry, time)
    with np.errstate(divide="ignore"):
        logs = np.log(np.where(points > 0, points, bounds[0]))
    empty = points[:, 1:] <= points[:, :-1]
    cell_mid = 0.5 * (np.log(np.r_[bounds[0], bounds]) + np.log(np.r_[bounds, bounds[-1]]))
    mids = np.where(empty, cell_mid[None, :], 0.5 * (logs[:, :-1] + logs[:, 1:]))
    return points, mids


def grid_arrays(info, entry, time) -> dict[str, np.ndarray]:
    """Return the grid likelihood's data: the rows' cell points, per term its basis or index.

    Keys: ``points`` (row, cell + 1); per term ``q``: ``basis_time_q`` (row, df + 1) and
    ``basis_cells_q`` (row, cell, df + 1) for a smooth term, or ``index_time_q`` (row,) and
    ``index_cells_q`` (cell,) (the interval of each row's time and of each cell) for a
    piecewise one.
    """
    from coalsurv.build.time_terms import tve_interval_index

    bounds = tve_bounds(info)
    points, mids = row_cells(bounds, entry, time)
    out = {"points": points}
    upper = np.concatenate([bounds, [np.inf]])
    for q, (name, values) in enumerate(info.tve.items()):
        spline = info.tve_splines.get(name)
        if spline is not None:
            basis, df = spline["basis"], int(spline["df"])
            with np.errstate(divide="ignore"):
                out[f"basis_time_{q}"] = spline_basis(np.log(np.maximum(time, 1e-300)),
                                                      values, basis, df)
            out[f"basis_cells_{q}"] = spline_basis(mids, values, basis, df)
        else:
            out[f"index_time_{q}"] = tve_interval_index(values, time)
            out[f"index_cells_{q}"] = np.where(np.isfinite(upper),
                                               tve_interval_index(values, upper), len(values))
    return out


def tve_bounds(info) -> np.ndarray:
    """Return the grid's interior cell bounds for a model's ``info`` (:func:`grid_bounds`)."""
    cuts = list(info.cuts) + [c for name, values in info.tve.items()
                              if name not in info.tve_splines for c in values]
    return grid_bounds(info.tve_splines, info.tve, cuts)


def grid_loglik(family, fam_params, eta, n_causes, time, event_of, *, x_tve, devs, data,
                info):
    """Log-likelihood of each episode with smooth (and piecewise) tve terms, over causes.

    ``sum_k [d_ik (log h_k(t_i) + x_i f_k(t_i)) - sum_c exp(x_i f_k(m_ic)) dH_k,ic]``, with
    ``dH_k,ic`` the family's cumulative hazard over row ``i``'s part of cell ``c`` and
    ``m_ic`` that part's log-midpoint (module docstring). ``data``: the :func:`grid_arrays`
    as graph data; ``devs``: one (cause, coefficient or interval) tensor per term.
    """
    import pytensor.tensor as pt

    from coalsurv.families import PYTENSOR

    vector = {p.name for p in family.parameters if p.vector}
    points = data["points"]
    total = 0.0
    for k in range(n_causes):
        params_k = {name: value[k] for name, value in fam_params.items()}
        rows = {name: (v[:, None] if name not in vector and v.ndim == 1 else v)
                for name, v in params_k.items()}
        log_s = family.log_survival(points, eta[k][:, None], xp=PYTENSOR, **rows)
        d_h = log_s[:, :-1] - log_s[:, 1:]
        shift_cells, shift_time = 0.0, 0.0
        for q, (name, dev) in enumerate(zip(info.tve, devs, strict=True)):
            x = x_tve[:, q]
            if name in info.tve_splines:
                f_cells = pt.tensordot(data[f"basis_cells_{q}"], dev[k], axes=[[2], [0]])
                f_time = pt.dot(data[f"basis_time_{q}"], dev[k])
            else:
                f_cells = dev[k][data[f"index_cells_{q}"]][None, :]
                f_time = dev[k][data[f"index_time_{q}"]]
            shift_cells = shift_cells + x[:, None] * f_cells
            shift_time = shift_time + x * f_time
        cum = pt.sum(pt.exp(shift_cells) * d_h, axis=1)
        log_h = family.log_hazard(time, eta[k], xp=PYTENSOR, **params_k) + shift_time
        total = total + event_of[k] * log_h - cum
    return total
