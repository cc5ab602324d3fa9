"""PriorSet.from_fit: a posterior turned into priors (power prior), from known draws.

A hand-made posterior stands in for a fit, so the exported priors can be checked exactly:
per-unit coefficients (draws divided by the covariate's SD), variances divided by the
discount, positive parameters as log-normals of their log draws, provenance recorded.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from coalsurv import CoalitionData, PriorError, PriorSet
from coalsurv.build import make_design, model_info
from coalsurv.families import get_family
from coalsurv.spec import ModelSpec


def _fake_fit(causes=("a",)):
    rng = np.random.default_rng(5)
    n = 60
    df = pd.DataFrame({"duration": rng.uniform(1, 30, n), "ended": rng.choice(["a", "b"], n),
                       "x": rng.normal(2.0, 3.0, n), "g": rng.choice(["u", "v"], n)})
    data = CoalitionData.from_frame(df, duration="duration", event="ended", covariates=["x"],
                                    groups=["g"], time_unit="days")
    spec = ModelSpec("x + (1 | g)", family="weibull", causes=causes)
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    k = len(causes)
    draws = {"beta": (("cause", "term"), rng.normal(0.6, 0.2, (4000, k, 1))),
             "shape": (("cause",), rng.lognormal(0.2, 0.1, (4000, k))),
             "intercept": (("cause",), rng.normal(-1.0, 0.3, (4000, k))),
             "sd_g": (("cause",), rng.lognormal(-0.5, 0.4, (4000, k)))}
    posterior = xr.Dataset({name: (("chain", "draw", *dims), v.reshape(2, 2000, *v.shape[1:]))
                            for name, (dims, v) in draws.items()})
    fit = SimpleNamespace(idata={"posterior": posterior}, info=info, design=design,
                          family=get_family("weibull"), spec=spec, fit_id="abc123",
                          data_hash="f" * 64)
    return fit, {k: v.reshape(4000, *v.shape[1:]) for k, (_, v) in draws.items()}, design


@pytest.mark.parametrize("discount", [1.0, 0.5])
def test_from_fit_moments_per_unit_and_discount(discount):
    fit, draws, design = _fake_fit()
    priors = PriorSet.from_fit(fit, discount=discount)
    beta = priors.explicit("beta_unit[x]")
    per_unit = draws["beta"][:, 0, 0] / design.sds[0]
    assert beta.dist == "Normal"
    assert beta.params["mu"] == pytest.approx(per_unit.mean())
    assert beta.params["sigma"] == pytest.approx(per_unit.std(ddof=1) / np.sqrt(discount))
    shape = priors.explicit("shape")
    assert shape.dist == "LogNormal"
    assert shape.params["mu"] == pytest.approx(np.log(draws["shape"][:, 0]).mean())
    assert shape.params["sigma"] == pytest.approx(
        np.log(draws["shape"][:, 0]).std(ddof=1) / np.sqrt(discount))
    sd = priors.explicit("sd[g]")
    assert sd.params["mu"] == pytest.approx(np.log(draws["sd_g"][:, 0]).mean())
    assert priors.explicit("intercept") is None  # not carried unless asked
    assert priors.provenance["discount"] == discount
    assert priors.provenance["from_fit"] == "abc123"
    assert priors.provenance["time_scale"] == fit.info.time_scale


def test_from_fit_cause_keys_intercept_and_round_trip(tmp_path):
    fit, draws, _ = _fake_fit(causes=("a", "b"))
    priors = PriorSet.from_fit(fit, include_intercept=True)
    assert {"beta_unit[a:x]", "beta_unit[b:x]", "shape[a]", "shape[b]", "intercept[a]",
            "intercept[b]", "sd[g]"} == set(priors.priors)
    assert priors.explicit("intercept[b]").params["mu"] == pytest.approx(
        draws["intercept"][:, 1].mean())
    path = priors.save(tmp_path / "p.toml")
    assert PriorSet.load(path) == priors
    with pytest.raises(PriorError, match="discount"):
        PriorSet.from_fit(fit, discount=0.0)
