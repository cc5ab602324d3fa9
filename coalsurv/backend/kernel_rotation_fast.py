"""nutpie's log-density C callback of the rotated member effects on the fast row loops.

On ``[fast buffer | rotation section]`` (:mod:`coalsurv.backend.kernel_rotation`): the
sampled point mapped to the kernel's non-centred form,
:func:`coalsurv.backend.kernel_fast.fast_logp_grad`, the gradient chained back. In a module
of its own so that a fit on the generic kernel
(:mod:`coalsurv.backend.kernel_rotation_callback`) never loads it.
"""

from __future__ import annotations

import numba
import numpy as np

from coalsurv.backend.kernel_fast import fast_logp_grad
from coalsurv.backend.kernel_layout import LOGP_SIG, callback_status
from coalsurv.backend.kernel_rotation import R_NDIM, rot_back, rot_forward, rotation_parts

__all__ = ["ROT_FAST_CFUNC"]


@numba.cfunc(LOGP_SIG, cache=True, error_model="numpy")
def ROT_FAST_CFUNC(dim, x_, out_, logp_, user_data_):  # noqa: N802 - a C callback
    """Log-density callback of nutpie: 0 ok, 3 non-finite gradient, 4 non-finite log p."""
    buf, rot = rotation_parts(user_data_)
    if dim != int(rot[R_NDIM]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    xi, gi = np.empty(dim), np.empty(dim)
    rot_forward(rot, x, xi)
    value = fast_logp_grad(buf, xi, gi)
    rot_back(rot, x, xi, gi, out)
    logp[0] = value
    return callback_status(out, value)
