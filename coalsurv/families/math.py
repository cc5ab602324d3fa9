r"""Array-namespace shim so that one formula serves NumPy predictions and PyTensor graphs.

Two namespace objects, :data:`NUMPY` and :data:`PYTENSOR`, expose the same functions. Family
formulas are written once against ``xp`` and evaluated with either backend::

    def log_survival(t, eta, *, xp=NUMPY):
        return -t * xp.exp(eta)

Besides elementwise primitives (``exp``, ``log``, ``where``, ...) both namespaces provide
numerically stable composites, written once in terms of the primitives:

``log1mexp(x)``
    :math:`\log(1 - e^{x})` for :math:`x \le 0`; uses :math:`\log(-\mathrm{expm1}(x))` for
    :math:`x > -\log 2` and :math:`\mathrm{log1p}(-e^{x})` otherwise (Maechler 2012).
``logdiffexp(a, b)``
    :math:`\log(e^{a} - e^{b})` for :math:`a \ge b`, as :math:`a + \mathrm{log1mexp}(b - a)`;
    ``-inf`` when both are ``-inf``.
``log1mexp_exp(y)``
    :math:`\log(1 - e^{-e^{y}})` for any :math:`y`, finite wherever :math:`y` is: the
    promotion-time cure's interval term with :math:`e^{y} = \theta\,(S_u(l) - S_u(u))`
    (:mod:`coalsurv.build.cure`); :math:`y - e^{y}/2` below :math:`y = -40` (exact in
    float64), :math:`\mathrm{log1mexp}(-e^{y})` up to :math:`y = 7` and 0 above.
``log_ndtr(z)``
    :math:`\log \Phi(z)`, the log standard normal CDF, accurate far into both tails. NumPy uses
    :func:`scipy.special.log_ndtr`; PyTensor uses the scaled complementary error function,
    :math:`\log\Phi(z) = \log(\mathrm{erfcx}(-z/\sqrt2)/2) - z^2/2` for :math:`z < -1`, and
    :math:`\mathrm{log1p}(-\mathrm{erfc}(z/\sqrt2)/2)` otherwise.
``expm1_over_x(x)``
    :math:`(e^{x} - 1)/x`, with the limit 1 at :math:`x = 0` (series
    :math:`1 + x/2 + x^2/6` for :math:`|x| < 10^{-5}`).
``log_gammainc(a, x)``, ``log_gammaincc(a, x)``
    :math:`\log P(a, x)` and :math:`\log Q(a, x)`, the logs of the regularised lower and
    upper incomplete gamma functions, finite where :math:`P` or :math:`Q` underflow: there
    (the log of the leading term :math:`x^{a} e^{-x}/\Gamma(a+1)` below :data:`TAIL_LOG`)
    :math:`P` is its leading term over :math:`1 - x/(a+1)` and :math:`Q` its continued
    fraction to two levels: exact to a few parts in :math:`10^{4}` of the log there (which is
    below -500) for moderate :math:`a`, an approximation that keeps values and gradients
    finite for a huge :math:`a`. (Deeper forms made the PyTensor graphs too slow to compile.)

Branches are selected with the "double where" pattern: the input of each branch is replaced
by a harmless value where the branch is not used, so that gradients never pick up ``nan``
from the branch that was not taken.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytensor.tensor as pt

__all__ = ["Namespace", "NUMPY", "PYTENSOR"]

_LOG2 = math.log(2.0)
_SQRT2 = math.sqrt(2.0)
_SERIES_CUTOFF = 1e-5
#: ``log1mexp_exp``: below ``-y`` of this the series ``y - e^y/2``; above the other, 0.
_SMALL_LOG_RATE = 40.0
_BIG_LOG_RATE = 7.0
#: Log of the leading term below which the incomplete gamma functions take their tail forms.
TAIL_LOG = -500.0


class Namespace:
    """A bundle of array functions with the same names in every backend.

    Parameters
    ----------
    name : str
        ``"numpy"`` or ``"pytensor"``.
    **functions
        Primitive functions: ``asarray, exp, log, log1p, expm1, sqrt, square, power, where,
        maximum, minimum, logaddexp, isinf, zeros_like, sum, erfc, erfcx, gammaln, gammainc,
        gammaincc, log_ndtr`` (the last one optional: a generic erfc/erfcx form is used when
        absent).

    Attributes
    ----------
    inf : float
        Positive infinity (a Python float, usable with both backends).
    """

    inf: float = math.inf

    def __init__(self, name: str, **functions: Callable[..., Any]):
        self.name = name
        for key, fn in functions.items():
            setattr(self, key, fn)

    def __repr__(self) -> str:
        """Show the backend name."""
        return f"<coalsurv.families.math namespace {self.name!r}>"

    # --- stable composites, written once against the primitives ---------------------------

    def log1mexp(self, x: Any) -> Any:
        r"""Return :math:`\log(1 - e^{x})` for :math:`x \le 0`, stably.

        Parameters
        ----------
        x : array_like
            Non-positive values; ``-inf`` gives 0, 0 gives ``-inf``.
        """
        x = self.asarray(x)
        near_zero = x > -_LOG2
        x_near = self.where(near_zero, x, -1.0)
        x_far = self.where(near_zero, -1.0, x)
        return self.where(
            near_zero,
            self.log(-self.expm1(x_near)),
            self.log1p(-self.exp(x_far)),
        )

    def logdiffexp(self, a: Any, b: Any) -> Any:
        r"""Return :math:`\log(e^{a} - e^{b})` for :math:`a \ge b`, stably.

        Parameters
        ----------
        a, b : array_like
            Log values with ``a >= b``; ``b = -inf`` gives ``a``; ``a = b`` gives ``-inf``.
        """
        a = self.asarray(a)
        b = self.asarray(b)
        a_neg_inf = self.isinf(a) & (a < 0)
        a_safe = self.where(a_neg_inf, 0.0, a)
        b_safe = self.where(a_neg_inf, -self.inf, b)
        return self.where(a_neg_inf, -self.inf, a_safe + self.log1mexp(b_safe - a_safe))

    def log1mexp_exp(self, y: Any) -> Any:
        r"""Return :math:`\log(1 - e^{-e^{y}})`, stably for any :math:`y`.

        Parameters
        ----------
        y : array_like
            Log of a non-negative rate; ``-inf`` gives ``-inf``, large ``y`` gives 0.

        Notes
        -----
        Below :math:`y = -40` (:math:`e^{y} < 5 \cdot 10^{-18}`) the value is
        :math:`y - e^{y}/2` (the next term, :math:`e^{2y}/24`, is below float64's resolution);
        above :math:`y = 7` (:math:`e^{-e^{y}}` underflows) it is 0; between,
        :math:`\mathrm{log1mexp}(-e^{y})`. The form of :math:`\log(e^{a} - e^{b})` when
        :math:`a - b = e^{y}` is known in log form: no cancellation in :math:`a - b`, no
        underflow of :math:`e^{y}`.
        """
        y = self.asarray(y)
        small = y < -_SMALL_LOG_RATE
        y_small = self.where(small, y, -2.0 * _SMALL_LOG_RATE)
        y_mid = self.where(small, 0.0, self.minimum(y, _BIG_LOG_RATE))
        return self.where(small, y_small - 0.5 * self.exp(y_small),
                          self.log1mexp(-self.exp(y_mid)))

    def expm1_over_x(self, x: Any) -> Any:
        r"""Return :math:`(e^{x} - 1)/x`, equal to 1 at :math:`x = 0`.

        Parameters
        ----------
        x : array_like
            Any real values (overflows to ``inf`` for large positive ``x``).
        """
        x = self.asarray(x)
        small = (x < _SERIES_CUTOFF) & (x > -_SERIES_CUTOFF)
        x_big = self.where(small, 1.0, x)
        x_small = self.where(small, x, 0.0)
        series = 1.0 + x_small * (0.5 + x_small / 6.0)
        return self.where(small, series, self.expm1(x_big) / x_big)

    def log1p_over_x(self, x: Any) -> Any:
        r"""Return :math:`\log(1 + x)/x`, equal to 1 at :math:`x = 0` (for :math:`x > -1`).

        Parameters
        ----------
        x : array_like
            Values above -1.
        """
        x = self.asarray(x)
        small = (x < _SERIES_CUTOFF) & (x > -_SERIES_CUTOFF)
        x_big = self.where(small, 1.0, x)
        x_small = self.where(small, x, 0.0)
        series = 1.0 - x_small * (0.5 - x_small / 3.0)
        return self.where(small, series, self.log1p(x_big) / x_big)

    def log_gammainc(self, a: Any, x: Any) -> Any:
        r"""Return :math:`\log P(a, x)`, the log regularised lower incomplete gamma function.

        Parameters
        ----------
        a : array_like
            Shapes > 0.
        x : array_like
            Values >= 0 (0 gives ``-inf``).
        """
        a, x = self.asarray(a), self.asarray(x)
        lead = a * self.log(x) - x - self.gammaln(a + 1.0)
        tail = (x < a) & (lead < TAIL_LOG)
        x_direct = self.where(tail, a, x)
        x_tail = self.where(tail, x, 0.5 * a)
        lead_tail = a * self.log(x_tail) - x_tail - self.gammaln(a + 1.0)
        # P = lead * sum_n x^n / ((a + 1) ... (a + n)) ~ lead / (1 - x / (a + 1))
        series = 1.0 / (1.0 - x_tail / (a + 1.0))
        return self.where(tail, lead_tail + self.log(series),
                          self.log(self.gammainc(a, x_direct)))

    def log_gammaincc(self, a: Any, x: Any) -> Any:
        r"""Return :math:`\log Q(a, x)`, the log regularised upper incomplete gamma function.

        Parameters
        ----------
        a : array_like
            Shapes > 0.
        x : array_like
            Values >= 0 (0 gives 0).
        """
        a, x = self.asarray(a), self.asarray(x)
        lead = a * self.log(x) - x - self.gammaln(a + 1.0)
        tail = (x > a + 1.0) & (lead < TAIL_LOG)
        x_direct = self.where(tail, a, x)
        x_tail = self.where(tail, x, 2.0 * a + 10.0)
        # Q = x^a e^-x / Gamma(a) / (x + 1 - a - (1 - a) / (x + 3 - a - ...)), two levels
        d = x_tail + 1.0 - a - (1.0 - a) / (x_tail + 3.0 - a)
        log_tail = a * self.log(x_tail) - x_tail - self.gammaln(a) - self.log(d)
        return self.where(tail, log_tail, self.log(self.gammaincc(a, x_direct)))

    def log_ndtr(self, z: Any) -> Any:
        r"""Return :math:`\log \Phi(z)`, the log standard normal CDF (stable in both tails).

        Parameters
        ----------
        z : array_like
            Standard normal quantiles.
        """
        z = self.asarray(z)
        lower = z < -1.0
        z_low = self.minimum(z, -1.0)
        z_high = self.maximum(z, -1.0)
        return self.where(
            lower,
            self.log(self.erfcx(-z_low / _SQRT2) / 2.0) - self.square(z_low) / 2.0,
            self.log1p(-self.erfc(z_high / _SQRT2) / 2.0),
        )


def _special(name: str) -> Callable[..., Any]:
    """``scipy.special.<name>``, imported at the first call.

    A native fit never evaluates the NumPy formulas (the graph uses :data:`PYTENSOR`, the
    kernel its own terms), and scipy.special brings scipy.linalg, numpy.f2py and numpy.testing
    with it (~0.15 s of a fresh process).
    """

    def call(*args: Any, **kwargs: Any) -> Any:
        import scipy.special

        return getattr(scipy.special, name)(*args, **kwargs)

    call.__name__ = name
    return call


def _np_asarray(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float) if not isinstance(x, np.ndarray) else x


def _quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a NumPy function so that log(0) and inf - inf style warnings stay silent."""

    def wrapped(*args: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            return fn(*args)

    wrapped.__name__ = getattr(fn, "__name__", "wrapped")
    wrapped.__doc__ = getattr(fn, "__doc__", None)
    return wrapped


class _NumpyNamespace(Namespace):
    """NumPy backend: composites use :func:`scipy.special.log_ndtr` and silence fp warnings."""

    def log1mexp(self, x: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return super().log1mexp(x)

    def logdiffexp(self, a: Any, b: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return super().logdiffexp(a, b)

    def log1mexp_exp(self, y: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return super().log1mexp_exp(y)

    def expm1_over_x(self, x: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return super().expm1_over_x(x)

    def log1p_over_x(self, x: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return super().log1p_over_x(x)

    def log_ndtr(self, z: Any) -> Any:  # noqa: D102
        return _LOG_NDTR(z)

    def log_gammainc(self, a: Any, x: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            return super().log_gammainc(a, x)

    def log_gammaincc(self, a: Any, x: Any) -> Any:  # noqa: D102
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            return super().log_gammaincc(a, x)


_LOG_NDTR = _special("log_ndtr")

#: NumPy namespace (float64 arrays; used for predictions on posterior draws).
NUMPY: Namespace = _NumpyNamespace(
    "numpy",
    asarray=_np_asarray,
    exp=_quiet(np.exp),
    log=_quiet(np.log),
    log1p=_quiet(np.log1p),
    expm1=_quiet(np.expm1),
    sqrt=_quiet(np.sqrt),
    square=_quiet(np.square),
    power=_quiet(np.power),
    where=np.where,
    maximum=np.maximum,
    minimum=np.minimum,
    logaddexp=_quiet(np.logaddexp),
    isinf=np.isinf,
    zeros_like=np.zeros_like,
    sum=np.sum,
    erfc=_special("erfc"),
    erfcx=_special("erfcx"),
    gammaln=_special("gammaln"),
    gammainc=_special("gammainc"),
    gammaincc=_special("gammaincc"),
)

#: PyTensor namespace (symbolic tensors; used inside PyMC graphs built by ``coalsurv.build``).
PYTENSOR: Namespace = Namespace(
    "pytensor",
    asarray=pt.as_tensor_variable,
    exp=pt.exp,
    log=pt.log,
    log1p=pt.log1p,
    expm1=pt.expm1,
    sqrt=pt.sqrt,
    square=pt.square,
    power=pt.power,
    where=pt.where,
    maximum=pt.maximum,
    minimum=pt.minimum,
    logaddexp=pt.logaddexp,
    isinf=pt.isinf,
    zeros_like=pt.zeros_like,
    sum=pt.sum,
    erfc=pt.erfc,
    erfcx=pt.erfcx,
    gammaln=pt.gammaln,
    gammainc=pt.gammainc,
    gammaincc=pt.gammaincc,
)
