"""The mixture joint prior: EM fit to draws, files, marginals, the builder, export from a fit.

The EM fit is checked on draws from a known two-component mixture; the builder's prior on the
per-SD scale against the mixture mapped by ``D`` (prior draws); the export on a hand-made
funnel-shaped posterior (a coefficient whose spread depends on the frailty log-SD), where one
normal misses the shape and the mixture keeps it.
"""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalsurv import PriorError, PriorSet, SurvivalModel
from coalsurv.backend.sampling import sample_prior
from coalsurv.spec.mixture import JointMixture, fit_gaussian_mixture
from tests.spec.test_joint_prior import _data, _fake_fit


def _two_bumps(n=4000, seed=1):
    rng = np.random.default_rng(seed)
    a = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.5], [0.5, 1.0]], size=int(n * 0.7))
    b = rng.multivariate_normal([4.0, -2.0], [[0.3, 0.0], [0.0, 0.2]], size=n - len(a))
    return np.vstack([a, b])


def test_em_recovers_a_known_mixture_and_bic_picks_two():
    weights, means, covs = fit_gaussian_mixture(_two_bumps())
    assert len(weights) == 2
    order = np.argsort(weights)[::-1]
    np.testing.assert_allclose(weights[order], [0.7, 0.3], atol=0.02)
    np.testing.assert_allclose(means[order], [[0.0, 0.0], [4.0, -2.0]], atol=0.08)
    np.testing.assert_allclose(covs[order[0]], [[1.0, 0.5], [0.5, 1.0]], atol=0.1)


def test_em_is_reproducible_and_picks_one_for_normal_draws():
    x = np.random.default_rng(3).multivariate_normal([1.0, 2.0], np.eye(2), size=3000)
    first = fit_gaussian_mixture(x, seed=4)
    assert len(first[0]) == 1
    again = fit_gaussian_mixture(_two_bumps(), seed=4)
    np.testing.assert_array_equal(again[1], fit_gaussian_mixture(_two_bumps(), seed=4)[1])


@pytest.mark.parametrize("components, message", [(0, "positive integer"), ("many", "auto"),
                                                 (True, "positive integer")])
def test_bad_component_counts_are_refused(components, message):
    with pytest.raises(PriorError, match=message):
        fit_gaussian_mixture(_two_bumps(), components=components)
    with pytest.raises(PriorError, match="too few"):
        fit_gaussian_mixture(_two_bumps(n=50), components=3)


def _mixture(p=2):
    return JointMixture([f"t{i}" for i in range(p)], [0.25, 0.75],
                        [[0.0] * p, [1.0] * p], [np.eye(p).tolist(), (2 * np.eye(p)).tolist()])


def test_moments_marginal_and_files(tmp_path):
    mix = _mixture(3)
    np.testing.assert_allclose(mix.mu, [0.75] * 3)
    # total variance: sum w (var_k + (m_k - m)^2) = 0.25 (1 + 0.5625) + 0.75 (2 + 0.0625)
    np.testing.assert_allclose(np.diag(mix.cov), [1.9375] * 3)
    sub = mix.marginal(["t2", "t0"])
    assert sub.terms == ("t2", "t0") and sub.weights == mix.weights
    priors = PriorSet({"beta_unit[*]": mix}, name="m")
    for suffix in ("toml", "json"):
        path = priors.save(tmp_path / f"p.{suffix}")
        assert PriorSet.load(path) == priors
    raw = tomllib.loads((tmp_path / "p.toml").read_text())["priors"]["beta_unit[*]"]
    assert raw["dist"] == "MvNormalMixture" and raw["weights"] == [0.25, 0.75]
    assert PriorSet.load(tmp_path / "p.toml").without_terms(["t1"]).priors[
        "beta_unit[*]"].terms == ("t0", "t2")


@pytest.mark.parametrize("raw, message", [
    ({"dist": "MvNormalMixture", "terms": ["a"], "weights": [1.0], "mu": [[0.0]]}, "missing"),
    ({"dist": "MvNormalMixture", "terms": ["a"], "weights": [0.5, 0.6], "mu": [[0.0], [1.0]],
      "cov": [[[1.0]], [[1.0]]]}, "sum to 1"),
    ({"dist": "MvNormalMixture", "terms": ["a"], "weights": [1.0], "mu": [[0.0], [1.0]],
      "cov": [[[1.0]]]}, "one entry per component"),
    ({"dist": "MvNormalMixture", "terms": ["a"], "weights": [1.0], "mu": [[0.0]],
      "cov": [[[-1.0]]]}, "positive definite"),
])
def test_mixture_errors_name_the_key(raw, message):
    with pytest.raises(PriorError, match=message) as info:
        PriorSet.from_dict({"schema": "coalsurv.priors/1", "priors": {"beta_unit[*]": raw}})
    assert "beta_unit[*]" in str(info.value)


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(p=st.integers(1, 3), k=st.integers(1, 3), data=st.data())
def test_mixtures_round_trip_exactly(p, k, data):
    raw_w = data.draw(st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k))
    weights = [w / sum(raw_w) for w in raw_w]
    mus = [data.draw(st.lists(finite, min_size=p, max_size=p)) for _ in range(k)]
    covs = [(np.eye(p) * data.draw(st.floats(0.01, 100.0))).tolist() for _ in range(k)]
    priors = PriorSet({"beta_unit[*]": JointMixture([f"t{i}" for i in range(p)], weights, mus,
                                                    covs)}, name="h")
    assert PriorSet.from_dict(json.loads(priors.to_json())) == priors
    assert PriorSet.from_dict(tomllib.loads(priors.to_toml())) == priors


def test_builder_samples_the_mixture_on_the_new_data_sd_scale():
    data = _data(seed=11, n=120, sd_x=0.5)
    mix = JointMixture(["x", "w"], [0.3, 0.7], [[2.0, 0.0], [-1.0, 0.5]],
                       [[[0.04, 0.0], [0.0, 0.04]], [[0.09, 0.02], [0.02, 0.04]]])
    model = SurvivalModel("x + w + (1 | g)", family="weibull", causes=["a"],
                          priors=PriorSet({"beta_unit[*]": mix}))
    pm_model, design, _, _ = model.build(data)
    beta = sample_prior(pm_model, draws=6000, random_seed=3)["beta"].values.reshape(-1, 2)
    per_unit = beta / np.asarray(design.sds)
    high = per_unit[:, 0] > 0.5  # the two components separate on x
    assert abs(high.mean() - 0.3) < 0.02
    np.testing.assert_allclose(per_unit[high].mean(axis=0), [2.0, 0.0], atol=0.03)
    np.testing.assert_allclose(per_unit[~high].mean(axis=0), [-1.0, 0.5], atol=0.03)


def test_export_of_a_funnel_keeps_its_shape():
    fit, draws, _ = _fake_fit()
    rng = np.random.default_rng(9)
    log_sd = rng.normal(-1.0, 0.8, 4000)
    funnel = rng.normal(0.5, 1.0, 4000) * np.exp(log_sd)  # spread grows with the frailty SD
    beta = fit.idata["posterior"]["beta"].values.copy()
    beta[..., 0, 0] = (funnel * fit.info.sds[0]).reshape(2, 2000)
    fit.idata["posterior"]["beta"] = (("chain", "draw", "cause", "term"), beta)
    fit.idata["posterior"]["sd_g"] = (("chain", "draw", "cause"),
                                      np.exp(log_sd).reshape(2, 2000, 1))
    one = PriorSet.from_fit(fit, components=1).priors["beta_unit[*]"]
    mix = PriorSet.from_fit(fit, components="auto").priors["beta_unit[*]"]
    assert isinstance(mix, JointMixture) and len(mix.weights) >= 2
    assert mix.terms == one.terms
    np.testing.assert_allclose(mix.mu, one.mu, atol=0.02)  # same moments, different shape
    x, s = one.terms.index("x"), one.terms.index("log(sd[g])")
    sd_given_low = [np.sqrt(c.cov[x][x]) for c in mix.components]
    means = [c.mu[s] for c in mix.components]
    # the component at the lower frailty SD is the narrower one in x: the funnel is kept
    assert sd_given_low[int(np.argmin(means))] < sd_given_low[int(np.argmax(means))]
    assert PriorSet.from_fit(fit, components="auto").provenance["components"] == "auto"
    assert PriorSet.from_fit(fit, components=3).priors["beta_unit[*]"].weights.__len__() == 3
    assert "beta_unit[x]" in PriorSet.from_fit(fit, joint=False).priors  # no mixture
    with pytest.raises(PriorError, match="positive integer"):
        PriorSet.from_fit(fit, components=0)
