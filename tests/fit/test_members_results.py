"""Results of multiple-membership models (issue 21): new coalitions, counterfactuals, priors.

Predictions from a members table (known members keep their draws, new ones are integrated
over Normal(0, sd_mm)), member counterfactuals, ``PriorSet.from_fit`` of the mm parameters,
LOO comparison of aggregation mechanisms and the variance decomposition. Tiny fits (draws
100, tune 100, one chain): plumbing and exact identities, not recovery.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import coalsurv as cs
from coalsurv.errors import ArgumentError, SpecError
from coalsurv.fit.member_newdata import check_members
from coalsurv.simulation.membership import simulate_membership

SMALL = {"draws": 100, "tune": 100, "chains": 1}


@pytest.fixture(scope="module")
def data():
    """Simulated members plus a group, a Herfindahl index and a mean member trait."""
    sim = simulate_membership(60, 20, seed=4)[0]
    frame = sim.to_frame()
    m = sim.members
    hhi = m.assign(s2=m["share"] ** 2).groupby("id")["s2"].sum()
    xbar = m.groupby("id")["x"].mean()
    frame = frame.assign(g=[f"g{i % 4}" for i in range(len(frame))],
                         hhi=hhi.loc[frame["id"]].to_numpy(),
                         xbar=xbar.loc[frame["id"]].to_numpy())
    return cs.CoalitionData.from_frame(
        frame[["id", "time", "cause", "z", "hhi", "xbar", "g"]], duration="time", event="cause",
        id="id", covariates=["z", "hhi", "xbar"], groups=["g"], members=m, time_unit="days")


@pytest.fixture(scope="module")
def power_fit(data, tiny_fit):
    return tiny_fit(data, "z + mm(x, weights='power') + (1 | g)", **SMALL)


@pytest.fixture(scope="module")
def equal_fit(data, tiny_fit):
    return tiny_fit(data, "z + mm(x, weights='equal') + (1 | g)", **SMALL)


def _new(data):
    """Two new coalitions: one of known members (m1, m2), one with a new member 'new'."""
    rows = pd.DataFrame({"id": ["A", "B"], "z": [0.2, -0.4], "g": ["g1", "g2"]})
    members = pd.DataFrame({"id": ["A", "A", "B", "B"], "member": ["m1", "m2", "m1", "new"],
                            "share": [0.7, 0.3, 0.4, 0.6], "x": [0.5, -1.0, 0.1, 2.0]})
    return rows, members


def test_new_coalitions_from_members_match_numpy(power_fit, data):
    rows, members = _new(data)
    pred = power_fit.predictor.with_members(check_members(power_fit, rows, members))
    eta, free_sd = pred.eta(rows)
    d, mb = pred.draws, power_fit.design.members
    level = {m: i for i, m in enumerate(mb.levels)}
    xs = (members["x"].to_numpy() - mb.means[0]) / mb.sds[0]
    want_theta, want_var = np.zeros((pred.n_draws, 2)), np.zeros((pred.n_draws, 2))
    for s in range(pred.n_draws):
        for i, cid in enumerate(["A", "B"]):
            sel = (members["id"] == cid).to_numpy()
            w = members["share"].to_numpy()[sel] ** d["gamma"][s]
            w = w / w.sum()
            u = np.array([d["u_mm"][s, 0, level[m]] if m in level else 0.0
                          for m in members["member"][sel]])
            new = np.array([m not in level for m in members["member"][sel]])
            want_theta[s, i] = np.sum(w * (xs[sel] * d["beta_mm"][s, 0, 0] + u))
            want_var[s, i] = d["sd_mm"][s, 0] ** 2 * np.sum(w[new] ** 2)
    gcode = [power_fit.design.groups[0].levels.index(g) for g in rows["g"]]
    X = (rows[["z"]].to_numpy() - power_fit.info.means[:1]) / power_fit.info.sds[:1]
    base = (d["intercept"][:, 0, None] + d["beta"][:, 0, 0, None] * X[None, :, 0]
            + d["u_g"][:, 0, gcode])
    np.testing.assert_allclose(eta[:, 0], base + want_theta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(free_sd[:, 0] ** 2, want_var, rtol=1e-9, atol=1e-12)
    assert np.all(free_sd[:, 0, 0] == 0) and np.all(free_sd[:, 0, 1] > 0)
    # every prediction takes members=; by index works as by id column
    surv = power_fit.survival([1.0, 5.0], rows, members=members)
    assert len(surv) == 4 and surv["mean"].between(0, 1).all()
    by_index = power_fit.survival([1.0, 5.0], rows.set_index("id"), members=members)
    np.testing.assert_allclose(by_index["mean"], surv["mean"])
    avg = power_fit.survival([1.0, 5.0], rows, members=members, average=True)
    assert np.allclose(avg["mean"], surv.groupby("time")["mean"].mean())
    for out in (power_fit.hazard([1.0], rows, members=members),
                power_fit.cumulative_incidence([1.0], rows, members=members),
                power_fit.median_lifespan(rows, members=members),
                power_fit.rmst(5.0, rows, members=members)):
        assert len(out) >= 2 and np.isfinite(out["mean"]).all()
    life = power_fit.predict_lifespans(rows, members=members)
    assert life["lifespan"].shape[1] == 2


def test_fitted_coalitions_with_their_own_members_match_the_fitted_predictions(power_fit,
                                                                               data):
    rows = data.episode_profiles().iloc[:3]
    own = data.members.loc[data.members["id"].isin(rows.index)]
    np.testing.assert_allclose(power_fit.survival([1.0, 3.0], rows, members=own)["mean"],
                               power_fit.survival([1.0, 3.0], rows)["mean"], rtol=1e-12)


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.drop(columns="x"), r"missing column\(s\) \['x'\]"),
    (lambda m: m.drop(columns="share"), r"missing column\(s\) \['share'\]"),
    (lambda m: m.assign(x=[0.5, np.nan, 0.1, 2.0]), r"members.x: missing .*\('A', 'm2'\)"),
    (lambda m: m.assign(share=[0.7, 0.0, 0.4, -1]), r"members.share: .*\('A', 'm2'\).*'B'"),
    (lambda m: pd.concat([m, m.iloc[[0]]]), r"listed more than once: \('A', 'm1'\)"),
    (lambda m: m.assign(id=["A", "A", "C", "C"]), r"ids 'C' are not rows.*rows 'B' have no"),
])
def test_bad_members_tables_are_refused(power_fit, data, change, message):
    rows, members = _new(data)
    with pytest.raises(SpecError) as err:
        power_fit.survival([1.0], rows, members=change(members))
    text = str(err.value) + " ".join(err.value.problems or [])
    assert re.search(message, text), text


def test_members_argument_needs_mm_and_newdata(power_fit, data, tiny_fit):
    rows, members = _new(data)
    with pytest.raises(ArgumentError, match="members= needs newdata"):
        power_fit.survival([1.0], members=members)
    with pytest.raises(ArgumentError, match="expected a pandas DataFrame"):
        power_fit.survival([1.0], rows, members={"id": "A"})
    plain = tiny_fit(data, "z + hhi + xbar + (1 | g)", **SMALL)
    with pytest.raises(ArgumentError, match="members= is for models with an mm"):
        plain.survival([1.0], rows, members=members)


def _contribution(fit):
    """Posterior mean of each membership row's x beta_mm + u_k (to pick a member to drop)."""
    mb, d = fit.design.members, fit.predictor.draws
    c = d["beta_mm"][:, 0, 0, None] * mb.X[None, :, 0] + d["u_mm"][:, 0, mb.member]
    return pd.DataFrame({"id": np.asarray(mb.episode_ids)[mb.coalition],
                         "member": np.asarray(mb.levels)[mb.member], "c": c.mean(axis=0)})


def test_dropping_a_member_moves_the_hazard_its_way(equal_fit):
    rows = _contribution(equal_fit)
    rows = rows.assign(gap=rows["c"] - rows.groupby("id")["c"].transform("mean"))
    high, low = rows.loc[rows["gap"].idxmax()], rows.loc[rows["gap"].idxmin()]
    out = equal_fit.member_counterfactual(high["id"], drop=[high["member"]], quantity="hazard",
                                          times=[1.0])
    assert list(out["what"]) == ["factual", "counterfactual", "difference"]
    assert out.set_index("what").loc["difference", "mean"] < 0  # a high-hazard member left
    out = equal_fit.member_counterfactual(low["id"], drop=low["member"], quantity="hazard",
                                          times=[1.0])
    assert out.set_index("what").loc["difference", "mean"] > 0
    factual = out.set_index("what").loc["factual", "mean"]
    own = equal_fit.hazard([1.0], equal_fit.data.episode_profiles().loc[[low["id"]]])
    assert np.isclose(factual, own["mean"].iloc[0], rtol=1e-12)


def test_shares_move_power_weights_not_equal_weights(equal_fit, power_fit, data):
    first = data.members.iloc[0]
    same = equal_fit.member_counterfactual(first["id"], shares={first["member"]: 2.0})
    assert np.all(same.set_index("what").loc["difference", ["mean", "lower", "upper"]] == 0)
    moved = power_fit.member_counterfactual(first["id"], shares={first["member"]: 2.0},
                                            quantity="survival", times=[1.0, 2.0])
    assert not np.allclose(moved.query("what == 'difference'")["mean"], 0)
    with pytest.raises(ArgumentError, match="not members of coalition"):
        power_fit.member_counterfactual(first["id"], drop=["nobody"])
    with pytest.raises(ArgumentError, match="finite numbers > 0"):
        power_fit.member_counterfactual(first["id"], shares={first["member"]: -1})
    with pytest.raises(SpecError, match="not a coalition of the fitting data"):
        power_fit.member_counterfactual("nowhere", drop=["m1"])
    rows, members = _new(data)  # a new coalition: its row and members given
    out = power_fit.member_counterfactual("B", drop=["new"], newdata=rows, members=members)
    assert len(out) == 3


def test_prior_export_round_trip(power_fit, data):
    priors = cs.PriorSet.from_fit(power_fit)
    keys = set(priors.priors)
    assert {"beta_unit[mm(x)]", "mm_sd", "mm_gamma"} <= keys, keys
    assert priors.get("mm_gamma").dist == "LogNormal"
    beta = np.asarray(power_fit.idata["posterior"]["beta_mm"]).ravel()
    sd = power_fit.info.members["sds"][0]
    assert np.isclose(priors.get("beta_unit[mm(x)]").params["mu"], beta.mean() / sd)
    model = cs.SurvivalModel(power_fit.spec.formula, priors=priors)
    _, _, _, resolved = model.build(data)
    assert {"beta_unit[mm(x)]", "mm_sd", "mm_gamma"} <= set(resolved)
    assert resolved["mm_sd"] == priors.get("mm_sd")


def test_compare_aggregation_mechanisms(data, power_fit, equal_fit, tiny_fit):
    share = tiny_fit(data, "z + mm(x, weights='share') + (1 | g)", **SMALL)
    aggregated = tiny_fit(data, "z + hhi + xbar + (1 | g)", **SMALL)
    fits = {"equal": equal_fit, "share": share, "power": power_fit, "aggregated": aggregated}
    assert all("log_likelihood" in f.idata for f in fits.values())
    table = cs.compare(fits)
    assert set(table.index) == set(fits) and np.isfinite(table["elpd"]).all()
    assert dict(zip(table.index, table["mm_weights"], strict=True)) == {
        "equal": "equal", "share": "share", "power": "power", "aggregated": ""}


def test_variance_components(power_fit, data):
    vc = power_fit.variance_components()
    assert list(vc["component"]) == ["coalition covariates", "member covariates",
                                     "member effects", "group g"]
    assert list(vc["level"]) == ["coalition", "member", "member", "group"]
    assert np.all(vc["lower"] <= vc["mean"]) and np.all(vc["mean"] <= vc["upper"])
    assert np.isclose(vc["share"].sum(), 1.0)
    # the coalition part by hand: variance over coalitions of x' beta, mean over draws
    d = power_fit.predictor.draws
    X = power_fit.design.transform(data.episode_profiles())
    want = np.mean(np.var(d["beta"][:, 0, :] @ X.T, axis=1))
    assert np.isclose(vc.loc[0, "mean"], want)


def test_gallery_of_an_mm_fit(power_fit, tmp_path):
    """``coalsurv gallery`` draws every plot of an mm() fit, the member caterpillar included."""
    from coalsurv.report.gallery import render_gallery

    names = {p.stem for p in render_gallery(power_fit, tmp_path, dpi=40)}
    assert {"member_effects", "survival_profiles", "effect_curves", "survival_vs_km"} <= names


def test_report_members_section_and_paper_tables(power_fit):
    """The members section's parts, the caterpillar plot and the paper tables' mm rows."""
    import matplotlib.pyplot as plt

    from coalsurv.plots import plot_member_effects
    from coalsurv.report.export import display_table

    summary, _ = display_table(power_fit, "summary", ci_prob=0.9)
    assert {"SD of member effects", "members' x (per SD, weighted)",
            "power weight gamma"} <= set(summary["parameter"])
    ratios, _ = display_table(power_fit, "hazard_ratios", ci_prob=0.9)
    assert "members' x (weighted)" in set(ratios["term"])
    vc = power_fit.table("variance_components", format="markdown")
    assert "member effects" in vc and "group g" in vc
    ax = plot_member_effects(power_fit.member_effects(), max_members=10)
    assert len(ax.get_yticks()) == 10 and "10 of 20" in ax.get_title()
    plt.close(ax.figure)
    from coalsurv.report import _Report

    report = _Report(power_fit, title="t", compare_with=None, command=None)
    flowables = report.member_section()
    text = " ".join(f.getPlainText() for f in flowables if hasattr(f, "getPlainText"))
    assert "Members (multiple membership)" in text and "Variance decomposition" in text
    assert not report.failures, report.failures  # every part was made
    kinds = {type(f).__name__ for f in flowables}
    assert "Image" in kinds or any("Figure" in k for k in kinds), kinds
    # the report's row-averaged survival (each coalition with its members) and effect curves
    # (a typical coalition), and fit.effect, work for mm() models
    from coalsurv.report import curves as C

    assert np.isfinite(C.marginal_survival(power_fit, [1.0, 2.0], ci_prob=0.9)["mean"]).all()
    assert len(C.effect_frame(power_fit, "z", ci_prob=0.9, n=3)) == 3
    assert len(power_fit.effect("z", values=[-1.0, 1.0])) > 0


def test_variance_components_bml_method(equal_fit, data):
    """The method of bml's varDecomp: sd_mm^2 * mean_i sum_k w_ik^2 (1/n_i when equal), sd_g^2."""
    vc = equal_fit.variance_components(method="bml").set_index("component")
    assert list(vc.index) == ["member effects", "group g"]
    d = equal_fit.predictor.draws
    sizes = data.members.groupby("id").size()
    want = np.mean(d["sd_mm"][:, 0] ** 2) * np.mean(1.0 / sizes)
    assert np.isclose(vc.loc["member effects", "mean"], want)
    assert np.isclose(vc.loc["group g", "mean"], np.mean(d["sd_g"][:, 0] ** 2))
    assert np.isclose(vc["share"].sum(), 1.0)
    with pytest.raises(ArgumentError, match="method="):
        equal_fit.variance_components(method="icc")
