r"""Base class of hazard families: shared survival algebra on top of two formulas.

A family declares two formulas, the log hazard :math:`\log h(t \mid \eta)` and the log survival
:math:`\log S(t \mid \eta) = -H(t \mid \eta)`, plus a quantile function for sampling. The base
class derives everything else:

.. math::

    \log f = \log h + \log S, \qquad H = -\log S, \qquad
    \log\{S(l) - S(u)\} = \log S(l) + \mathrm{log1mexp}\{\log S(u) - \log S(l)\}.

``eta`` is the linear predictor. For proportional-hazards families (``kind == "ph"``)
:math:`h(t \mid \eta) = h_0(t) e^{\eta}`; for accelerated-failure-time families
(``kind == "aft"``) :math:`\log T = \eta + \varepsilon`, i.e.
:math:`S(t \mid \eta) = S_0(t e^{-\eta})`, so :math:`e^{\beta}` is a time ratio.

All methods broadcast: ``t``, ``eta`` and the ancillary parameters may be arrays of
compatible shapes (e.g. parameters of shape ``(draws, 1)`` with ``t`` of shape ``(1, n)``).
``xp`` selects the backend (:data:`~coalsurv.families.math.NUMPY` or
:data:`~coalsurv.families.math.PYTENSOR`).

Edge cases are handled here, once, with gradient-safe substitutions:
``log_survival(0) = 0``; ``log_survival(inf)`` is the family's limit (``-inf`` unless there is
a cure fraction); ``log_hazard`` evaluates :math:`t \le 0` at a tiny positive time so that
rows whose time is 0 (e.g. the lower bound of a left-censored row) never inject ``nan`` into
a gradient through an unused branch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from coalsurv.families.math import NUMPY, Namespace

__all__ = ["Family", "Parameter", "TINY_TIME"]

#: Smallest time at which hazards are evaluated (times at or below 0 are moved here).
TINY_TIME = 1e-300
_LOG2 = math.log(2.0)


@dataclass(frozen=True)
class Parameter:
    """One ancillary parameter of a family, declared as data.

    The builder, the priors, predictions, prior export, reports and notebooks read these
    declarations instead of special-casing parameter names.

    Attributes
    ----------
    name : str
        Keyword the family's formulas take (e.g. ``"shape"``).
    support : {"positive", "real"}
        Where the parameter lives; positive parameters need positive priors.
    prior : tuple of (str, dict)
        The documented default prior: distribution name and parameters (e.g.
        ``("LogNormal", {"mu": 0.0, "sigma": 1.0})``), on the prior key :attr:`key`.
    meaning : str
        One line for reports and prior tables.
    vector : str or None
        ``"interval"`` when the parameter holds one value per baseline interval (a
        random walk with step SD under prior key :attr:`key`); ``"knot"`` for one value per
        internal spline knot (each with the prior under :attr:`key`); None for a scalar per
        cause.
    posterior : str or None
        Name of the posterior variable when it differs from :attr:`name`.
    prior_key : str or None
        Key of the parameter's prior in a PriorSet when it differs from :attr:`name`.
    per_baseline : bool
        The prior (key :attr:`key`) is on the parameter divided by the baseline hazard
        ``exp(intercept)`` at the covariate means: the builder samples that ratio under the
        name :attr:`key` and records ``posterior = ratio * exp(intercept)`` (a deterministic),
        which the family's formulas take (Gompertz: ``gamma = ageing * exp(intercept)``).
    """

    name: str
    support: str
    prior: tuple[str, Mapping[str, float]]
    meaning: str = ""
    vector: str | None = None
    posterior: str | None = None
    prior_key: str | None = None
    per_baseline: bool = False

    def __post_init__(self) -> None:
        if self.support not in ("positive", "real"):
            raise ValueError(f"parameter {self.name!r}: support must be 'positive' or 'real'")
        if self.vector not in (None, "interval", "knot"):
            raise ValueError(f"parameter {self.name!r}: vector must be None, 'interval' or "
                             "'knot'")
        if self.per_baseline and (self.key == self.posterior_name or self.vector):
            raise ValueError(f"parameter {self.name!r}: a per-baseline parameter needs its own "
                             "prior key (the sampled ratio) and must be scalar")

    @property
    def key(self) -> str:
        """Key of this parameter's prior in a :class:`~coalsurv.PriorSet`."""
        return self.prior_key or self.name

    @property
    def posterior_name(self) -> str:
        """Name of this parameter's variable in the posterior."""
        return self.posterior or self.name

    @property
    def sampled_name(self) -> str:
        """Posterior variable on the prior's scale (the key for a per-baseline parameter)."""
        return self.key if self.per_baseline else self.posterior_name

    @property
    def prior_text(self) -> str:
        """The default prior in words, e.g. ``"shape ~ LogNormal(mu=0, sigma=1)"``."""
        dist, params = self.prior
        args = ", ".join(f"{k}={v:g}" for k, v in params.items())
        return f"{self.key} ~ {dist}({args})"


class Family:
    """A parametric hazard family (math only; no PyMC model building).

    Subclasses set the class attributes and implement ``_log_hazard``, ``_log_survival``
    (for finite :math:`t > 0`) and ``_quantile`` (NumPy); optionally ``_log_survival_at_inf``
    for a cure fraction.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"weibull_ph"``.
    label : str
        Human name, e.g. ``"Weibull (proportional hazards)"``.
    kind : {"ph", "aft"}
        How ``eta`` enters: log hazard multiplier (PH) or location of log T (AFT).
    aliases : tuple of str
        Other registry names of the family (e.g. ``"weibull"`` for ``weibull_ph``).
    options : tuple of str
        Keyword options the family takes (:meth:`with_options`), e.g. ``("cuts",)``.
    parameters : tuple of Parameter
        The ancillary parameters as data: names, supports, default priors, vector shape.
        The only declaration a family makes about its parameters; the attributes below are
        derived from it.
    params : tuple of str
        Names of the ancillary parameters, passed to every method by keyword.
    param_support : Mapping[str, str]
        ``"positive"`` or ``"real"`` for each ancillary parameter.
    param_shapes : Mapping[str, tuple of int]
        Trailing (event) shape of each parameter; ``()`` for scalars.
    param_defaults : Mapping[str, str]
        The default priors in words (from :attr:`parameters`).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    kind: ClassVar[str] = "ph"
    aliases: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[tuple[str, ...]] = ()
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    #: The parameter a ``shape=`` formula makes log-linear in covariates (None: refused).
    shape_parameter: ClassVar[str | None] = None
    params: ClassVar[tuple[str, ...]] = ()
    param_support: ClassVar[Mapping[str, str]] = {}
    param_defaults: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Derive ``params``, ``param_support`` and ``param_defaults`` from ``parameters``."""
        super().__init_subclass__(**kwargs)
        cls.params = tuple(p.name for p in cls.parameters)
        cls.param_support = {p.name: p.support for p in cls.parameters}
        cls.param_defaults = {p.name: p.prior_text for p in cls.parameters}

    def with_options(self, **options: Any) -> Family:
        """Return the family with its options set (families without options take none).

        Raises
        ------
        ValueError
            When an option value is invalid.
        """
        if options:
            raise ValueError(f"family {self.name!r} takes no options")
        return self

    @property
    def scalar_parameters(self) -> tuple[Parameter, ...]:
        """Parameters with one value per cause (every one but a baseline vector)."""
        return tuple(p for p in self.parameters if p.vector is None)

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Trailing shape of each ancillary parameter (``()`` for scalars)."""
        return {p: () for p in self.params}

    def __repr__(self) -> str:
        """Show name, kind and ancillary parameters."""
        params = ", ".join(self.params) or "no ancillary parameters"
        return f"<{type(self).__name__} {self.name!r} ({self.kind.upper()}; {params})>"

    def __eq__(self, other: object) -> bool:
        """Compare class and options (e.g. cut points)."""
        return type(other) is type(self) and self._identity() == other._identity()

    def __hash__(self) -> int:
        """Hash class and options, consistently with equality."""
        return hash((type(self).__name__, self._identity()))

    def _identity(self) -> tuple[Any, ...]:
        return (self.name,)

    # ----------------------------------------------------------------- to implement

    def _log_hazard(self, t: Any, eta: Any, xp: Namespace, **params: Any) -> Any:
        raise NotImplementedError

    def _log_survival(self, t: Any, eta: Any, xp: Namespace, **params: Any) -> Any:
        raise NotImplementedError

    def _log_survival_at_inf(self, eta: Any, xp: Namespace, **params: Any) -> Any:
        """Limit of log S as t -> inf (``-inf`` unless the family has a cure fraction)."""
        return -xp.inf

    def _log_cdf(self, t: Any, eta: Any, xp: Namespace, **params: Any) -> Any:
        """Log CDF for finite t > 0; override where log S rounds to 0 in the lower tail."""
        return xp.log1mexp(self._log_survival(t, eta, xp, **params))

    def _quantile(self, p: np.ndarray, eta: np.ndarray, **params: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _log_time_scale(self, xp: Namespace, **params: Any) -> Any:
        """Scale of log T (AFT families); PH families have none."""
        raise NotImplementedError

    # ----------------------------------------------------------------- checks

    def _check_params(self, params: Mapping[str, Any]) -> None:
        missing = [p for p in self.params if p not in params]
        extra = [p for p in params if p not in self.params]
        if missing or extra:
            expected = ", ".join(self.params) or "none"
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(extra)}")
            raise TypeError(
                f"family {self.name!r} takes ancillary parameters ({expected}) by keyword: "
                + "; ".join(parts)
            )

    # ----------------------------------------------------------------- public math

    def log_time_scale(self, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Scale :math:`\sigma` of log T of an AFT family: :math:`\log T = \eta + \sigma W`.

        With a standard error term :math:`W`, :math:`\sigma = 1/k` for the Weibull and
        log-logistic shape :math:`k` and :math:`\sigma` itself for the log-normal. The builder
        puts the AFT intercept and coefficient priors on :math:`\eta/\sigma` (the
        proportional-hazards-compatible scale; see ``coalsurv.build.graph``).

        Raises
        ------
        TypeError
            For a proportional-hazards family (it has no scale of log T).
        """
        if self.kind != "aft":
            raise TypeError(f"family {self.name!r} is proportional-hazards: log T has no scale")
        self._check_params(params)
        return self._log_time_scale(xp, **params)

    def log_hazard(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Log hazard :math:`\log h(t \mid \eta)`.

        Parameters
        ----------
        t : array_like
            Times (> 0; times at or below 0 are evaluated at :data:`TINY_TIME`).
        eta : array_like
            Linear predictor.
        xp : Namespace, optional
            Backend namespace (``NUMPY`` or ``PYTENSOR``).
        **params
            Ancillary parameters named in :attr:`params`.

        Returns
        -------
        array
            Broadcast of ``t``, ``eta`` and the parameters.
        """
        self._check_params(params)
        t = xp.maximum(xp.asarray(t), TINY_TIME)
        return self._log_hazard(t, xp.asarray(eta), xp, **params)

    def log_survival(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Log survival :math:`\log S(t \mid \eta) = -H(t \mid \eta)`.

        Parameters
        ----------
        t : array_like
            Times; ``t <= 0`` gives 0 and ``t = inf`` the family's limit (``-inf`` unless the
            family has a cure fraction), both with zero gradient.
        eta : array_like
            Linear predictor.
        xp : Namespace, optional
            Backend namespace.
        **params
            Ancillary parameters named in :attr:`params`.

        Returns
        -------
        array
            Broadcast of ``t``, ``eta`` and the parameters.
        """
        self._check_params(params)
        t = xp.asarray(t)
        eta = xp.asarray(eta)
        at_inf = xp.isinf(t)
        finite_positive = (t > 0) & (t < xp.inf)
        t_safe = xp.where(finite_positive, t, 1.0)
        value = self._log_survival(t_safe, eta, xp, **params)
        limit = self._log_survival_at_inf(eta, xp, **params)
        return xp.where(t > 0, xp.where(at_inf, limit, value), 0.0)

    def log_cdf(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Log CDF :math:`\log F(t \mid \eta) = \log\{1 - S(t \mid \eta)\}`.

        Accurate in the lower tail (where :math:`S` rounds to 1): families with a direct form
        (log-normal, log-logistic) use it; otherwise :math:`\mathrm{log1mexp}(\log S)`, which
        is accurate as long as :math:`H` itself does not underflow.

        Parameters
        ----------
        t : array_like
            Times; ``t <= 0`` gives ``-inf`` and ``t = inf`` gives ``log(1 - cure fraction)``.
        eta, xp, **params
            As in :meth:`log_survival`.
        """
        self._check_params(params)
        t = xp.asarray(t)
        eta = xp.asarray(eta)
        at_inf = xp.isinf(t)
        finite_positive = (t > 0) & (t < xp.inf)
        t_safe = xp.where(finite_positive, t, 1.0)
        value = self._log_cdf(t_safe, eta, xp, **params)
        limit = xp.log1mexp(self._log_survival_at_inf(eta, xp, **params))
        return xp.where(t > 0, xp.where(at_inf, limit, value), -xp.inf)

    def log_density(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Log density :math:`\log f(t \mid \eta) = \log h(t \mid \eta) + \log S(t \mid \eta)`.

        Parameters
        ----------
        t, eta, xp, **params
            As in :meth:`log_hazard`.
        """
        return self.log_hazard(t, eta, xp=xp, **params) + self.log_survival(t, eta, xp=xp, **params)

    def cumulative_hazard(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Cumulative hazard :math:`H(t \mid \eta) = -\log S(t \mid \eta)`.

        Parameters
        ----------
        t, eta, xp, **params
            As in :meth:`log_survival`.
        """
        return -self.log_survival(t, eta, xp=xp, **params)

    def hazard(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Hazard :math:`h(t \mid \eta)`.

        Parameters
        ----------
        t, eta, xp, **params
            As in :meth:`log_hazard`.
        """
        return xp.exp(self.log_hazard(t, eta, xp=xp, **params))

    def survival(self, t: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any) -> Any:
        r"""Survival function :math:`S(t \mid \eta)`.

        Parameters
        ----------
        t, eta, xp, **params
            As in :meth:`log_survival`.
        """
        return xp.exp(self.log_survival(t, eta, xp=xp, **params))

    def log_interval(
        self, lo: Any, hi: Any, eta: Any, *, xp: Namespace = NUMPY, **params: Any
    ) -> Any:
        r"""Log probability of failing in an interval, :math:`\log\{S(l) - S(u)\}`.

        Two exact forms, chosen per element so that neither cancels nor underflows:

        .. math::

            \log\{S(l) - S(u)\} =
            \begin{cases}
              \log S(l) + \mathrm{log1mexp}\{\log S(u) - \log S(l)\} & S(u) \le 1/2 \\
              \log F(u) + \mathrm{log1mexp}\{\log F(l) - \log F(u)\} & S(u) > 1/2,
            \end{cases}

        so the answer stays finite far in either tail (where both survival probabilities
        underflow to 0, or both round to 1). Inputs of the branch not taken are replaced by
        harmless values, so gradients stay finite.

        Parameters
        ----------
        lo, hi : array_like
            Interval bounds, ``0 <= lo < hi``; ``hi = inf`` gives :math:`\log S(l)` (minus the
            cure fraction, if any); ``lo = 0`` gives :math:`\log F(u)` (left censoring).
        eta : array_like
            Linear predictor.
        xp : Namespace, optional
            Backend namespace.
        **params
            Ancillary parameters named in :attr:`params`.
        """
        log_s_lo = self.log_survival(lo, eta, xp=xp, **params)
        log_s_hi = self.log_survival(hi, eta, xp=xp, **params)
        log_f_lo = self.log_cdf(lo, eta, xp=xp, **params)
        log_f_hi = self.log_cdf(hi, eta, xp=xp, **params)
        lower = log_s_hi > -_LOG2
        from_survival = xp.logdiffexp(
            xp.where(lower, 0.0, log_s_lo), xp.where(lower, -1.0, log_s_hi)
        )
        from_cdf = xp.logdiffexp(xp.where(lower, log_f_hi, 0.0), xp.where(lower, log_f_lo, -1.0))
        return xp.where(lower, from_cdf, from_survival)

    # ----------------------------------------------------------------- NumPy only

    def quantile(self, p: Any, eta: Any, **params: Any) -> np.ndarray:
        r"""Time :math:`t` at which :math:`F(t \mid \eta) = p`, i.e. :math:`S(t) = 1 - p` (NumPy).

        ``quantile(0.5, eta, ...)`` is the median lifespan. Where :math:`1 - p` is below a cure
        fraction the answer is ``inf``.

        Parameters
        ----------
        p : array_like
            Probabilities in [0, 1].
        eta : array_like
            Linear predictor.
        **params
            Ancillary parameters named in :attr:`params`.

        Returns
        -------
        numpy.ndarray
            Broadcast of ``p``, ``eta`` and the parameters.
        """
        self._check_params(params)
        p = np.asarray(p, dtype=float)
        if np.any((p < 0) | (p > 1)):
            raise ValueError("quantile: probabilities must lie in [0, 1]")
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return self._quantile(p, np.asarray(eta, dtype=float), **params)

    def rvs(
        self,
        eta: Any,
        *,
        rng: np.random.Generator,
        size: int | tuple[int, ...] | None = None,
        **params: Any,
    ) -> np.ndarray:
        r"""Draw failure times by inverse-transform sampling (NumPy).

        :math:`T = F^{-1}(U \mid \eta)` with :math:`U \sim \mathrm{Uniform}(0, 1)`; ``inf`` for
        units that never fail (cure fraction).

        Parameters
        ----------
        eta : array_like
            Linear predictor.
        rng : numpy.random.Generator
            Source of randomness.
        size : int or tuple of int, optional
            Output shape; defaults to the broadcast shape of ``eta`` and the parameters
            (without the parameters' trailing shapes).
        **params
            Ancillary parameters named in :attr:`params`.

        Returns
        -------
        numpy.ndarray
            Failure times.
        """
        self._check_params(params)
        if size is None:
            shapes = [np.shape(eta)]
            for name, value in params.items():
                trailing = len(self.param_shapes.get(name, ()))
                shape = np.shape(value)
                shapes.append(shape[: len(shape) - trailing] if trailing else shape)
            size = np.broadcast_shapes(*shapes)
        u = rng.uniform(size=size)
        return self.quantile(u, eta, **params)
