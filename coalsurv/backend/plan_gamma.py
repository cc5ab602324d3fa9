"""The plan's side of the gamma and generalised gamma families (issue 23).

Both run through the generic rows of :mod:`coalsurv.backend.kernel_rows` with the family
parameter ``theta`` = the gamma ``shape`` / the generalised gamma's ``sigma`` (the parameter
of shape covariates and of stratified shapes). The generalised gamma's second parameter ``Q``
(one real value per cause) travels in the Royston-Parmar spline's extension slot
(``E_SPLINE_OFF``, ``E_SPLINE_K = 1``, ``E_SPLINE_PRIOR``, and spline constants with one
"knot"): :func:`coalsurv.backend.kernel_spline.terms` hands ``b[0]`` to
:func:`coalsurv.families.kernels_gamma.gengamma_terms` (``direction = 0``: ``d/dQ``) for the
tve tables and spell curves, while the rows take the value and ``d/dQ`` in one pass
(:mod:`coalsurv.backend.kernel_gengamma`); ``spline_bound`` ignores the slot for this family.

With stratified shapes ``Q`` is (cause, stratum): one "knot" per stratum, and the rows pick
their stratum's (:mod:`coalsurv.backend.kernel_gengamma`). Time-varying covariates run through
the episode curves of :mod:`coalsurv.backend.kernel_spells`, which evaluate the family at each
episode's equivalent time with its last spell's ``sigma`` and ``Q`` (its stratum's with
stratified shapes) and ``d/dQ`` in the same pass. Both families are AFT: tve() is refused by
the spec (:class:`coalsurv.spec.modelspec.ModelSpec`), not here; nothing is refused.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gengamma_formulas_match", "fill_gengamma"]


def gengamma_formulas_match(family) -> bool:
    """Whether the family's log hazard and log survival equal the kernel's on a grid.

    Both branches of ``Q`` (the incomplete gamma of either sign, the expansion near 0).
    """
    from coalsurv.families.kernels_gamma import gengamma_terms

    for t in (0.05, 0.7, 3.0):
        for eta in (-1.3, 0.0, 0.9):
            for sigma in (0.6, 1.0, 2.2):
                for q in (-1.2, -0.3, -4e-4, 0.0, 7e-4, 0.5, 1.6):
                    want = (float(family.log_hazard(t, eta, sigma=sigma, Q=q)),
                            float(family.log_survival(t, eta, sigma=sigma, Q=q)))
                    got = gengamma_terms(t, float(np.log(t)), eta, sigma, float(np.log(sigma)),
                                         q, -1)
                    if not np.allclose(want, (got[0], got[3]), rtol=1e-9, atol=1e-11):
                        return False
    return True


def fill_gengamma(kplan, head: np.ndarray, e: int, at: int, parts: list) -> None:
    """Put ``Q`` in the spline's slot of the extension header at ``e`` (data from ``at``).

    One "knot" per cause, or one per stratum with stratified shapes (``Q`` (cause, stratum)):
    the dummy spline constants' count ``K``, which ``kernel_spline.spline_arrays`` reads.
    """
    from coalsurv.backend import kernel_layout as K

    if kplan.family != "gengamma":
        return
    block = kplan.block("Q")
    per = kplan.strata if kplan.strata_theta else 1
    head[e + K.E_SPLINE_DATA] = at + sum(p.size for p in parts)
    parts.append(np.concatenate([[0.0, float(per), 0.0, 0.0, 1.0], np.zeros(4 * per)]))
    head[e + K.E_SPLINE_OFF] = block.offset
    head[e + K.E_SPLINE_K] = per
    head[e + K.E_SPLINE_PRIOR:e + K.E_SPLINE_PRIOR + 4] = block.prior
