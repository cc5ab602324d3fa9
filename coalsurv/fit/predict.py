"""Posterior predictions on NumPy draws: survival, hazard, cumulative incidence, quantiles.

Arrays are laid out ``(draw, cause, row, time)``. Times are in the data's unit; the model works
on ``t / tau`` internally (``tau`` = :attr:`ModelInfo.time_scale`), so survival is
``S(t) = S_model(t / tau)`` and the hazard ``h(t) = h_model(t / tau) / tau``.

Frailty for new rows: a row whose group level was seen in fitting gets that level's effect
(``frailty="conditional"``, the default); a row with an unseen level or without the group column
gets the *population-averaged* curve, integrating the group effect over its normal distribution
by Gauss–Hermite quadrature. ``frailty="zero"`` sets every group effect to 0 (a typical
group), ``frailty="marginal"`` averages over groups for every row.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from coalsurv._stats import log_mean_exp, stack_draws
from coalsurv.build.design import Design
from coalsurv.build.info import ModelInfo, var_name
from coalsurv.errors import SpecError
from coalsurv.families import NUMPY
from coalsurv.families.cure_links import log_shares, promotion_theta
from coalsurv.fit.members import theta_draws
from coalsurv.fit.time_effects import TveDraws
from coalsurv.fit.tve_grid import GridTveDraws

__all__ = ["Predictor", "FRAILTY_MODES"]

FRAILTY_MODES = ("conditional", "zero", "marginal")
_N_QUAD = 9


class Predictor:
    """Evaluate the fitted model on posterior draws for new covariate profiles.

    Parameters
    ----------
    info : ModelInfo
    design : Design
        The fitting design (standardisation constants, group levels).
    posterior : xarray.Dataset
        The posterior group.
    max_draws : int, optional
        Use at most this many draws (evenly thinned) to bound memory and time.
    """

    def __init__(self, info: ModelInfo, design: Design, posterior, *, max_draws: int | None = 1000):
        self.info = info
        self.design = design
        self.family = info.family_object()
        n_total = posterior.sizes["chain"] * posterior.sizes["draw"]
        step = 1 if not max_draws or n_total <= max_draws else int(np.ceil(n_total / max_draws))
        self.draw_index = slice(None, None, step)
        self.draws: dict[str, np.ndarray] = {
            name: stack_draws(posterior[name])[self.draw_index] for name in posterior.data_vars
        }
        self.n_draws = next(iter(self.draws.values())).shape[0]
        tve_class = GridTveDraws if getattr(info, "tve_splines", None) else TveDraws
        self.tve = tve_class(info, design, self.draws) if info.tve else None
        #: Members of the predicted rows (``members=``); None: fitted coalitions' own.
        self.new_members = None

    def with_members(self, new_members) -> Predictor:
        """Return this predictor (same draws) for rows whose members are ``new_members``."""
        out = copy.copy(self)
        out.new_members = new_members
        return out

    # ------------------------------------------------------------------ linear predictor
    def eta(self, newdata: pd.DataFrame, *, frailty: str = "conditional"):
        """Linear predictor draws and the SD of the group effects left to integrate.

        Returns
        -------
        eta : ndarray, shape (draw, cause, row)
        free_sd : ndarray, shape (draw, cause, row)
            SD of the normal group effect integrated out for each row (0 when none).
        """
        if frailty not in FRAILTY_MODES:
            raise SpecError(f"frailty={frailty!r}; expected one of {FRAILTY_MODES}")
        X = self.design.transform(newdata)
        S, K, m = self.n_draws, len(self.info.causes), len(newdata)
        eta = np.broadcast_to(self.draws["intercept"][:, :, None], (S, K, m)).copy()
        if X.shape[1]:
            eta += np.einsum("skp,mp->skm", self.draws["beta"], X)
        if "level" in self.info.strata_parts:  # each stratum's own baseline level
            eta += self.draws["strata_dev"][:, :, self.design.strata_codes(newdata)]
        var = np.zeros((S, K, m))
        if self.design.members is not None:  # mm(): the rows' member terms
            theta, theta_var = theta_draws(self, newdata, frailty=frailty)
            eta += theta
            var += theta_var
        codes = self.design.group_codes(newdata)
        for g, code in zip(self.design.groups, codes, strict=True):
            known = (code >= 0) if frailty == "conditional" else np.zeros(m, dtype=bool)
            safe = np.where(known, code, 0)
            if g.term.intercept:
                u = self.draws[f"u_{g.name}"]  # (S, K, L)
                eta += np.where(known, u[:, :, safe], 0.0)
                if frailty != "zero":
                    var += np.where(known, 0.0, self.draws[f"sd_{g.name}"][:, :, None] ** 2)
            for slope in g.term.slopes:
                j = self.design.terms.index(slope)
                sname = f"{g.name}_{var_name(slope)}"
                v = self.draws[f"v_{sname}"]
                eta += np.where(known, v[:, :, safe], 0.0) * X[None, None, :, j]
                if frailty != "zero":
                    var += np.where(
                        known, 0.0,
                        (self.draws[f"sd_{sname}"][:, :, None] * X[None, None, :, j]) ** 2,
                    )
        return eta, np.sqrt(var)

    def params(self, k: int, newdata=None) -> dict[str, np.ndarray]:
        """Return cause ``k``'s family parameter draws, shaped to broadcast (draw, 1, 1, 1[, K]).

        Each family parameter is read from its declared posterior variable; a vector
        (per-interval) parameter keeps its interval axis last. With strata, a scalar
        parameter is per stratum: (draw, row, 1, 1) for the strata of ``newdata``'s rows.
        """
        codes = (self.design.strata_codes(newdata) if "shape" in self.info.strata_parts
                 else None)
        out = {}
        for param in self.family.parameters:
            values = self.draws[param.posterior_name]
            if param.vector:
                out[param.name] = values[:, k, :][:, None, None, None, :]
            elif codes is not None:
                out[param.name] = values[:, k, :][:, codes][:, :, None, None]
            else:
                out[param.name] = values[:, k][:, None, None, None]
        if self.info.shape_terms:  # log shape_i = log shape + Z_std[i] @ beta_shape
            if newdata is None:
                raise SpecError("a model with shape covariates needs rows (newdata) for its "
                                "per-row shape")
            Z = self.design.shape.transform(newdata)
            mult = np.exp(self.draws["beta_shape"][:, k, :] @ Z.T)  # (draw, row)
            name = self.family.shape_parameter
            out[name] = out[name] * mult[:, :, None, None]
        return out

    def bytes_per_row(self, n_eval: int) -> float:
        """Estimated peak memory (bytes) of evaluating one row at ``n_eval`` times.

        All draws, causes and quadrature nodes (when the model has group terms) at float64,
        times the temporaries of an evaluation (log survival, hazard, their averages over
        nodes and the stack over causes: about 8 arrays of that size at once).
        """
        nodes = _N_QUAD if self.design.groups else 1
        return 8.0 * 8 * self.n_draws * len(self.info.causes) * max(int(n_eval), 1) * nodes

    # ------------------------------------------------------------------ core evaluations
    def quadrature(self, free_sd: np.ndarray):
        """Return Gauss–Hermite nodes and weights for integrating normal group effects.

        A single node at 0 (weight 1) when no row has a group effect left to integrate.
        """
        nodes, weights = np.polynomial.hermite_e.hermegauss(_N_QUAD)
        weights = weights / weights.sum()
        if not np.any(free_sd > 0):
            return np.zeros(1), np.ones(1)
        return nodes, weights

    def _per_cause(self, times, newdata, frailty):
        """Shared setup: scaled times, quadrature weights and, per cause, the shifted eta.

        Yields ``(k, t, e, params, weights)`` with ``e`` of shape (draw, row, node, 1). With
        time-varying effects or a cure fraction ``params`` also carries the rows' extras
        (:meth:`extras`: keys starting with ``_``), read by :meth:`_log_s` and :meth:`_log_h`.
        """
        t = np.asarray(times, dtype=float) / self.info.time_scale
        eta, free_sd = self.eta(newdata, frailty=frailty)
        nodes, weights = self.quadrature(free_sd)
        extras = self.extras(newdata)
        for k in range(eta.shape[1]):
            e = eta[:, k, :, None, None] + free_sd[:, k, :, None, None] * nodes[None, None, :, None]
            params = self.params(k, newdata)
            params.update(extras, _k=k)
            yield k, t[None, None, None, :], e, params, weights

    def extras(self, newdata) -> dict:
        """Per-row quantities besides eta: the tve terms' design, the cure logit."""
        out = {}
        if self.tve is not None:
            out["_tve_X"] = self.design.transform(newdata)
        if self.info.cure:
            out["_cure_logit"] = self.cure_logit(newdata)[:, :, None, None]
        return out

    def cure_logit(self, newdata) -> np.ndarray:
        """Cure linear predictor of each row: (draw, row).

        The logit of the cured share for the default logit mixture; other links and the
        promotion-time model: :mod:`coalsurv.families.cure_links`.
        """
        Z = self.design.cure.transform(newdata)
        logit = np.broadcast_to(self.draws["cure_intercept"][:, None],
                                (self.n_draws, len(newdata))).copy()
        if Z.shape[1]:
            logit += self.draws["cure_beta"] @ Z.T
        return logit

    @staticmethod
    def _family(params) -> dict:
        return {n: v for n, v in params.items() if not n.startswith("_")}

    def _log_s_uncured(self, t, e, params):
        p = self._family(params)
        if "_tve_X" in params:
            return self.tve.log_survival(self.family, t, e, p, params["_tve_X"], params["_k"])
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return self.family.log_survival(t, e, **p)

    def _log_s(self, t, e, params):
        ls = self._log_s_uncured(t, e, params)
        if "_cure_logit" in params:
            lin = params["_cure_logit"]
            if self.info.cure_type == "promotion":  # log S = -theta F_u = theta expm1(log S_u)
                ls = promotion_theta(lin, NUMPY) * np.expm1(ls)
            else:
                log_pi, log1m_pi = log_shares(lin, self.info.cure_link, NUMPY)
                ls = np.logaddexp(log_pi, log1m_pi + ls)
        return np.broadcast_to(ls, e.shape[:3] + (t.shape[-1],))

    def cause_log_survival(self, t, e, k: int, newdata) -> np.ndarray:
        """Log S_k(t) of ``newdata``'s rows broadcast against ``e`` (draw, row, node, 1).

        For callers outside (diagnostics); ``t`` on the model's time scale. Includes the
        time-varying effects and the cure fraction when the model has them.
        """
        params = self.params(k, newdata)
        params.update(self.extras(newdata), _k=k)
        return self._log_s(t, e, params)

    def _log_h(self, t, e, params):
        p = self._family(params)
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            lh = self.family.log_hazard(t, e, **p)
        if "_tve_X" in params:
            lh = lh + self.tve.log_hazard_shift(t[0, 0, 0], params["_tve_X"], params["_k"])
        if "_cure_logit" in params and self.info.cure_type == "promotion":  # theta f_u
            ls_u = self._log_s_uncured(t, e, params)
            lh = lh + np.log(promotion_theta(params["_cure_logit"], NUMPY)) + ls_u
        elif "_cure_logit" in params:  # population hazard of the mixture: (1 - pi) f_u / S
            ls_u = self._log_s_uncured(t, e, params)
            log1m_pi = log_shares(params["_cure_logit"], self.info.cure_link, NUMPY)[1]
            lh = lh + log1m_pi + ls_u - self._log_s(t, e, params)
        return lh

    def log_survival_by_cause(self, times, newdata, *, frailty="conditional"):
        """Log S_k(t) per cause, marginal over unknown group effects.

        Returns an array of shape (draw, cause, row, time).
        """
        parts = [log_mean_exp(self._log_s(t, e, p), w, axis=2)
                 for _, t, e, p, w in self._per_cause(times, newdata, frailty)]
        return np.stack(parts, axis=1)

    def survival(self, times, newdata, *, frailty="conditional") -> np.ndarray:
        """Overall survival S(t) = prod_k S_k(t): (draw, row, time).

        With several causes and population-averaged frailty the product of marginal
        cause-specific survivals is used (independent frailties per cause).
        """
        return np.exp(self.log_survival_by_cause(times, newdata, frailty=frailty).sum(axis=1))

    def hazard_by_cause(self, times, newdata, *, frailty="conditional") -> np.ndarray:
        """Cause-specific hazards h_k(t) per time unit: (draw, cause, row, time)."""
        parts = []
        for _, t, e, p, w in self._per_cause(times, newdata, frailty):
            ls = self._log_s(t, e, p)
            lh = np.broadcast_to(self._log_h(t, e, p), ls.shape)
            # population hazard = E[h S] / E[S]
            num = log_mean_exp(lh + ls, w, axis=2)
            den = log_mean_exp(ls, w, axis=2)
            parts.append(np.exp(num - den) / self.info.time_scale)
        return np.stack(parts, axis=1)

    def cumulative_incidence(self, times, newdata, *, frailty="conditional", n_grid=400):
        """CIF_k(t) = integral of S(u) dH_k(u): (draw, cause, row, time).

        Integrated on a grid with the midpoint rule in dH, which stays accurate where the
        hazard is infinite at 0 (Weibull shape < 1).
        """
        times = np.asarray(times, dtype=float)
        t_max = float(times.max())
        grid = np.unique(np.concatenate([[0.0], np.linspace(0, t_max, n_grid)[1:], times]))
        mids = 0.5 * (grid[1:] + grid[:-1])
        both = self.log_survival_by_cause(np.concatenate([grid, mids]), newdata, frailty=frailty)
        log_s_grid, log_s_mid = both[..., :grid.size], both[..., grid.size:]
        s_mid = np.exp(log_s_mid.sum(axis=1, keepdims=True))
        d_h = -np.diff(log_s_grid, axis=-1)  # increments of H_k (marginal approx with frailty)
        d_h = np.where(np.isfinite(d_h), d_h, 0.0)
        cif_grid = np.concatenate(
            [np.zeros(d_h.shape[:-1] + (1,)), np.cumsum(d_h * s_mid, axis=-1)], axis=-1)
        index = np.searchsorted(grid, times)
        return cif_grid[..., index]

    def quantile(self, p: float, newdata, *, frailty="conditional", t_max=None, n_grid=2000):
        """Time at which overall survival falls to 1 - p: (draw, row); inf if never."""
        eta, free_sd = self.eta(newdata, frailty=frailty)
        closed = self.tve is None and not self.info.cure
        if len(self.info.causes) == 1 and not np.any(free_sd > 0) and closed:
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                params = {n: _squeeze_params(v) for n, v in self.params(0, newdata).items()}
                q = self.family.quantile(p, eta[:, 0, :], **params)
            return q * self.info.time_scale
        t_max = t_max or 50.0 * self.info.time_scale
        grid = np.linspace(0, t_max, n_grid)
        surv = self.survival(grid, newdata, frailty=frailty)
        below = surv <= 1 - p
        first = np.where(below.any(axis=-1), below.argmax(axis=-1), -1)
        out = np.where(first >= 0, grid[np.maximum(first, 0)], np.inf)
        return out

    def rmst(self, horizon: float, newdata, *, frailty="conditional", n_grid=512):
        """Restricted mean survival time up to ``horizon``: (draw, row)."""
        grid = np.linspace(0, float(horizon), n_grid)
        surv = self.survival(grid, newdata, frailty=frailty)
        return np.trapezoid(surv, grid, axis=-1)

    def sample_lifetimes(self, newdata, *, rng, frailty="conditional"):
        """Posterior predictive lifespans (any ending) and the ending's cause: (draw, row).

        With time-varying effects each cause's time is drawn by inverting its piecewise
        cumulative hazard exactly (:meth:`TveDraws.sample_times`).
        """
        eta, free_sd = self.eta(newdata, frailty=frailty)
        eta = eta + free_sd * rng.standard_normal(eta.shape)
        times = np.empty(eta.shape)
        X = self.design.transform(newdata) if self.tve is not None else None
        for k in range(eta.shape[1]):
            params = {n: _squeeze_params(v) for n, v in self.params(k, newdata).items()}
            if self.tve is not None:
                times[:, k] = self.tve.sample_times(self.family, eta[:, k, :], params, X, k,
                                                    rng=rng)
            else:
                times[:, k] = self.family.rvs(eta[:, k, :], rng=rng, **params)
        if self.info.cure and self.info.cure_type == "promotion":
            # F(t) = 1 - exp(-theta F_u(t)) = v: F_u(t) = -log(1 - v) / theta; cured past 1
            theta = promotion_theta(self.cure_logit(newdata), NUMPY)
            p_u = -np.log1p(-rng.uniform(size=theta.shape)) / theta
            params = {n: _squeeze_params(v) for n, v in self.params(0, newdata).items()}
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                t0 = self.family.quantile(np.minimum(p_u, 1.0), eta[:, 0, :], **params)
            times[:, 0] = np.where(p_u < 1.0, t0, np.inf)
        elif self.info.cure:  # a cured coalition never ends this way
            pi = np.exp(log_shares(self.cure_logit(newdata), self.info.cure_link, NUMPY)[0])
            times[:, 0][rng.uniform(size=pi.shape) < pi] = np.inf
        cause = times.argmin(axis=1)
        return times.min(axis=1) * self.info.time_scale, cause


def _squeeze_params(v: np.ndarray) -> np.ndarray:
    """(S,1|row,1,1[,K]) parameter arrays → (S,1|row[,K]) to broadcast against (S, row)."""
    if v.ndim == 5:
        return v[:, 0, 0, :, :]
    return v[:, :, 0, 0]
