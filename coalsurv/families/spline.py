r"""Royston–Parmar flexible spline baseline (flexsurv's ``flexsurvspline``): family ``rp``.

With :math:`x = \log t` the log cumulative hazard (``scale="hazard"``, proportional hazards)
or the log cumulative odds of failure (``scale="odds"``, proportional odds) is a natural cubic
spline in :math:`x` (flexsurv's form; covariates enter :math:`\gamma_0`):

.. math::

    s(x) = \gamma_0 + \gamma_1 x + \sum_{j=1}^{K} \gamma_{j+1} v_j(x), \qquad
    v_j(x) = (x - k_j)_+^3 - \lambda_j (x - k_{\min})_+^3 - (1 - \lambda_j)(x - k_{\max})_+^3,

:math:`\lambda_j = (k_{\max} - k_j)/(k_{\max} - k_{\min})`, internal knots :math:`k_j` and
boundary knots :math:`k_{\min} < k_{\max}` on the log-time scale: flexsurv's basis exactly.
``scale="hazard"``: :math:`H = e^{s}`, :math:`h = s'(x)\, e^{s} / t`. ``scale="odds"``:
:math:`F/(1 - F) = e^{s}`, :math:`\log S = -\log(1 + e^{s})`,
:math:`h = s'(x)\, \mathrm{expit}(s) / t`. With :math:`K = 0` knots this is the Weibull
(hazard) or the log-logistic (odds), with shape :math:`\gamma_1`.

Parametrisation (the same model, priors that mean something): with
:math:`u_j = v_j / (k_{\max} - k_{\min})^2` and the centred basis
:math:`w_j(x) = u_j(x) - u_j(0) - u_j'(0)\, x`,

.. math::

    s(x) = \eta + \gamma\, x + \sum_j b_j\, w_j(x),

so that :math:`\eta = s(0)` is the log cumulative hazard (odds) at the model's time scale (the
median follow-up, :math:`x = 0`: the same meaning as the Weibull intercept, whose data-based
prior centre it shares) and ``rp_slope`` :math:`\gamma = s'(0) > 0` the slope there (the
local Weibull shape; exactly the Weibull shape when :math:`K = 0`). ``rp_spline``
:math:`b_j` (length :math:`K`) bend the curve away from that point; dividing by
:math:`(k_{\max} - k_{\min})^2` makes :math:`b_j` of the order of the change of slope it
makes across the data (:math:`|u_j'| \le 0.75` there) whatever the spread of the event times,
so one default prior serves every data set. flexsurv's coefficients
(:meth:`RoystonParmar.flexsurv_gamma`): :math:`\gamma_{j+1} = b_j / (k_{\max} -
k_{\min})^2`, :math:`\gamma_1 = \gamma - \sum_j b_j u_j'(0)`,
:math:`\gamma_0 = \eta - \sum_j b_j u_j(0)`.

Monotonicity: :math:`s` must increase (a cumulative hazard or odds cannot fall).
:math:`s'(x)` is :math:`\gamma_1` below :math:`k_{\min}`, constant above :math:`k_{\max}` and
quadratic between neighbouring knots, so its minimum over the whole line is exact and cheap
(:meth:`RoystonParmar.min_slope`). The builder confines the parameters to
:math:`\min_x s'(x) > 0` (a prior truncated to the valid region, ``coalsurv.build.spline``);
the formulas here return a hazard of 0 (log hazard ``-inf``) where :math:`s'(x) \le 0`, as
flexsurv does. Quantiles invert :math:`s` numerically (closed form outside the boundary knots,
bisection inside).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.families.base import Family, Parameter
from coalsurv.families.math import Namespace

__all__ = ["RoystonParmar", "rp", "spline_knots", "SCALES"]

#: The scales of the spline: log cumulative hazard or log cumulative odds.
SCALES = ("hazard", "odds")
#: Where the log cumulative hazard bends before ``exp`` could overflow (as the Weibull's cap).
_MAX_S = 600.0


def spline_knots(log_times: Any, k: int) -> np.ndarray:
    """Flexsurv's default knots: boundary at the extremes, ``k`` internal at quantiles.

    Parameters
    ----------
    log_times : array_like
        Log event times (uncensored).
    k : int
        Number of internal knots (>= 0).

    Returns
    -------
    numpy.ndarray
        ``k + 2`` knots: ``[min, q_1, ..., q_k, max]`` with ``q_j`` the ``j / (k + 1)``
        quantiles (R's and NumPy's default, type 7). Not checked for ties.
    """
    x = np.sort(np.asarray(log_times, dtype=float))
    inner = np.quantile(x, np.arange(1, k + 1) / (k + 1)) if k else np.array([])
    return np.concatenate([[x[0]], inner, [x[-1]]])


class RoystonParmar(Family):
    """Royston–Parmar spline on the log cumulative hazard or odds scale.

    Parameters
    ----------
    log_knots : array_like, optional
        All knots on the log (model) time scale, boundary knots first and last, strictly
        increasing (at least two). ``None`` gives a template without knots (the registry's).
    scale : {"hazard", "odds"}
        Spline of the log cumulative hazard (proportional hazards) or log cumulative odds
        (proportional odds).
    """

    name = "rp"
    aliases = ("royston_parmar", "spline")
    label = "Royston-Parmar spline (proportional hazards)"
    kind = "ph"
    options = ("log_knots", "scale")
    parameters = (
        Parameter("rp_slope", "positive", ("LogNormal", {"mu": 0.0, "sigma": 0.5}),
                  "slope of the spline at the median follow-up (local Weibull shape)"),
        Parameter("rp_spline", "real", ("Normal", {"mu": 0.0, "sigma": 1.0}),
                  "spline coefficients (change of slope across the data; centred basis)",
                  vector="knot"),
    )

    def __init__(self, log_knots: Any = None, scale: str = "hazard"):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {list(SCALES)}, got {scale!r}")
        self.scale = scale
        if scale == "odds":
            self.kind = "po"
            self.label = "Royston-Parmar spline (proportional odds)"
        if log_knots is None:
            self._knots: tuple[float, ...] | None = None
            return
        arr = np.atleast_1d(np.asarray(log_knots, dtype=float))
        if arr.ndim != 1 or arr.size < 2 or not np.all(np.isfinite(arr)) or np.any(
                np.diff(arr) <= 0):
            raise ValueError("log_knots must be at least two finite, strictly increasing "
                             f"numbers; got {arr.tolist()}")
        self._knots = tuple(float(v) for v in arr)
        if arr.size == 2:  # no internal knot: no spline coefficients (Weibull / log-logistic)
            self.parameters = type(self).parameters[:1]
            self.params = tuple(p.name for p in self.parameters)
            self.param_support = {p.name: p.support for p in self.parameters}
            self.param_defaults = {p.name: p.prior_text for p in self.parameters}

    def _identity(self) -> tuple[Any, ...]:
        return (self.name, self._knots, self.scale)

    def __repr__(self) -> str:
        """Show the scale and number of internal knots."""
        k = "no knots yet" if self._knots is None else f"{len(self._knots) - 2} internal knots"
        return f"<RoystonParmar 'rp' ({self.scale} scale; {k})>"

    def with_options(self, *, log_knots: Any = None, scale: str | None = None) -> RoystonParmar:
        """Return a copy with the given knots (log model time) and/or scale."""
        return RoystonParmar(log_knots if log_knots is not None else self._knots,
                             scale or self.scale)

    # ----------------------------------------------------------------- structure

    @property
    def log_knots(self) -> np.ndarray:
        """All knots (log model time), boundary knots first and last."""
        if self._knots is None:
            raise ValueError("the rp family has no knots; use get_family('rp', log_knots=...)")
        return np.asarray(self._knots, dtype=float)

    @property
    def n_knots(self) -> int:
        """Number of internal knots ``K`` (the length of ``rp_spline``)."""
        return len(self.log_knots) - 2

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{"rp_slope": (), "rp_spline": (K,)}`` (no ``rp_spline`` when ``K = 0``)."""
        return {"rp_slope": (), "rp_spline": (self.n_knots,)} if self.n_knots else {
            "rp_slope": ()}

    @property
    def basis_scale(self) -> float:
        """``(kmax - kmin)^2``, the divisor of the basis."""
        knots = self.log_knots
        return float((knots[-1] - knots[0]) ** 2)

    def flexsurv_gamma(self, intercept: Any, rp_slope: Any, rp_spline: Any = None) -> np.ndarray:
        """Flexsurv's ``gamma0, gamma1, ..., gamma_{K+1}`` (NumPy; on the last axis).

        ``intercept`` is eta at the covariate values of interest. The times are the model's
        (knots as stored here): for data times ``t = tau t_model`` subtract
        ``gamma1 log(tau)`` from ``gamma0``.
        """
        from coalsurv.families.math import NUMPY

        slope = np.asarray(rp_slope, dtype=float)
        b = (np.asarray(rp_spline, dtype=float) if rp_spline is not None
             else np.zeros(slope.shape + (0,)))
        zero = np.zeros(())
        g0 = np.asarray(intercept, dtype=float) - b @ self._raw_terms(zero, NUMPY, 0)
        g1 = slope - b @ self._raw_terms(zero, NUMPY, 1)
        batch = np.broadcast_shapes(g0.shape, g1.shape, b.shape[:-1])
        return np.concatenate([np.broadcast_to(g0, batch)[..., None],
                               np.broadcast_to(g1, batch)[..., None],
                               np.broadcast_to(b, batch + b.shape[-1:]) / self.basis_scale],
                              axis=-1)

    # ----------------------------------------------------------------- the spline

    def _terms(self, x: Any, xp: Namespace, order: int) -> Any:
        """Centred basis (order 0) or its derivatives (1, 2) at ``x``: shape x + (K,).

        ``w_j(x) = u_j(x) - u_j(0) - u_j'(0) x`` with ``u_j = v_j / (kmax - kmin)^2``: zero
        with zero slope at ``x = 0`` (the model time scale, the median follow-up), so that
        ``eta`` is the log cumulative hazard (odds) there and ``rp_slope`` its slope.
        """
        from coalsurv.families.math import NUMPY

        raw = self._raw_terms(x, xp, order)
        if order == 2:
            return raw
        zero = np.zeros(())
        if order == 1:
            return raw - self._raw_terms(zero, NUMPY, 1)
        return raw - self._raw_terms(zero, NUMPY, 0) - self._raw_terms(zero, NUMPY, 1) * x[
            ..., None]

    def _raw_terms(self, x: Any, xp: Namespace, order: int) -> Any:
        """Flexsurv's basis ``v_j / (kmax - kmin)^2`` or its derivatives: shape x + (K,)."""
        knots = self.log_knots
        kmin, kmax, inner = knots[0], knots[-1], knots[1:-1]
        lam = (kmax - inner) / (kmax - kmin)
        col = x[..., None]

        def cube(u: Any) -> Any:
            pos = xp.maximum(u, 0.0)
            return (pos * pos * pos, 3.0 * pos * pos, 6.0 * pos)[order]

        out = cube(col - inner) - lam * cube(col - kmin) - (1.0 - lam) * cube(col - kmax)
        return out / self.basis_scale

    def _spline(self, x: Any, xp: Namespace, rp_slope: Any, rp_spline: Any) -> Any:
        """``s(x) - eta``."""
        if rp_spline is None:
            return rp_slope * x
        return rp_slope * x + xp.sum(rp_spline * self._terms(x, xp, 0), axis=-1)

    def _dspline(self, x: Any, xp: Namespace, rp_slope: Any, rp_spline: Any) -> Any:
        """``s'(x)``."""
        if rp_spline is None:
            return rp_slope + 0.0 * x
        return rp_slope + xp.sum(rp_spline * self._terms(x, xp, 1), axis=-1)

    def min_slope(self, rp_slope: Any, rp_spline: Any = None, *,
                  xp: Namespace | None = None) -> Any:
        """Exact minimum of :math:`s'(x)` over the real line.

        :math:`s'` is ``gamma1`` below the first knot, constant above the last and
        quadratic between neighbouring knots (:math:`s''` linear there), so its minimum is at
        a knot or where :math:`s''` crosses 0 upwards inside a segment.

        Parameters
        ----------
        rp_slope : array_like
            Shape ``batch``.
        rp_spline : array_like
            Shape ``batch + (K,)``; None when ``K = 0``.
        xp : Namespace, optional
            Backend (NumPy by default).
        """
        from coalsurv.families.math import NUMPY

        xp = xp or NUMPY
        knots = self.log_knots
        rp_slope = xp.asarray(rp_slope)
        if self.n_knots == 0 or rp_spline is None:
            return rp_slope
        rp_spline = xp.asarray(rp_spline)
        lowest = None
        for a, b in zip(knots[:-1], knots[1:], strict=True):
            ends = xp.asarray(np.array([a, b]))
            shape_pad = rp_slope[..., None]  # batch + (1,)
            d1 = self._dspline(ends + 0.0 * shape_pad, xp, shape_pad, rp_spline[..., None, :])
            d2 = xp.sum(rp_spline[..., None, :] * self._terms(ends, xp, 2), axis=-1)
            d2a, d2b = d2[..., 0], d2[..., 1]
            inside = (d2a < 0.0) & (d2b > 0.0)
            frac = -d2a / xp.where(inside, d2b - d2a, 1.0)
            vertex = a + (b - a) * xp.where(inside, frac, 0.0)
            d_vertex = self._dspline(vertex, xp, rp_slope, rp_spline)
            seg = xp.minimum(xp.minimum(d1[..., 0], d1[..., 1]), d_vertex)
            lowest = seg if lowest is None else xp.minimum(lowest, seg)
        return lowest

    # ----------------------------------------------------------------- Family hooks

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, *, rp_slope: Any,
                    rp_spline: Any = None) -> Any:
        x = xp.log(t)
        s = eta + self._spline(x, xp, rp_slope, rp_spline)
        ds = self._dspline(x, xp, rp_slope, rp_spline)
        rising = ds > 0.0
        log_ds = xp.where(rising, xp.log(xp.where(rising, ds, 1.0)), -xp.inf)
        if self.scale == "odds":
            return log_ds - x + s - xp.logaddexp(0.0, s)
        return log_ds - x + _capped(s, xp)

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, *, rp_slope: Any,
                      rp_spline: Any = None) -> Any:
        s = eta + self._spline(xp.log(t), xp, rp_slope, rp_spline)
        if self.scale == "odds":
            return -xp.logaddexp(0.0, s)
        return -xp.exp(_capped(s, xp))

    def _log_cdf(self, t: Any, eta: Any, xp: Namespace, *, rp_slope: Any,
                 rp_spline: Any = None) -> Any:
        s = eta + self._spline(xp.log(t), xp, rp_slope, rp_spline)
        if self.scale == "odds":
            return s - xp.logaddexp(0.0, s)
        return xp.log1mexp(-xp.exp(_capped(s, xp)))

    def _quantile(self, p: np.ndarray, eta: np.ndarray, *, rp_slope: Any,
                  rp_spline: Any = None) -> np.ndarray:
        from coalsurv.families.math import NUMPY

        slope = np.asarray(rp_slope, dtype=float)
        spline = np.asarray(rp_spline if rp_spline is not None else np.zeros(
            np.shape(slope) + (0,)), dtype=float)
        target = (np.log(-np.log1p(-p)) if self.scale == "hazard"
                  else np.log(p) - np.log1p(-p)) - eta
        batch = np.broadcast_shapes(target.shape, slope.shape, spline.shape[:-1])
        target = np.broadcast_to(target, batch)
        slope = np.broadcast_to(slope, batch)
        spline = np.broadcast_to(spline, batch + spline.shape[-1:])
        knots = self.log_knots
        lo_x, hi_x = np.full(batch, knots[0]), np.full(batch, knots[-1])
        g_lo = self._spline(lo_x, NUMPY, slope, spline)
        g_hi = self._spline(hi_x, NUMPY, slope, spline)
        slope_lo = self._dspline(lo_x, NUMPY, slope, spline)  # s is linear beyond the knots
        slope_hi = self._dspline(hi_x, NUMPY, slope, spline)
        a, b = lo_x.copy(), hi_x.copy()
        for _ in range(64):  # bisection inside the boundary knots (s increases there)
            mid = 0.5 * (a + b)
            below = self._spline(mid, NUMPY, slope, spline) < target
            a, b = np.where(below, mid, a), np.where(below, b, mid)
        x = np.where(target < g_lo, knots[0] + (target - g_lo) / slope_lo,
                     np.where(target > g_hi, knots[-1] + (target - g_hi) / slope_hi,
                              0.5 * (a + b)))
        x = np.where(np.isneginf(target), -np.inf, np.where(np.isposinf(target), np.inf, x))
        return np.exp(x)


def _capped(s: Any, xp: Namespace) -> Any:
    """``s`` bent softly above :data:`_MAX_S` so ``exp(s)`` never overflows (cf. Weibull)."""
    over = s > _MAX_S
    s_over = xp.where(over, s, _MAX_S)
    return xp.where(over, _MAX_S + xp.log1p(s_over - _MAX_S), s)


rp = RoystonParmar()
