"""Priors on interpretable scales: hazard / time ratios and median lifespans, translated."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from coalsurv import Prior, PriorSet, SurvivalModel
from coalsurv.errors import ArgumentError
from coalsurv.spec.scales import hazard_ratio_prior, median_lifespan_prior

Z95 = 1.959963984540054


def test_hazard_ratio_per_unit_and_per_sd_exact():
    tr = hazard_ratio_prior("invest", median=1.5, upper=3.0)
    assert tr.key == "beta_unit[invest]" and tr.prior.dist == "Normal"
    assert tr.prior.params["mu"] == pytest.approx(math.log(1.5), abs=1e-12)
    assert tr.prior.params["sigma"] == pytest.approx(math.log(2.0) / Z95, abs=1e-12)
    assert "hazard ratio of invest per unit" in tr.sentence and "0.75 to 3" in tr.sentence
    tr = hazard_ratio_prior("polar", median=1.0, upper=2.0, per="sd", ci_prob=0.9,
                            family="weibull_aft", cause="war")
    assert tr.key == "beta[war:polar]"
    assert tr.prior.params["mu"] == 0.0
    assert tr.prior.params["sigma"] == pytest.approx(math.log(2.0) / 1.6448536269514722)
    assert tr.sentence.startswith("time ratio of polar per SD")
    with pytest.raises(ArgumentError, match="upper > median"):
        hazard_ratio_prior("x", median=2.0, upper=1.0)
    with pytest.raises(ArgumentError, match="per"):
        hazard_ratio_prior("x", median=1.0, upper=2.0, per="year")


@pytest.mark.parametrize("family, mu", [
    # Weibull PH at shape 1: S = exp(-e^eta t) -> eta = log log 2 - log(24 / 12)
    ("weibull", math.log(math.log(2.0)) - math.log(2.0)),
    ("exponential", math.log(math.log(2.0)) - math.log(2.0)),
    # Weibull AFT at shape 1: median = e^eta log 2
    ("weibull_aft", math.log(2.0) - math.log(math.log(2.0))),
    # log-normal and log-logistic: median = e^eta
    ("lognormal", math.log(2.0)),
    ("loglogistic", math.log(2.0)),
])
def test_median_lifespan_exact(family, mu):
    tr = median_lifespan_prior(24.0, 48.0, time_scale=12.0, unit="months", family=family)
    assert tr.key == "intercept"
    assert tr.prior.params["mu"] == pytest.approx(mu, abs=1e-9)
    # the median lifespan doubles from 24 to 48: a shift of log 2 in eta (slope 1 at shape 1)
    assert tr.prior.params["sigma"] == pytest.approx(math.log(2.0) / Z95, abs=1e-9)
    assert "24 months" in tr.sentence and "12 months = 1" in tr.sentence


def test_median_lifespan_at_the_shape_priors_median():
    # shape prior median e^0.4: eta = log log 2 - 1.4918 * log 2; slope in log t is the shape
    priors = PriorSet({"shape": Prior("LogNormal", mu=0.4, sigma=0.5)})
    tr = median_lifespan_prior(24.0, 48.0, time_scale=12.0, family="weibull", priors=priors)
    k = math.exp(0.4)
    assert tr.prior.params["mu"] == pytest.approx(math.log(math.log(2)) - k * math.log(2), abs=1e-9)
    assert tr.prior.params["sigma"] == pytest.approx(k * math.log(2) / Z95, abs=1e-9)
    assert "shape = 1.492" in tr.sentence
    with pytest.raises(ArgumentError, match="vector baseline"):
        median_lifespan_prior(24.0, 48.0, time_scale=12.0, family="piecewise")


def test_prior_set_methods_record_the_translation_and_round_trip(tmp_path, capsys):
    from coalsurv.cli import main

    priors = (PriorSet(name="mine").hazard_ratio("invest", median=1.5, upper=3.0)
              .median_lifespan(24.0, 48.0, time_scale=12.0, unit="months"))
    assert set(priors.priors) == {"beta_unit[invest]", "intercept"}
    assert set(priors.translations) == {"beta_unit[invest]", "intercept"}
    path = priors.save(tmp_path / "p.toml")
    again = PriorSet.load(path)
    assert again.priors == priors.priors and again.translations == priors.translations
    assert main(["priors", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "given on interpretable scales" in out
    assert "hazard ratio of invest per unit: median 1.5" in out
    assert "median lifespan of a typical coalition: 24 months" in out


def test_median_lifespan_prior_gives_that_prior_predictive_median(shared_data):
    """End to end on King 1990 (months): the prior predictive median lifespan is as asked.

    With a near-fixed shape of 1 and a 90% interval up to 48 months, the implied median
    lifespan of a typical coalition has median 24, 95th percentile 48, 5th percentile 12.
    """
    from coalsurv.datasets import load_king1990
    from coalsurv.fit.prior_predictive import prior_predictive

    data = load_king1990(shared_data / "king1990" / "coalition.txt")
    formula = "invest + polar + numst2 + fract + crisis"
    tau = SurvivalModel(formula, family="weibull").build(data)[2].time_scale
    base = PriorSet({"shape": Prior("LogNormal", mu=0.0, sigma=0.001)})
    priors = base.median_lifespan(24.0, 48.0, time_scale=tau, unit="months", ci_prob=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = prior_predictive(SurvivalModel(formula, family="weibull", priors=priors), data,
                                 draws=4000)
    med = table[table["quantity"] == "median lifespan"].iloc[0]
    assert med["median"] == pytest.approx(24.0, rel=0.03)
    assert med["q95"] == pytest.approx(48.0, rel=0.05)
    assert med["q05"] == pytest.approx(12.0, rel=0.05)
    assert np.isfinite(table.attrs["absurd_share"])
