"""State occupancy of a multi-state fit on posterior draws (NumPy).

``clock="forward"`` (Markov): the transition probability matrix is the product integral of the
cumulative transition hazards, evaluated per draw on a fine grid. Each step moves, out of state
``r``, the fraction ``1 - exp(-sum_s dA_rs)`` split over targets in proportion to ``dA_rs``
(exact for hazards constant within a step, and the probabilities stay in [0, 1] and sum to 1).

``clock="reset"`` (semi-Markov): paths are simulated per draw (``n_paths`` per draw and row,
seeded): in each state the latent sojourn time of every transition out of it is drawn from its
family (inverse-transform sampling with the draw's parameters), the smallest wins. Paths run
until they are absorbed or pass the last time asked for, however many steps that takes, so
recurrent states (``A -> B -> A``) are followed to the horizon.

Arrays are ``(draw, row, state, time)``. Draws of different transitions are paired by index
(their posteriors are independent); frailty is handled per transition as in
:class:`~coalsurv.fit.predict.Predictor` (conditional on known levels, integrated otherwise;
simulated paths draw the unknown group effect once per path and transition, or once per path
for a frailty shared by the transitions of a joint fit). With a group
effect integrated out, the forward clock's product integral uses each transition's
population-averaged hazard: exact for the occupancy of the first state and for the flows out
of it, an approximation for later states (it ignores that one unit keeps its effect across
its sojourn); give the group column, or ``frailty="zero"``, for conditional curves.
"""

from __future__ import annotations

import numpy as np

from coalsurv.fit.predict import Predictor

__all__ = ["forward_occupancy", "simulated_occupancy", "MAX_STEPS"]


def _predictors(fits: dict, max_draws: int) -> tuple[dict[str, Predictor], int]:
    """One predictor per transition: a Fit's own, or a joint fit's view of the transition.

    A value with a ``transition_predictor(max_draws)`` method (a transition of a joint fit,
    :class:`coalsurv.fit.multistate_joint.JointTransition`) gives its own.
    """
    n = min(f.idata["posterior"].sizes["chain"] * f.idata["posterior"].sizes["draw"]
            for f in fits.values())
    preds = {k: f.transition_predictor(min(n, max_draws))
             if hasattr(f, "transition_predictor") else
             Predictor(f.info, f.design, f.idata["posterior"], max_draws=min(n, max_draws))
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


#: Most steps (transitions of the busiest path) a simulation may take before it is refused.
MAX_STEPS = 1_000_000


def simulated_occupancy(fits: dict, transitions: dict, newdata, *, start: str,
                        times: np.ndarray, order: tuple[str, ...], n_paths: int,
                        rng: np.random.Generator, max_draws: int = 1000,
                        frailty: str = "conditional", max_steps: int = MAX_STEPS) -> np.ndarray:
    """Fraction of simulated semi-Markov paths in each state at ``times`` (reset clock).

    ``n_paths`` paths per draw and row start in ``start`` at 0 and move until they reach an
    absorbing state or pass ``max(times)``, however many steps that takes (recurrent states,
    ``A -> B -> A``, included). Only the paths still moving are simulated at each step; each
    move adds -1 / +1 to the occupancy counts of the times at and after it (a difference array
    summed over time at the end), so no path history is stored.

    Returns
    -------
    ndarray, shape (draw, row, state, time)
        States in ``order``.

    Raises
    ------
    ArgumentError
        When some path needs more than ``max_steps`` moves to reach ``max(times)`` (posterior
        draws that cycle through states far faster than the horizon).
    """
    from coalsurv.errors import ArgumentError

    preds, s_draws = _predictors(fits, max_draws)
    states = list(order)
    m, n_states, n_times = len(newdata), len(states), times.size
    shape = (s_draws, m, n_paths)
    n = s_draws * m * n_paths
    cell = np.arange(n) // n_paths            # (draw, row) cell of each path, flat
    draw_of, row_of = cell // m, cell % m
    sim = {}
    # a frailty shared by the transitions (a joint fit) is drawn once per path for all of them
    common = (rng.standard_normal(shape) if any(getattr(p, "shared_frailty", False)
                                                 for p in preds.values()) else None)
    for key, pred in preds.items():
        eta, free_sd = pred.eta(newdata, frailty=frailty)
        z = common if getattr(pred, "shared_frailty", False) else rng.standard_normal(shape)
        e = eta[:s_draws, 0, :, None] + free_sd[:s_draws, 0, :, None] * z
        # (S, 1 or row[, K]): a stratified parameter (a joint fit's transition) is per row
        params = {name: v[:s_draws].reshape((s_draws, v.shape[1]) + v.shape[4:])
                  for name, v in pred.params(0, newdata if pred.info.strata else None).items()}
        t = transitions[key]
        sim[key] = (e.ravel(), params, pred.info.time_scale, states.index(t.source),
                    states.index(t.target))
    sources = np.array(sorted({src for _, _, _, src, _ in sim.values()}))
    code = np.full(n, states.index(start), dtype=np.int64)
    now = np.zeros(n)
    t_max = float(np.max(times))
    size = s_draws * m * n_states * (n_times + 1)
    diff = np.zeros(size)                     # counts' changes at the first time >= a move
    alive = np.flatnonzero(np.isin(code, sources) & (now < t_max))
    steps = 0
    while alive.size:
        steps += 1
        if steps > max_steps:
            raise ArgumentError(
                f"times: simulated paths need more than {max_steps} transitions to reach "
                f"{t_max:g}; the posterior draws move between states far faster than the "
                "horizon (ask for earlier times, or check the fit)")
        here_code = code[alive]
        best = np.full(alive.size, np.inf)
        target = here_code.copy()
        for key, (e, params, tau, src, dst) in sim.items():
            here = np.flatnonzero(here_code == src)
            if not here.size:
                continue
            idx = alive[here]
            d, r = draw_of[idx], row_of[idx]
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                draw = preds[key].family.rvs(
                    e[idx], rng=rng,
                    **{k: v[d, r if v.shape[1] > 1 else 0] for k, v in params.items()}) * tau
            better = draw < best[here]
            best[here[better]] = draw[better]
            target[here[better]] = dst
        moved = np.isfinite(best)
        idx = alive[moved]
        now[idx] += best[moved]
        j = np.searchsorted(times, now[idx], side="left")   # first reported time >= the move
        base = cell[idx] * n_states
        flat_from = (base + code[idx]) * (n_times + 1) + j
        flat_to = (base + target[moved]) * (n_times + 1) + j
        np.add.at(diff, flat_to, 1.0)
        np.add.at(diff, flat_from, -1.0)
        code[idx] = target[moved]
        alive = idx[np.isin(code[idx], sources) & (now[idx] < t_max)]
    counts = np.cumsum(diff.reshape(s_draws, m, n_states, n_times + 1), axis=-1)[..., :n_times]
    counts[:, :, states.index(start)] += n_paths
    return counts / n_paths
