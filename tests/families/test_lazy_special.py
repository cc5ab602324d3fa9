"""scipy.special is imported at the first NumPy formula that needs it, not with the families."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from coalsurv.families import get_family


def test_families_import_without_scipy_special():
    code = ("import sys, coalsurv.families, coalsurv.families.gengamma, "
            "coalsurv.families.lognormal; print('scipy.special' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), check=True)
    assert out.stdout.strip() == "False"


def test_lazy_functions_are_scipy_special():
    import scipy.special as sc

    from coalsurv.families.math import NUMPY

    z = np.array([-40.0, -2.0, 0.0, 3.0])
    np.testing.assert_array_equal(NUMPY.log_ndtr(z), sc.log_ndtr(z))
    np.testing.assert_array_equal(NUMPY.erfcx(z), sc.erfcx(z))
    a, x = np.array([0.5, 2.0, 7.0]), np.array([0.1, 2.0, 30.0])
    np.testing.assert_array_equal(NUMPY.gammainc(a, x), sc.gammainc(a, x))
    np.testing.assert_array_equal(NUMPY.gammaincc(a, x), sc.gammaincc(a, x))
    p = np.array([0.1, 0.5, 0.9])
    q = get_family("lognormal").quantile(p, np.zeros(3), sigma=0.7)
    np.testing.assert_allclose(q, np.exp(0.7 * sc.ndtri(p)), rtol=0, atol=0)
