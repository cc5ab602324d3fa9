"""The joint (multivariate normal) coefficient prior: export, files, builder, mismatches.

A hand-made posterior (as in test_prior_export) with two correlated coefficients stands in
for a fit, so the exported mean vector and covariance can be checked exactly; the builder's
prior on the per-SD scale is checked against ``D mu`` and ``D cov D`` from prior draws.
"""

from __future__ import annotations

import json
import tomllib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from coalsurv import CoalitionData, JointPrior, Prior, PriorError, PriorSet, SurvivalModel
from coalsurv.backend.sampling import sample_prior
from coalsurv.build import make_design, model_info
from coalsurv.families import get_family
from coalsurv.spec import ModelSpec


def _data(seed=5, n=80, sd_x=3.0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"duration": rng.uniform(1, 30, n), "ended": rng.choice(["a", "b"], n),
                       "x": rng.normal(2.0, sd_x, n), "w": rng.normal(-1.0, 0.5, n),
                       "g": rng.choice(["u", "v", "s"], n)})
    return CoalitionData.from_frame(df, duration="duration", event="ended",
                                    covariates=["x", "w"], groups=["g"], time_unit="days")


def _fake_fit(causes=("a",)):
    rng = np.random.default_rng(7)
    data = _data()
    spec = ModelSpec("x + w + (1 | g)", family="weibull", causes=causes)
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    k = len(causes)
    cov = np.array([[0.04, 0.03], [0.03, 0.09]])
    beta = rng.multivariate_normal([0.6, -0.3], cov, size=(4000, k))
    draws = {"beta": (("cause", "term"), beta),
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
def test_joint_export_keeps_mean_vector_and_covariance(discount):
    fit, draws, design = _fake_fit()
    priors = PriorSet.from_fit(fit, discount=discount)
    joint = priors.explicit("beta_unit[*]")
    assert isinstance(joint, JointPrior) and joint.dist == "MvNormal"
    per_unit = draws["beta"][:, 0, :] / design.sds
    assert joint.terms == ("log(shape)", "log(sd[g])", "x", "w")
    columns = np.column_stack([np.log(draws["shape"][:, 0]), np.log(draws["sd_g"][:, 0]),
                               per_unit])
    np.testing.assert_allclose(joint.mu, columns.mean(axis=0))
    np.testing.assert_allclose(joint.cov, np.cov(columns, rowvar=False) / discount)
    assert joint.correlation()[2, 3] == pytest.approx(0.5, abs=0.05)  # 0.03 / (0.2 * 0.3)
    assert set(priors.priors) == {"beta_unit[*]"}
    assert "beta_unit[x]" not in priors.priors
    prov = priors.provenance
    assert prov["discount"] == discount and prov["from_fit"] == "abc123"
    assert {"data_hash", "spec", "coalsurv_version", "created", "joint"} <= set(prov)
    # joint=False gives today's independent normals
    indep = PriorSet.from_fit(fit, discount=discount, joint=False)
    assert indep.explicit("beta_unit[x]").params["sigma"] == pytest.approx(
        per_unit[:, 0].std(ddof=1) / np.sqrt(discount))


def test_joint_export_options_and_causes():
    fit, draws, _ = _fake_fit(causes=("a", "b"))
    priors = PriorSet.from_fit(fit, include_intercept=True, include_frailty=False)
    assert {"beta_unit[a:*]", "beta_unit[b:*]"} == set(priors.priors)
    joint = priors.explicit("beta_unit[b:*]")
    assert joint.terms == ("(intercept)", "log(shape)", "x", "w")  # no frailty carried
    means = np.asarray(fit.info.means)
    alpha = draws["intercept"][:, 1] - (draws["beta"][:, 1, :] / fit.info.sds) @ means
    assert joint.mu[0] == pytest.approx(alpha.mean())
    plain = PriorSet.from_fit(fit, joint=False, include_intercept=True)
    assert plain.explicit("intercept[a]").params["mu"] == pytest.approx(
        draws["intercept"][:, 0].mean())
    assert "sd[g]" in plain.priors


def test_joint_round_trip_toml_and_json_and_type_tag(tmp_path):
    fit, _, _ = _fake_fit()
    priors = PriorSet.from_fit(fit, include_intercept=True)
    for suffix in ("toml", "json"):
        path = priors.save(tmp_path / f"p.{suffix}")
        assert PriorSet.load(path) == priors
    raw = tomllib.loads((tmp_path / "p.toml").read_text())["priors"]["beta_unit[*]"]
    assert raw["dist"] == "MvNormal" and raw["terms"][0] == "(intercept)"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(p=st.integers(1, 4), data=st.data())
def test_every_prior_kind_round_trips_exactly(p, data, tmp_path_factory):
    mu = data.draw(st.lists(finite, min_size=p, max_size=p))
    a = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=p * p, max_size=p * p)))
    cov = (a.reshape(p, p) @ a.reshape(p, p).T + np.eye(p) * data.draw(
        st.floats(0.01, 100))).tolist()
    cov = [[(x + y) / 2 for x, y in zip(row, col, strict=True)]
           for row, col in zip(cov, zip(*cov, strict=True), strict=True)]
    sigma = data.draw(st.floats(1e-6, 1e6))
    priors = PriorSet({"beta_unit[*]": JointPrior([f"t{i}" for i in range(p)], mu, cov),
                       "beta[z]": Prior("StudentT", nu=3.0, mu=mu[0], sigma=sigma),
                       "sd[g]": Prior("LogNormal", mu=mu[0], sigma=sigma),
                       "shape": Prior("Gamma", alpha=sigma, beta=2.0)},
                      name="h", provenance={"discount": 0.5})
    assert PriorSet.from_dict(json.loads(priors.to_json())) == priors
    assert PriorSet.from_dict(tomllib.loads(priors.to_toml())) == priors


@pytest.mark.parametrize("raw, message", [
    ({"dist": "MvNormal", "terms": ["a"], "mu": [0.0]}, "missing"),
    ({"dist": "MvNormal", "terms": ["a", "b"], "mu": [0.0, 1.0], "cov": [[1.0, 2.0],
                                                                            [2.0, 1.0]]},
     "positive definite"),
    ({"dist": "MvNormal", "terms": ["a"], "mu": [0.0, 1.0], "cov": [[1.0]]}, "2 values"),
])
def test_joint_prior_errors_name_the_key(raw, message):
    with pytest.raises(PriorError, match=message) as info:
        PriorSet.from_dict({"schema": "coalsurv.priors/1", "priors": {"beta_unit[*]": raw}})
    assert "beta_unit[*]" in str(info.value)
    with pytest.raises(PriorError, match="joint key takes a JointPrior"):
        PriorSet({"beta_unit[*]": Prior("Normal", mu=0.0, sigma=1.0)})


def test_builder_uses_mvnormal_on_the_new_data_sd_scale():
    data = _data(seed=11, n=120, sd_x=0.5)
    cov = [[0.04, 0.03], [0.03, 0.09]]
    priors = PriorSet({"beta_unit[*]": JointPrior(["x", "w"], [0.6, -0.3], cov)})
    model = SurvivalModel("x + w + (1 | g)", family="weibull", causes=["a"], priors=priors)
    pm_model, design, _, resolved = model.build(data)
    assert "beta_unit[*]" in resolved
    prior = sample_prior(pm_model, draws=6000, random_seed=3)
    beta = prior["beta"].values.reshape(-1, 2)
    d = np.asarray(design.sds)
    np.testing.assert_allclose(beta.mean(axis=0), d * [0.6, -0.3], atol=0.02)
    np.testing.assert_allclose(np.cov(beta, rowvar=False), np.asarray(cov) * np.outer(d, d),
                               rtol=0.08, atol=1e-4)


def test_builder_recentres_a_carried_intercept_at_the_new_means():
    data = _data(seed=12, n=120)
    # a = log baseline at raw x = w = 0; at the new means the intercept is a + m'b
    priors = PriorSet({"beta_unit[*]": JointPrior(["(intercept)", "x", "w"], [-1.0, 0.5, 0.2],
                                                  np.diag([0.01, 1e-4, 1e-4]).tolist())})
    model = SurvivalModel("x + w", family="weibull", causes=["a"], priors=priors)
    pm_model, design, _, _ = model.build(data)
    prior = sample_prior(pm_model, draws=2000, random_seed=4)
    expected = -1.0 + 0.5 * design.means[0] + 0.2 * design.means[1]
    assert float(prior["intercept"].mean()) == pytest.approx(expected, abs=0.02)


def test_mismatched_terms_give_one_error_listing_them():
    data = _data(seed=13)
    priors = PriorSet({"beta_unit[*]": JointPrior(["x", "gone"], [0.6, 0.1],
                                                  [[0.04, 0.0], [0.0, 0.04]])})
    model = SurvivalModel("x + w", family="weibull", causes=["a"], priors=priors)
    with pytest.raises(PriorError) as info:
        model.build(data)
    text = str(info.value)
    assert "'gone'" in text and "'w'" in text and len(info.value.problems) == 2
    # drop the missing term explicitly (exact marginal) and give the extra one its own prior
    fixed = priors.without_terms(["gone"]).with_priors(beta__w=Prior("Normal", mu=0.0,
                                                                     sigma=0.5))
    assert fixed.explicit("beta_unit[*]").terms == ("x",)
    SurvivalModel("x + w", family="weibull", causes=["a"], priors=fixed).build(data)


def test_carried_shape_and_frailty_sd_come_from_the_joint_prior():
    data = _data(seed=15, n=120)
    terms = ["log(shape)", "log(sd[g])", "x"]
    priors = PriorSet({"beta_unit[*]": JointPrior(terms, [0.3, -1.0, 0.5],
                                                  np.diag([1e-4, 1e-4, 0.01]).tolist())})
    model = SurvivalModel("x + (1 | g)", family="weibull", causes=["a"], priors=priors)
    pm_model, _, _, _ = model.build(data)
    prior = sample_prior(pm_model, draws=2000, random_seed=5)
    assert float(np.log(prior["shape"]).mean()) == pytest.approx(0.3, abs=0.01)
    assert float(np.log(prior["sd_g"]).mean()) == pytest.approx(-1.0, abs=0.01)
    # a model without the frailty gets one error naming the parameter it lacks
    with pytest.raises(PriorError, match=r"log\(sd\[g\]\)"):
        SurvivalModel("x", family="weibull", causes=["a"], priors=priors).build(data)


def test_joint_prior_fit_samples_and_saves(tiny_fit, tmp_path):
    from coalsurv import load_fit

    data = _data(seed=14, n=100)
    priors = PriorSet({"beta_unit[*]": JointPrior(["x", "w"], [0.1, -0.3],
                                                  [[0.04, 0.01], [0.01, 0.09]])}, name="j")
    fit = tiny_fit(data, "x + w + (1 | g)", causes=["a"], priors=priors)
    assert fit.idata["posterior"]["beta"].shape[-1] == 2
    assert "log_prior" in fit.idata.children
    back = load_fit(fit.save(tmp_path / "f.nc"))
    assert back.priors == priors and isinstance(back.resolved_priors["beta_unit[*]"], JointPrior)
