"""The plan's side of the gamma and generalised gamma families (issue 23).

Both run through the generic rows of :mod:`coalsurv.backend.kernel_rows` with the family
parameter ``theta`` = the gamma ``shape`` / the generalised gamma's ``sigma`` (the parameter
of shape covariates and of stratified shapes). The generalised gamma's second parameter ``Q``
(one real value per cause) travels in the Royston-Parmar spline's extension slot
(``E_SPLINE_OFF``, ``E_SPLINE_K = 1``, ``E_SPLINE_PRIOR``, and spline constants with one
"knot"): :func:`coalsurv.backend.kernel_spline.terms` hands ``b[0]`` to
:func:`coalsurv.families.kernels_gamma.gengamma_terms`, and the rows' per-coefficient gradient
loop gives ``d/dQ`` (``direction = 0``); ``spline_bound`` ignores the slot for this family.

Refused for the generalised gamma (:func:`gengamma_refusal`): time-varying covariates (the
episode curves of :mod:`coalsurv.backend.kernel_spells` call ``family_terms``, which has no
``Q``) and stratified shapes (``Q`` per cause and stratum).
"""

from __future__ import annotations

import numpy as np

__all__ = ["gengamma_refusal", "gengamma_formulas_match", "fill_gengamma"]


def gengamma_refusal(info, parts: tuple[str, ...]) -> str:
    """Why the kernel does not run this generalised-gamma model ("" when it does)."""
    if info.spells:
        return "time-varying covariates (spells) with family 'gengamma': not in the kernel"
    if "shape" in parts:
        return ("stratified shapes of family 'gengamma' (Q per stratum): not in the kernel "
                "(strata_parts=('level',) runs natively)")
    return ""


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
    """Put ``Q`` in the spline's slot of the extension header at ``e`` (data from ``at``)."""
    from coalsurv.backend import kernel_layout as K

    if kplan.family != "gengamma":
        return
    block = kplan.block("Q")
    head[e + K.E_SPLINE_DATA] = at + sum(p.size for p in parts)
    parts.append(np.array([0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]))  # one "knot"
    head[e + K.E_SPLINE_OFF] = block.offset
    head[e + K.E_SPLINE_K] = 1
    head[e + K.E_SPLINE_PRIOR:e + K.E_SPLINE_PRIOR + 4] = block.prior
