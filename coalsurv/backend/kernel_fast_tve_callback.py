"""nutpie's log-density C callback on the piecewise tve() fast loop, in a module of its own.

A ``numba.cfunc`` is compiled, or loaded from numba's disk cache, when its module is imported;
:mod:`coalsurv.backend.kernel_fast` imports :mod:`coalsurv.backend.kernel_fast_tve` for its
dispatch, so the callback lives here and only a tve fit
(:func:`coalsurv.backend.nutpie_model._logp_callback`) loads it.
"""

from __future__ import annotations

import numba
import numpy as np

from coalsurv.backend.kernel_fast_tve import tve_fast_logp_grad
from coalsurv.backend.kernel_layout import H_NDIM, LOGP_SIG, callback_status

__all__ = ["LOGP_TVE_CFUNC"]


@numba.cfunc(LOGP_SIG, cache=True, error_model="numpy")
def LOGP_TVE_CFUNC(dim, x_, out_, logp_, user_data_):  # noqa: N802 - a C callback
    """Log-density callback of nutpie on the tve fast buffer (codes as the generic callback's)."""
    length = numba.carray(user_data_, (1,), np.float64)[0]
    fb = numba.carray(user_data_, (int(length),), np.float64)
    if dim != int(fb[int(fb[1]) + H_NDIM]):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    value = tve_fast_logp_grad(fb, x, out)
    logp[0] = value
    return callback_status(out, value)
