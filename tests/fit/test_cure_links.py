"""Cure links (logit, probit, cloglog) and the promotion-time cure: closed forms, fits, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import xarray as xr

from coalsurv import CoalitionData, SurvivalModel
from coalsurv.build import make_design, model_info
from coalsurv.build.graph import build_model
from coalsurv.errors import SpecError
from coalsurv.families import NUMPY
from coalsurv.families.cure_links import log_cured_share, log_shares
from coalsurv.fit.predict import Predictor
from coalsurv.spec import ModelSpec, PriorSet


def _data(n=50, seed=3):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"duration": rng.exponential(5.0, n) + 0.1,
                       "ended": rng.choice(["end", "censored"], n, p=[0.6, 0.4]),
                       "start": np.where(rng.uniform(size=n) < 0.3, 0.05, 0.0)})
    return CoalitionData.from_frame(df, duration="duration", event="ended", entry="start",
                                    time_unit="months")


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_log_shares_closed_forms(link):
    lin = np.linspace(-6, 4, 41)
    pi = {"logit": 1 / (1 + np.exp(-lin)), "probit": st.norm.cdf(lin),
          "cloglog": -np.expm1(-np.exp(lin))}[link]
    uncured = {"logit": 1 / (1 + np.exp(lin)), "probit": st.norm.sf(lin),
               "cloglog": np.exp(-np.exp(lin))}[link]
    log_pi, log1m_pi = log_shares(lin, link, NUMPY)
    np.testing.assert_allclose(np.exp(log_pi), pi, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log1m_pi), uncured, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_cured_share(lin, link, "promotion", NUMPY)),
                               np.exp(-np.exp(-lin)), rtol=1e-12)


@pytest.mark.parametrize(("cure_type", "link"), [("mixture", "probit"), ("mixture", "cloglog"),
                                                 ("promotion", None)])
def test_graph_log_likelihood_is_the_closed_form(cure_type, link):
    """Exponential uncured times: every row's log-likelihood against the formula by hand."""
    data = _data()
    spec = ModelSpec("1", family="exponential", cure="1", cure_link=link, cure_type=cure_type)
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    model, _ = build_model(spec, PriorSet(), data, design, info)
    point = model.initial_point()
    point["cure_intercept"] = np.array(0.4)
    inputs = model.value_vars
    rows = model.compile_fn(model.logp(vars=model.observed_RVs, sum=False)[0], inputs=inputs,
                            on_unused_input="ignore", mode="FAST_COMPILE")(point)
    assert not point["intercept_offset"].any()  # the intercept sits at its data centre
    rate = float(np.exp(info.intercept_centre[0]))
    t = data.time / info.time_scale
    entry = data.entry / info.time_scale
    event = data.status == 1
    lin = 0.4
    if cure_type == "promotion":
        theta = np.exp(-lin)

        def log_s(u):
            return -theta * -np.expm1(-rate * u)

        log_f = np.log(theta) + np.log(rate) - rate * t + log_s(t)
    else:
        pi = st.norm.cdf(lin) if link == "probit" else -np.expm1(-np.exp(lin))

        def log_s(u):
            return np.log(pi + (1 - pi) * np.exp(-rate * u))

        log_f = np.log(1 - pi) + np.log(rate) - rate * t
    expected = np.where(event, log_f, log_s(t)) - log_s(entry)
    np.testing.assert_allclose(rows, expected, rtol=1e-9)


def test_promotion_predictions_closed_form():
    data = _data()
    spec = ModelSpec("1", family="exponential", cure="1", cure_type="promotion")
    design = make_design(spec, data)
    info = model_info(spec, data, design)
    b0 = np.array([-0.5, -0.2, 0.1])
    c0 = np.array([-0.3, 0.2, 0.8])
    posterior = xr.Dataset({"intercept": (("chain", "draw", "cause"), b0[None, :, None]),
                            "cure_intercept": (("chain", "draw"), c0[None])})
    pred = Predictor(info, design, posterior)
    new = pd.DataFrame(index=[0])
    tau = info.time_scale
    times = np.array([0.5, 4.0, 40.0])
    theta, rate = np.exp(-c0), np.exp(b0)
    u = times / tau
    surv = np.exp(-theta[:, None] * -np.expm1(-rate[:, None] * u))
    np.testing.assert_allclose(pred.survival(times, new)[:, 0, :], surv, rtol=1e-10)
    haz = theta[:, None] * rate[:, None] * np.exp(-rate[:, None] * u) / tau
    np.testing.assert_allclose(pred.hazard_by_cause(times, new)[:, 0, 0, :], haz, rtol=1e-10)
    lifetimes, _ = pred.sample_lifetimes(pd.DataFrame(index=range(4000)),
                                         rng=np.random.default_rng(1))
    cured = np.mean(np.isinf(lifetimes), axis=1)
    np.testing.assert_allclose(cured, np.exp(-theta), atol=0.03)


def test_cure_option_refusals():
    with pytest.raises(SpecError, match="invalid cure options") as err:
        SurvivalModel("1", cure="1", cure_link="log")
    assert "cure_link='log'" in str(err.value.problems)
    with pytest.raises(SpecError, match="invalid cure options") as err:
        SurvivalModel("1", cure="1", cure_type="bounded")
    assert "cure_type='bounded'" in str(err.value.problems)
    with pytest.raises(SpecError, match="invalid cure options") as err:
        SurvivalModel("1", cure_link="probit")
    assert "without cure=" in str(err.value.problems)
    with pytest.raises(SpecError, match="invalid cure options") as err:
        SurvivalModel("1", cure="1", cure_type="promotion", cure_link="probit")
    assert "cure_link applies to cure_type='mixture'" in str(err.value.problems)
    spec = ModelSpec("1", cure="1", cure_type="promotion")
    assert ModelSpec.from_dict(spec.to_dict()).cure_type == "promotion"


# Measured on the shared 2-core machine: about 30-40 s each on the PyMC path (compile and
# sample); natively a few seconds.
@pytest.mark.parametrize(("cure_type", "link"), [
    ("promotion", None),
    pytest.param("mixture", "probit", marks=pytest.mark.slow),
    pytest.param("mixture", "cloglog", marks=pytest.mark.slow),
])
def test_tiny_cure_fit(cure_type, link):
    data = _data(80)
    model = SurvivalModel("1", family="weibull", cure="1", cure_type=cure_type, cure_link=link)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=60, tune=60, chains=1, random_seed=2, progressbar=False)
    assert fit.sampler["kernel"] == "native", fit.sampler  # cure runs natively (issue 23)
    share = fit.cure_fraction()
    assert 0 < float(share["mean"].iloc[0]) < 1
    post = fit.idata["posterior"]
    lin = np.ravel(post["cure_intercept"].values)
    expected = np.exp(log_cured_share(lin, link or "logit", cure_type, NUMPY)).mean()
    assert float(share["mean"].iloc[0]) == pytest.approx(expected, rel=1e-9)
    assert np.all(np.isfinite(fit.survival([1.0, 5.0])["mean"]))
