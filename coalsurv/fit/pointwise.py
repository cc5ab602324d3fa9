"""The pointwise log likelihood of a fit: required by LOO and friends, computed on demand.

A fit whose draws x rows exceed its ``pointwise_limit`` (:mod:`coalsurv.backend.pointwise`)
holds no ``log_likelihood`` group; ``fit.sampler["log_likelihood"]`` records why.
:func:`require_log_likelihood` is what every consumer (``fit.loo()``, ``diagnose``'s Pareto k
and LOO-PIT, ``compare``, ``fit.sensitivity()``) calls first: it raises a message naming the
size and the remedy instead of an ArviZ error about a missing group.
:func:`add_log_likelihood` computes the group from the posterior (rebuilding the model from
the fit's spec and data; the native kernel in chunks when the fit used it).
"""

from __future__ import annotations

from coalsurv.errors import ArgumentError

__all__ = ["require_log_likelihood", "add_log_likelihood", "PointwiseMethods"]


def require_log_likelihood(fit, what: str) -> None:
    """Raise :class:`~coalsurv.errors.ArgumentError` when ``fit`` holds no log likelihood."""
    if "log_likelihood" in fit.idata.children:
        return
    record = fit.sampler.get("log_likelihood", "")
    why = record if record.startswith("skipped") else "the fit holds no log_likelihood group"
    raise ArgumentError(f"{what} needs the pointwise log likelihood, which this fit does not "
                        "hold: fit.add_log_likelihood() computes it", [f"log_likelihood: {why}",
                                 "call fit.add_log_likelihood() to compute it from the "
                                 "posterior (then save the fit to keep it), or refit with a "
                                 "larger pointwise_limit"])


def add_log_likelihood(fit, *, dtype: str | None = None):
    """Compute the fit's ``log_likelihood`` group from its posterior; return ``fit``."""
    from coalsurv.backend.sampling import add_log_likelihood as compute
    from coalsurv.fit.model import SurvivalModel

    if dtype not in (None, "float64", "float32"):
        raise ArgumentError("invalid add_log_likelihood() arguments",
                            [f"dtype: expected None, 'float64' or 'float32', got {dtype!r}"])
    model, _, info, _ = SurvivalModel.from_spec(fit.spec, priors=fit.priors).build(fit.data)
    fit.idata = compute(fit.idata, model, native=(info, fit.spec.family_options),
                        kernel=fit.sampler["kernel"], dtype=dtype)
    return fit


class PointwiseMethods:
    """The on-demand log likelihood (mixed into :class:`coalsurv.Fit`)."""

    def add_log_likelihood(self, *, dtype: str | None = None):
        """Compute the pointwise log likelihood a large fit left out (in place; returns self).

        Parameters
        ----------
        dtype : {None, "float64", "float32"}
            Storage; default float32 above 5 x 10^7 values (draws x rows), else float64.
            Needs draws x rows x 4 (or 8) bytes of memory.
        """
        return add_log_likelihood(self, dtype=dtype)
