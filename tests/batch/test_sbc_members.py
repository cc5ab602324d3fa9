"""Simulation-based calibration of an ``mm()`` model with estimated power weights (issue 21).

The template is a simulated membership table (40 coalitions of 2-5 of 15 recurring members,
shares Dirichlet(1)): every simulated data set keeps its members, shares and member
covariates and draws the coefficients, ``gamma``, ``sd_mm``, the member effects and the
lifespans from the pinned prior (:func:`coalsurv.batch.simulate.simulate_from_prior`).
"""

from __future__ import annotations

import pytest

import coalsurv
from coalsurv.simulation.membership import simulate_membership


@pytest.mark.slow
def test_sbc_of_a_power_weights_members_model(inline_client):
    """60 replicates: ranks of beta_mm, gamma, sd_mm and the rest uniform, coverage right.

    Measured: 218 s on the shared 2-core machine (one compile of ~80 s, then ~1 s a fit).
    """
    template = simulate_membership(40, 15, seed=7)[0]
    model = coalsurv.SurvivalModel("z + mm(x, weights='power')", family="weibull")
    result = coalsurv.sbc(model, n_simulations=60, n_rows=40, seed=5, template=template,
                          client=inline_client, draws=100, tune=150, chains=2, thin=2,
                          progress=False)
    assert result.settings["failed"] <= 3, result.fits
    assert {"beta_mm[any, mm(x)]", "gamma", "sd_mm[any]"} <= set(result.quantities)
    uni = result.uniformity()
    assert (uni["p_chisq"] > 1e-3).all(), uni
    cover = result.coverage()
    assert cover["ok"].all(), cover
