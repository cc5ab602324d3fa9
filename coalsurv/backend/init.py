"""Initial points of the sampler: every chain starts near the prior median, jittered.

PyMC starts a variable at its distribution's "support point", which for a log-normal is the
*mean* ``exp(mu + sigma^2 / 2)``: ``exp(4.5) = 90`` for a shape prior ``LogNormal(0, 3)`` and
``exp(50) = 5e21`` for ``LogNormal(0, 10)``. From there the Weibull likelihood
``exp(k (log t - eta))`` is astronomically steep, chains stick (ESS 2, R-hat 1e15) and with
wider priors every initialisation fails. The median ``exp(mu)`` is where a log-normal prior
puts its mass, on the unconstrained (log) scale its centre; nutpie then adds its U(-1, 1)
jitter on that scale per chain, drawn from the fit's seed (same seed, same starts).

Other positive variables (half-normal, half-Cauchy, exponential, gamma priors) start at
PyMC's support point (their scale or mean) capped at 1: with wide priors such as bml's
``Exponential(0.001)`` shape and ``HalfCauchy(25)`` member SD the support point is 1,000 or
25, far in the tail on coalsurv's scales (standardised covariates, time over its median), and
chains stuck there or every initial point failed. The native kernel's starts
(``native_buffer.support``) follow the same rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["initial_points"]


def initial_points(model) -> dict[str, Any]:
    """Return initial values for ``model``'s free variables whose support point is off-centre.

    Parameters
    ----------
    model : pymc.Model
        Built by :func:`coalsurv.build.build_model`.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{name: value}`` on the constrained scale (for ``nutpie.compile_pymc_model``'s
        ``initial_points``): the median ``exp(mu)`` of every log-normal free variable, and
        PyMC's support point capped at 1 for other log-transformed (positive) variables;
        other variables keep PyMC's default (the mean of a normal).
    """
    out = {}
    start = None
    for rv in model.free_RVs:
        if type(rv.owner.op).__name__ != "LogNormalRV":
            value_name = model.rvs_to_values[rv].name
            if not value_name.endswith("_log__"):
                continue
            if start is None:
                start = model.initial_point()
            value = np.exp(np.asarray(start[value_name], dtype=float))
            if np.any(value > 1.0):
                out[rv.name] = np.minimum(value, 1.0)
            continue
        mu = np.asarray(rv.owner.inputs[2].eval(), dtype=float)
        shape = tuple(int(s) for s in rv.shape.eval())
        out[rv.name] = np.broadcast_to(np.exp(mu), shape).copy()
    return out
