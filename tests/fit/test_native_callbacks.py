"""nutpie's log-density callbacks called from Python, and what a fresh fit loads (issue 23).

The start check of a native fit calls the C callback nutpie will sample with (through
``ctypes``), so a fresh process loads no second compiled log density; a fit on the
specialised row loop never imports the generic kernel's callback module.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.backend import native, native_fast, nutpie_model
from coalsurv.backend.kernel import logp_grad
from coalsurv.backend.kernel_fast import fast_logp_grad
from coalsurv.backend.kernel_fast_tve import TVE_CODES, tve_fast_logp_grad


def _plan(family, formula="x + (1 | g)", **options):
    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame({"t": rng.weibull(1.2, n) + 0.05, "x": rng.normal(size=n),
                          "g": rng.choice(list("abcd"), n), "h": rng.choice(list("uvw"), n),
                          "ended": rng.choice(["end", "censored"], n, p=[0.7, 0.3])})
    data = CoalitionData.from_frame(frame, duration="t", event="ended", covariates=["x"],
                                    groups=["g", "h"], time_unit="months")
    model, _, info, _ = SurvivalModel(formula, family=family, **options).build(data)
    kplan, reason = native.plan(model, info, {})
    assert kplan is not None, reason
    return kplan, native.make_buffer(kplan, model)


@pytest.mark.parametrize(("family", "formula", "generic"), [
    ("weibull", "x + (1 | g)", False), ("loglogistic", "x + (1 | g)", False),
    ("weibull", "tve(x, type='pw') + (1 | g)", False),
    ("weibull", "x + (1 | g) + (1 | h)", True)])
def test_the_start_check_calls_the_callback_nutpie_samples_with(family, formula, generic):
    kplan, buf = _plan(family, formula)
    fast = native_fast.fast_buffer(kplan, buf)
    assert (fast is None) == generic  # two frailty factors: the generic kernel's
    start = nutpie_model._start_logp(buf, route="native", fast=fast)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.normal(scale=0.5, size=kplan.ndim)
        g_c, g_k = np.empty(kplan.ndim), np.empty(kplan.ndim)
        value = start(x, g_c)
        if fast is None:
            expected = logp_grad(buf, x, g_k)
        elif fast[2] >= TVE_CODES:  # the tve loop's callback adds its own priors
            expected = tve_fast_logp_grad(fast, x, g_k)
        else:
            expected = fast_logp_grad(fast, x, g_k)
        assert value == expected  # the same compiled code, bit for bit
        np.testing.assert_array_equal(g_c, g_k)
    with pytest.raises(ValueError, match="does not describe"):
        start(np.zeros(kplan.ndim + 1), np.empty(kplan.ndim + 1))


def test_a_fast_loop_fit_loads_no_generic_callback():
    code = textwrap.dedent("""
        import sys
        import numpy as np, pandas as pd
        from coalsurv import CoalitionData, SurvivalModel
        rng = np.random.default_rng(1)
        frame = pd.DataFrame({"t": rng.weibull(1.2, 40) + 0.05, "x": rng.normal(size=40),
                              "ended": "end"})
        data = CoalitionData.from_frame(frame, duration="t", event="ended", covariates=["x"],
                                        time_unit="months")
        fit = SurvivalModel("x", family="weibull").fit(data, draws=50, tune=50, chains=2,
                                                       random_seed=1, progressbar=False)
        assert fit.idata["posterior"].attrs["coalsurv_row_loop"] == "fast"
        from coalsurv.backend.kernel import logp_grad
        loaded = [m for m in ("kernel_callback", "kernel_fast_tve_callback")
                  if f"coalsurv.backend.{m}" in sys.modules]
        loaded += ["logp_grad"] if logp_grad.signatures else []  # called from Python
        print(",".join(loaded) or "none")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, check=True)
    assert out.stdout.strip().splitlines()[-1] == "none"
