"""mm(centring="rotation") on coalgov: the same posterior as the non-centred form (issue 21).

Parties nested in countries (``(1 | cname)``), equal and power weights: the model sampled with
the rotation (what ``"auto"`` picks there) and non-centred, 4 chains x 1,000 draws each on the
native kernel; every summary parameter's posterior mean agrees within 0.1 posterior SD, and
the traced country and party effects too. Measured: see the test's docstring.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv as cs
from tests.fit.test_members_slow import FORMULA, _coalgov

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("weights", ["equal", "power"])
def test_rotation_and_noncentred_agree_on_coalgov(shared_data, weights):
    """Two fits of 4 x 1000 draws per weights; measured TIME_PLACEHOLDER."""
    data = _coalgov(shared_data, positive_shares=weights == "power")
    fits = {}
    for centring in ("rotation", "noncentred"):
        formula = FORMULA.format(w=weights).replace(")", f", centring='{centring}')", 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[centring] = cs.SurvivalModel(formula).fit(
                data, draws=1000, tune=1000, chains=4, random_seed=5, progressbar=False)
        assert fits[centring].sampler["kernel"] == "native", fits[centring].sampler
        assert fits[centring].info.members["centring"] == centring
    a, b = (fits[c].summary().set_index("parameter") for c in ("rotation", "noncentred"))
    assert list(a.index) == list(b.index)
    sd = np.maximum(a["sd"], b["sd"])
    gap = np.abs(a["mean"] - b["mean"]) / sd
    print("\n", gap.sort_values().tail(5).to_string(), "\nmin ESS bulk rotation",
          a["ess_bulk"].min(), "noncentred", b["ess_bulk"].min())
    assert (gap < 0.1).all(), gap
    for name in ("u_cname", "u_mm"):  # every country's and party's effect
        pa, pb = (fits[c].idata["posterior"][name] for c in fits)
        scale = np.maximum(pa.std(("chain", "draw")), pb.std(("chain", "draw")))
        rel = np.abs(pa.mean(("chain", "draw")) - pb.mean(("chain", "draw"))) / scale
        assert float(rel.max()) < 0.15, (name, float(rel.max()))
