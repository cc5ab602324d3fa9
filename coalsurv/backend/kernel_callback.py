"""nutpie's log-density C callback on the generic kernel, in a module of its own.

A ``numba.cfunc`` is compiled (or loaded from numba's disk cache) when its module is
imported. :func:`coalsurv.backend.kernel.logp_grad` is imported by every native fit, but its
C callback is needed only when the generic row loop samples: a fit on a specialised row loop
(:mod:`coalsurv.backend.kernel_fast`) hands nutpie ``LOGP_FAST_CFUNC`` instead. Keeping
:data:`LOGP_CFUNC` here means such a fit never loads it (0.04-0.06 s of a fresh process).

The start check of :func:`coalsurv.backend.native_buffer.initial_point` calls the callback
that nutpie will call, through its ``ctypes`` entry (:mod:`coalsurv.backend.nutpie_model`),
so no second numba function is loaded for it.
"""

from __future__ import annotations

import numba
import numpy as np

from coalsurv.backend.kernel import logp_grad
from coalsurv.backend.kernel_joint import graph_ndim
from coalsurv.backend.kernel_layout import LOGP_SIG, callback_status

__all__ = ["LOGP_CFUNC"]

@numba.cfunc(LOGP_SIG, cache=True, error_model="numpy")
def LOGP_CFUNC(dim, x_, out_, logp_, user_data_):  # noqa: N802 - a C callback
    """Log-density callback of nutpie: 0 ok, 3 non-finite gradient, 4 non-finite log p."""
    length = numba.carray(user_data_, (1,), np.float64)[0]
    buf = numba.carray(user_data_, (int(length),), np.float64)
    if dim != graph_ndim(buf):
        return -1
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    logp = numba.carray(logp_, (1,))
    value = logp_grad(buf, x, out)
    logp[0] = value
    return callback_status(out, value)

