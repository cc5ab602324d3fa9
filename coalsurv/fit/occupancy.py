"""State occupancy of a multi-state fit on posterior draws (NumPy).

``clock="forward"`` (Markov): the transition probability matrix is the product integral of the
cumulative transition hazards, evaluated per draw on a fine grid. Each step moves, out of state
``r``, the fraction ``1 - exp(-sum_s dA_rs)`` split over targets in proportion to ``dA_rs``
(exact for hazards constant within a step, and the probabilities stay in [0, 1] and sum to 1).

``clock="reset"`` (semi-Markov): paths are simulated per draw (``n_paths`` per draw and row,
seeded): in each state the latent sojourn time of every transition out of it is drawn from its
family (inverse-transform sampling with the draw's parameters), the smallest wins.

Arrays are ``(draw, row, state, time)``. Draws of different transitions are paired by index
(their posteriors are independent); frailty is handled per transition as in
:class:`~coalsurv.fit.predict.Predictor` (conditional on known levels, integrated otherwise;
simulated paths draw the unknown group effect once per path and transition). With a group
effect integrated out, the forward clock's product integral uses each transition's
population-averaged hazard: exact for the occupancy of the first state and for the flows out
of it, an approximation for later states (it ignores that one unit keeps its effect across
its sojourn); give the group column, or ``frailty="zero"``, for conditional curves.
"""

from __future__ import annotations

import numpy as np

from coalsurv.fit.predict import Predictor

__all__ = ["forward_occupancy", "simulate_paths", "path_occupancy"]


def _predictors(fits: dict, max_draws: int) -> tuple[dict[str, Predictor], int]:
    n = min(f.idata["posterior"].sizes["chain"] * f.idata["posterior"].sizes["draw"]
            for f in fits.values())
    preds = {k: Predictor(f.info, f.design, f.idata["posterior"], max_draws=min(n, max_draws))
             for k, f in fits.items()}
    s = min(p.n_draws for p in preds.values())
    return preds, s


def forward_occupancy(fits: dict, transitions: dict, states: tuple[str, ...], newdata, *,
                      start: str, t_from: float, times: np.ndarray, n_grid: int = 400,
                      max_draws: int = 1000, frailty: str = "conditional") -> np.ndarray:
    """P(state at t | ``start`` at ``t_from``) by the product integral: (draw, row, state, time).

    Parameters
    ----------
    fits : dict of str to Fit
        One fit per transition key (the forward clock).
    transitions : dict of str to Transition
    states : tuple of str
    newdata : DataFrame
    start : str
    t_from : float
        Time (since the first state) at which the unit is in ``start``.
    times : ndarray
        Times >= ``t_from`` at which to report.
    """
    preds, s_draws = _predictors(fits, max_draws)
    t_max = float(np.max(times))
    grid = np.unique(np.concatenate([np.linspace(t_from, t_max, n_grid), times]))
    m = len(newdata)
    index = {st: i for i, st in enumerate(states)}
    d_a = {}
    for key, pred in preds.items():
        log_s = pred.log_survival_by_cause(grid, newdata, frailty=frailty)[:s_draws, 0]
        inc = -np.diff(log_s, axis=-1)
        d_a[key] = np.where(np.isfinite(inc), np.maximum(inc, 0.0), 0.0)  # (S, m, G-1)
    p = np.zeros((s_draws, m, len(states)))
    p[:, :, index[start]] = 1.0
    wanted = np.searchsorted(grid, times)
    out = np.empty((s_draws, m, len(states), times.size))
    out[..., wanted == 0] = p[..., None]
    out_of: dict[str, list[str]] = {}
    for key, t in transitions.items():
        out_of.setdefault(t.source, []).append(key)
    for j in range(grid.size - 1):
        new = p.copy()
        for source, keys in out_of.items():
            r = index[source]
            rates = np.stack([d_a[k][:, :, j] for k in keys], axis=-1)  # (S, m, n_out)
            total = rates.sum(axis=-1)
            leave = -np.expm1(-total)
            share = np.divide(rates, total[..., None], out=np.zeros_like(rates),
                              where=total[..., None] > 0)
            moved = p[:, :, r] * leave
            new[:, :, r] -= moved
            for q, k in enumerate(keys):
                new[:, :, index[transitions[k].target]] += moved * share[..., q]
        p = new
        hit = wanted == j + 1
        if hit.any():
            out[..., hit] = p[..., None]
    return out


def simulate_paths(fits: dict, transitions: dict, newdata, *, start: str, t_max: float,
                   n_paths: int, rng: np.random.Generator, max_draws: int = 1000,
                   frailty: str = "conditional", max_steps: int = 50):
    """Simulate semi-Markov paths per draw and row up to ``t_max`` (reset clock).

    Returns
    -------
    states : list of str
        State labels indexed by the codes below.
    codes, entered : ndarray, shape (step, draw, row, path)
        State code and entry time after each step (step 0: ``start`` at 0); a path that has
        stopped repeats its last state with entry time ``inf``.
    """
    preds, s_draws = _predictors(fits, max_draws)
    states: list[str] = [start]
    for t in transitions.values():
        for st in (t.source, t.target):
            if st not in states:
                states.append(st)
    m = len(newdata)
    shape = (s_draws, m, n_paths)
    latent_eta = {}
    for key, pred in preds.items():
        eta, free_sd = pred.eta(newdata, frailty=frailty)
        e = eta[:s_draws, 0, :, None] + free_sd[:s_draws, 0, :, None] * rng.standard_normal(shape)
        params = {n: v[:s_draws, 0] for n, v in pred.params(0).items()}  # (S, 1, 1[, K])
        latent_eta[key] = (e, params, pred.info.time_scale)
    code = np.zeros(shape, dtype=np.int64)
    now = np.zeros(shape)
    codes, entered = [code.copy()], [now.copy()]
    sources = {states.index(t.source) for t in transitions.values()}
    for _ in range(max_steps):
        alive = np.isin(code, list(sources)) & (now < t_max)
        if not alive.any():
            break
        best = np.full(shape, np.inf)
        target = code.copy()
        for key, t in transitions.items():
            e, params, tau = latent_eta[key]
            here = alive & (code == states.index(t.source))
            if not here.any():
                continue
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                draw = fits[key].family.rvs(e, rng=rng, **params) * tau
            better = here & (draw < best)
            best = np.where(better, draw, best)
            target = np.where(better, states.index(t.target), target)
        moved = alive & np.isfinite(best)
        now = np.where(moved, now + best, np.inf)
        code = np.where(moved, target, code)
        codes.append(code.copy())
        entered.append(np.where(moved, now, np.inf))
    return states, np.stack(codes), np.stack(entered)


def path_occupancy(states: list[str], codes: np.ndarray, entered: np.ndarray,
                   times: np.ndarray, *, order: tuple[str, ...]) -> np.ndarray:
    """Fraction of each draw's paths in each state at ``times``: (draw, row, state, time)."""
    n_steps, s_draws, m, _ = codes.shape
    current = np.empty(codes.shape[1:] + (times.size,), dtype=np.int64)
    for j, t in enumerate(times):
        # the last step entered at or before t (step 0 is entered at 0)
        reached = entered <= t  # (step, S, m, P)
        last = n_steps - 1 - np.argmax(reached[::-1], axis=0)
        current[..., j] = np.take_along_axis(codes, last[None], axis=0)[0]
    out = np.empty((s_draws, m, len(order), times.size))
    for i, st in enumerate(order):
        out[:, :, i] = (current == states.index(st)).mean(axis=2) if st in states else 0.0
    return out
