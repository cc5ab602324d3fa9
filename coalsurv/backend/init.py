"""Initial points of the sampler: every chain starts near the prior median, jittered.

PyMC starts a variable at its distribution's "support point", which for a log-normal is the
*mean* ``exp(mu + sigma^2 / 2)``: ``exp(4.5) = 90`` for a shape prior ``LogNormal(0, 3)`` and
``exp(50) = 5e21`` for ``LogNormal(0, 10)``. From there the Weibull likelihood
``exp(k (log t - eta))`` is astronomically steep, chains stick (ESS 2, R-hat 1e15) and with
wider priors every initialisation fails. The median ``exp(mu)`` is where a log-normal prior
puts its mass, on the unconstrained (log) scale its centre; nutpie then adds its U(-1, 1)
jitter on that scale per chain, drawn from the fit's seed (same seed, same starts).
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
        ``initial_points``): the median ``exp(mu)`` of every log-normal free variable; other
        variables keep PyMC's default (the mean of a normal, the mode region of half-normals).
    """
    out = {}
    for rv in model.free_RVs:
        if type(rv.owner.op).__name__ != "LogNormalRV":
            continue
        mu = np.asarray(rv.owner.inputs[2].eval(), dtype=float)
        shape = tuple(int(s) for s in rv.shape.eval())
        out[rv.name] = np.broadcast_to(np.exp(mu), shape).copy()
    return out
