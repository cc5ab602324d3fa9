r"""Episode likelihood of time-varying covariates (spells) for every family, cure and interval.

An episode ``i`` has spells ``j`` on ``(a_ij, b_ij]`` with linear predictors ``eta_ij``
(:mod:`coalsurv.build.spells`); ``J`` is its last spell, the one at exit. Its survival curve
``S_i(t)`` depends on the family's kind:

* proportional hazards (each spell adds its own cumulative hazard)::

      log S_i(t) = -sum_j [H(min(b_ij, t) | eta_ij) - H(min(a_ij, t) | eta_ij)]
      log h_i(t) = log h(t | eta_iJ)                                   (t in the last spell)

* accelerated failure time (Cox & Oakes 1984, sec. 5.2: the clock runs at rate
  ``exp(-eta(s))``, ``S_i(t) = S_0(u_i(t))`` with ``u_i(t) = int_0^t exp(-eta_i(s)) ds``). With
  ``S(t | eta) = S_0(t e^{-eta})`` for every AFT family, this is the family at the last spell's
  ``eta_iJ`` evaluated at the *equivalent time*::

      tau_i(t) = sum_j exp(eta_iJ - eta_ij) |(a_ij, b_ij] n (0, t]|      (= u_i(t) e^{eta_iJ})
      log S_i(t) = log S(tau_i(t) | eta_iJ)
      log h_i(t) = log h(tau_i(t) | eta_iJ)       (d tau / dt = 1 in the last spell)

  With one spell from 0, ``tau_i(t) = t`` exactly and this is the ordinary AFT likelihood.
  Only the family's own ``log_survival`` / ``log_hazard`` / ``log_cdf`` / ``log_interval``
  are used, so it holds for every AFT family (Weibull, log-normal, log-logistic, gamma,
  generalised gamma).

The episode's log-likelihood is then the usual one: ``d log h_i(t) + log S_i(t) - log
S_i(entry)``, or ``log(S_i(lower) - S_i(upper)) - log S_i(entry)`` for an interval-censored
ending (its spells run to the upper bound); with a cure fraction :class:`SpellCurve` is the
uncured curve ``S_u`` of :func:`coalsurv.build.cure.cure_loglik`. The last spell is extended
past exit (``b_iJ = inf``) so that every time has a value; only the interval's upper bound is
ever evaluated there.

An AFT survival at ``t`` depends on the covariate path from time 0, and so does a cured share's
mixture (``S(entry) = pi + (1 - pi) S_u(entry)`` needs the whole ``S_u(entry)``): for those
models an episode with delayed entry must have spells from 0
(:func:`coalsurv.build.spells.check_spell_model`).
Under proportional hazards without cure the path before the first spell cancels.
"""

from __future__ import annotations

import numpy as np

from coalsurv.families import PYTENSOR

__all__ = ["SpellCurve", "spell_curve_data", "spell_curves", "spell_episode_loglik"]


def spell_curve_data(design, data, time_scale: float) -> dict:
    """``pm.Data`` of the spell curve (call inside the model context).

    ``spell_from`` = ``max(a_ij, 0)``, ``spell_to`` = ``b_ij`` (``inf`` for the last spell),
    ``spell_is_last`` (1.0 on each episode's last spell), ``spell_last_of`` (the last spell of
    each episode), all on the model's time scale.
    """
    import pymc as pm

    sp = design.spells
    last_of = np.zeros(data.n, dtype=np.int64)
    last_of[sp.episode[sp.last]] = np.flatnonzero(sp.last)
    return {
        "episode": pm.Data("spell_episode_of", sp.episode, dims="spell"),
        "from": pm.Data("spell_from", np.maximum(sp.start, 0.0) / time_scale, dims="spell"),
        "to": pm.Data("spell_to", np.where(sp.last, np.inf, sp.stop / time_scale),
                      dims="spell"),
        "is_last": pm.Data("spell_is_last", sp.last.astype(float), dims="spell"),
        "last_of": pm.Data("spell_last_of", last_of, dims="obs"),
        "n": data.n,
    }


class SpellCurve:
    """Survival curve of each episode over its spells, for one cause (module docstring).

    Parameters
    ----------
    family : Family
        Proportional hazards or AFT.
    params : dict
        The cause's ancillary parameters (scalars, per spell row, or a baseline vector).
    eta : tensor, shape (spell,)
        The cause's linear predictor on the spell rows.
    data : dict
        :func:`spell_curve_data`.
    exit : tensor, shape (obs,)
        The exit times: the only times :meth:`log_hazard` is asked about.
    """

    def __init__(self, family, params: dict, eta, data: dict, exit):
        self.family, self.params, self.eta, self.d, self.exit = family, params, eta, data, exit

    def _sum(self, rows):
        """Sum a spell-row tensor into its episodes."""
        import pytensor.tensor as pt

        return pt.zeros(self.d["n"])[self.d["episode"]].inc(rows)

    def _last(self, rows):
        """Return the value of each episode's last spell row."""
        import pytensor.tensor as pt

        return self._sum(pt.switch(pt.gt(self.d["is_last"], 0), rows, 0.0))

    def equivalent_time(self, t):
        """``tau_i(t)`` of an AFT family, gathered onto the spell rows."""
        import pytensor.tensor as pt

        ep = self.d["episode"]
        eta_last = self.eta[self.d["last_of"]][ep]
        length = pt.maximum(pt.minimum(self.d["to"], t[ep]) - self.d["from"], 0.0)
        return self._sum(pt.exp(eta_last - self.eta) * length)[ep]

    def _fam(self, method: str, *times):
        return getattr(self.family, method)(*times, self.eta, xp=PYTENSOR, **self.params)

    def log_survival(self, t):
        """Log survival of each episode at ``t`` (obs,)."""
        if self.family.kind != "ph":
            return self._last(self._fam("log_survival", self.equivalent_time(t)))
        import pytensor.tensor as pt

        t_rows = t[self.d["episode"]]
        lo = pt.minimum(self.d["from"], t_rows)
        hi = pt.minimum(self.d["to"], t_rows)
        return self._sum(self._fam("log_survival", hi) - self._fam("log_survival", lo))

    def log_cdf(self, t):
        """Log CDF of each episode at ``t`` > 0."""
        if self.family.kind != "ph":
            return self._last(self._fam("log_cdf", self.equivalent_time(t)))
        return PYTENSOR.log1mexp(self.log_survival(t))

    def log_hazard(self, t):
        """Log hazard of each episode at its exit time (``t`` must be :attr:`exit`)."""
        if t is not self.exit:  # pragma: no cover - internal contract
            raise ValueError("SpellCurve.log_hazard is defined at the exit times only")
        if self.family.kind != "ph":
            return self._last(self._fam("log_hazard", self.equivalent_time(t)))
        return self._last(self._fam("log_hazard", t[self.d["episode"]]))

    def log_interval(self, lo, hi):
        """``log(S_i(lo) - S_i(hi))`` of each episode."""
        if self.family.kind != "ph":
            return self._last(self._fam("log_interval", self.equivalent_time(lo),
                                        self.equivalent_time(hi)))
        log_lo = self.log_survival(lo)
        return log_lo + PYTENSOR.log1mexp(self.log_survival(hi) - log_lo)


def spell_curves(family, fam_params, eta, n_causes: int, data: dict, exit) -> list[SpellCurve]:
    """One :class:`SpellCurve` per cause."""
    return [SpellCurve(family, {name: value[k] for name, value in fam_params.items()}, eta[k],
                       data, exit) for k in range(n_causes)]


def spell_episode_loglik(family, fam_params, eta, n_causes: int, data: dict, entry, time,
                         event_of, *, interval=None):
    """Per-episode log-likelihood over spells, summed over causes (module docstring).

    ``interval=(obs, upper, interval_of)`` as in the graph's episode likelihood.
    """
    import pytensor.tensor as pt

    total = 0.0
    for k, curve in enumerate(spell_curves(family, fam_params, eta, n_causes, data, time)):
        log_s_entry = curve.log_survival(entry)
        contrib = event_of[k] * curve.log_hazard(time) + curve.log_survival(time) - log_s_entry
        if interval is not None:
            obs, upper, interval_of = interval
            if np.any(obs["interval_of"][k] > 0):
                contrib = pt.switch(pt.gt(interval_of[k], 0),
                                    curve.log_interval(time, upper) - log_s_entry, contrib)
        total = total + contrib
    return total
