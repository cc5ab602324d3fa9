"""One R-hat set: the sampler's warning and diagnose() judge the same variables (z_/u_ too)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr

from coalsurv._stats import judged_variables, worst_rhat
from coalsurv.backend.sampling import CoalsurvSamplingWarning, SamplerSettings, _warn_in_plain_words
from coalsurv.diagnostics.sampler import convergence_table


def _idata():
    """Two chains: beta mixes, the frailty draws z_country of level 'b' do not."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 200, 1, 2))
    z[1, :, 0, 1] += 3.0  # chain 1 sits elsewhere for level 'b'
    post = xr.Dataset(
        {"beta": (("chain", "draw", "cause", "term"), rng.normal(size=(2, 200, 1, 2))),
         "z_country": (("chain", "draw", "cause", "level_country"), z)},
        coords={"chain": [0, 1], "draw": np.arange(200), "cause": ["event"],
                "term": ["x1", "x2"], "level_country": ["a", "b"]})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 200), bool))},
                       coords={"chain": [0, 1], "draw": np.arange(200)})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def test_warning_and_diagnose_judge_the_same_set_including_frailty_draws():
    idata = _idata()
    assert judged_variables(idata["posterior"]) == ["beta", "z_country"]
    worst, where = worst_rhat(idata)
    assert where == "z_country[b]" and worst > 1.1
    table = convergence_table(idata)
    assert table["r_hat"].max() == pytest.approx(worst)
    assert table.loc[table["r_hat"].idxmax(), "parameter"] == "z_country[b]"
    with pytest.warns(CoalsurvSamplingWarning, match=r"at z_country\[b\].*group_effects"):
        _warn_in_plain_words(idata, SamplerSettings(draws=200, chains=2))


@pytest.mark.parametrize(("extra", "says", "not_says"), [
    ({"sd_country": ("chain", "draw")}, r"group SD near zero \(sd_country\)", "rw_sd"),
    ({"rw_step": ("chain", "draw", "step")}, r"random walk \(rw_sd\)", "group SD"),
    ({}, "shape", "group SD"),
])
def test_divergence_advice_names_what_the_model_has(extra, says, not_says):
    idata = _idata()
    post = idata["posterior"].to_dataset()
    rng = np.random.default_rng(1)
    for name, dims in extra.items():
        shape = (2, 200) + (() if len(dims) == 2 else (3,))
        post[name] = (dims, np.abs(rng.normal(size=shape)))
    stats = idata["sample_stats"].to_dataset()
    stats["diverging"][0, :3] = True
    tree = xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})
    with pytest.warns(CoalsurvSamplingWarning) as record:
        _warn_in_plain_words(tree, SamplerSettings(draws=200, chains=2))
    text = " ".join(str(w.message) for w in record if "diverged" in str(w.message))
    assert "3 of 400 draws diverged" in text
    assert re.search(says, text) and not_says not in text

