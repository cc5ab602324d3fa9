"""Golden outputs: fixed-seed fits give exactly the numbers stored in ``tests/golden``.

The restructuring of the package (and any change that claims "no change in numbers") must
leave these identical: the same seed gives the same draws, hence the same summary, hazard
ratios, survival, cumulative incidence and LOO, and a saved fit predicts the same after loading.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.golden.models import GOLDEN, MODELS, SHARED_DATA, fit_model, outputs

EXPECTED = json.loads(GOLDEN.read_text())
# Identical draws give identical numbers; the tolerance only absorbs summation order in BLAS.
RTOL, ATOL = 1e-9, 1e-12


@pytest.mark.parametrize("name", sorted(MODELS))
def test_golden_outputs_unchanged(name, tmp_path):
    if MODELS[name][0] == "king1990" and not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    got = outputs(fit_model(name), tmp_path)
    want = EXPECTED[name]
    assert sorted(got) == sorted(want)
    assert sorted(got["summary"]) == sorted(want["summary"])
    for parameter, values in want["summary"].items():
        np.testing.assert_allclose(got["summary"][parameter], values, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: summary of {parameter}")
    for key in ("ratios", "survival", "cif"):
        if key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name}: {key}")
    assert got["loo"] == pytest.approx(want["loo"], rel=RTOL)
    assert got["roundtrip_survival_equal"] is True
