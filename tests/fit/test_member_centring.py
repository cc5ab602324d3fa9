"""Centred and non-centred member effects of mm() terms (issue 23).

``mm(..., centring="auto" | "centred" | "noncentred")``: the data rule of ``"auto"`` (weighted
events per member, :func:`coalsurv.build.members.member_centring`), the override, bad options,
and (slow) the same posterior both ways. The kernel against the graph for both forms and every
weight function: ``tests/fit/test_kernel_members.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.build.members import MEMBER_CENTRE_MIN_EVENTS, member_events
from coalsurv.simulation.membership import simulate_membership


def _built(data, formula):
    model, design, info, _ = coalsurv.SurvivalModel(formula).build(data)
    return model, design, info


def test_auto_rule_follows_weighted_events_per_member():
    """Many coalitions of two members each: centred; 80 members in 300 coalitions: not."""
    rich, _ = simulate_membership(3000, 8, max_size=2, censor_quantile=0.95, seed=1)
    thin, _ = simulate_membership(300, 80, seed=1)
    for weights in ("equal", "power"):
        formula = f"z + mm(x, weights='{weights}')"
        model, design, info = _built(rich, formula)
        per_member = member_events(design.members, np.asarray([rich.status == 1], float))
        assert np.quantile(per_member, 0.1) >= MEMBER_CENTRE_MIN_EVENTS
        assert info.members["centred"] is True
        # weights summing to one, no frailty: the levels are centred on the intercept
        assert "w_mm" in {v.name for v in model.free_RVs}
        assert {"u_mm", "z_mm"} <= {v.name for v in model.deterministics}
        model, _, info = _built(thin, formula)
        assert info.members["centred"] is False
        assert "z_mm" in {v.name for v in model.free_RVs}
    # the override, either way
    assert _built(rich, "z + mm(x, centring='noncentred')")[2].members["centred"] is False
    assert _built(thin, "z + mm(x, centring='centred')")[2].members["centred"] is True


def test_rule_is_the_frailtys_with_one_member_per_coalition():
    """One member of weight 1 per coalition: weighted events are the events per level."""
    from coalsurv.build.members import MemberRows
    from coalsurv.spec.members import MmTerm

    rng = np.random.default_rng(2)
    n = 50
    rows = MemberRows(term=MmTerm(weights="share"), coalition=np.arange(n),
                      member=rng.integers(0, 4, n), share=np.ones(n), size=np.ones(n),
                      X=np.zeros((n, 0)), means=np.zeros(0), sds=np.zeros(0),
                      levels=("a", "b", "c", "d"), n_episodes=n)
    events = rng.integers(0, 2, (2, n)).astype(float)
    want = np.stack([np.bincount(rows.member, weights=e, minlength=4) for e in events])
    np.testing.assert_allclose(member_events(rows, events), want)


@pytest.mark.parametrize(("formula", "match"), [
    ("z + mm(x, centring='middle')", r"centring must be one of \['auto', 'centred', "
                                     r"'noncentred', 'rotation'\], got 'middle'"),
    ("z + mm(x, random=False, centring='centred')", r"centring='centred' with random=False"),
])
def test_bad_centring_is_refused(formula, match):
    with pytest.raises(coalsurv.SpecError, match=match):
        coalsurv.SurvivalModel(formula)


@pytest.mark.slow
@pytest.mark.parametrize(("extra", "sampled"), [("", "w_mm"), (", sum_to_one=False", "u_mm")])
def test_member_centring_never_changes_the_posterior(extra, sampled):
    """The same power-weighted model sampled both ways: posterior means agree (MC error).

    Centred on the intercept (``w_mm``, weights summing to one) or around zero (``u_mm``).
    Measured: 10-23 s each on the shared 2-core machine (load 4-9), native kernel, two fits
    of 2 chains x 1,000 draws (600 coalitions, 30 members).
    """
    import arviz_stats as azs

    data, _ = simulate_membership(600, 30, sigma_m=0.6, seed=4)
    fits = {}
    for centring in ("centred", "noncentred"):
        model = coalsurv.SurvivalModel(
            f"z + mm(x, weights='power', centring='{centring}'{extra})")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[centring] = model.fit(data, draws=1000, tune=1000, chains=2, random_seed=3,
                                       progressbar=False)
        assert fits[centring].sampler["kernel"] == "native", fits[centring].sampler
        assert fits[centring].info.members["centred"] is (centring == "centred")
    a, b = (fits[c].summary().set_index("parameter") for c in ("centred", "noncentred"))
    assert list(a.index) == list(b.index)
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
    # the member effects too (every member), and the traced form equals the sampled one
    u = {c: fits[c].idata["posterior"]["u_mm"] for c in fits}
    mcse = {c: azs.mcse(fits[c].idata, var_names=["u_mm"])["u_mm"] for c in fits}
    gap = np.abs(u["centred"].mean(("chain", "draw")) - u["noncentred"].mean(("chain", "draw")))
    assert bool((gap < 4.5 * np.sqrt(mcse["centred"] ** 2 + mcse["noncentred"] ** 2)).all())
    post = fits["centred"].idata["posterior"]
    np.testing.assert_allclose(post["z_mm"], post["u_mm"] / post["sd_mm"], rtol=1e-12)
    assert sampled in fits["centred"].idata["log_prior"]
    assert "z_mm" in fits["noncentred"].idata["log_prior"]
