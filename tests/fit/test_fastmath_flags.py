"""The branch-free math keeps its own (no) fast-math flags whoever compiles it first.

numba compiles a callee that does not set ``fastmath`` with its caller's flags the first time a
caller needs it, and that overload then serves every caller. ``flog1p`` first compiled from a
``fastmath={"reassoc", "contract"}`` loop gave ``inf`` at ``3e306`` (reassociated Kahan
``log1p``); :mod:`coalsurv.backend.kernel_fastmath` now sets its flags explicitly (``fexp``:
``contract`` only).
This test compiles a fast-math caller FIRST, in a fresh numba cache (a subprocess), then checks
the values against NumPy. (``kernel_fast._gompertz_h`` sets ``fastmath=False`` too; importing
``kernel_fast`` in a fresh cache would compile the whole kernel, so it is not exercised here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

_SCRIPT = r"""
import json
import numpy as np
from numba import njit
from coalsurv.backend import kernel_fastmath as km

@njit(fastmath={"reassoc", "contract"})
def caller(y):
    return km.flog1p(y) + km.flog(y) + km.fexp(-y * 1e-306)

caller(3e306)  # compiles the callees in a fast-math context first
ys = np.geomspace(1e-300, 1e308, 400)
xs = np.linspace(-700.0, 700.0, 401)
out = {"log1p": [km.flog1p(y) for y in ys], "log": [km.flog(y) for y in ys],
       "exp": [km.fexp(x) for x in xs]}
print(json.dumps(out))
"""


def test_fast_math_caller_first_leaves_the_math_exact(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    run = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                         text=True, check=True, timeout=600)
    out = json.loads(run.stdout.strip().splitlines()[-1])
    ys = np.geomspace(1e-300, 1e308, 400)
    xs = np.linspace(-700.0, 700.0, 401)
    np.testing.assert_allclose(out["log1p"], np.log1p(ys), rtol=1e-15, atol=0)
    np.testing.assert_allclose(out["log"], np.log(ys), rtol=1e-15, atol=0)
    np.testing.assert_allclose(out["exp"], np.exp(xs), rtol=1e-15, atol=0)


def test_fexp_contracts_and_the_logs_do_not():
    """``fexp`` fuses multiply-adds (``contract``: the PH fast loop's speed), nothing else does.

    Without contraction its 13-step polynomial is separate multiplies and adds (no FMA): the
    PH fast loop lost 4-20 % per gradient (29d233c); reassociation stays off (the shifter).
    """
    from coalsurv.backend import kernel_fastmath as km

    assert set(km.fexp.targetoptions["fastmath"]) == {"contract"}
    assert km.flog.targetoptions["fastmath"] is False
    assert km.flog1p.targetoptions["fastmath"] is False
