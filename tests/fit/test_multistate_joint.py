"""Joint multi-state fits (shared effects, a shared frailty; issue 24) on one tiny fit.

The stacked rows are each transition's episodes; tables label shared and per-transition cells;
occupancy, hazards, save/load (``coalsurv.multistate/3``, ``/2`` still read) work as for
separate fits. Recovery from simulated histories: ``test_multistate_joint_slow.py``.
"""

from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import coalsurv
import coalsurv.fit.multistate_file as msfile
from coalsurv.errors import FitFileError, SpecError
from coalsurv.fit.identity import seal
from coalsurv.fit.multistate_joint import JOINT_CAUSE, TRANSITION_COLUMN, make_layout

A, D, AD = "coalition -> alliance", "coalition -> dissolution", "alliance -> dissolution"
TRANSITIONS = {A: "x", D: "1", AD: "x"}
SHARED = {"x": [A, AD]}
TINY = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False}
NEW = pd.DataFrame({"x": [-1.0, 1.0]})


def _histories(n: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x, g = rng.normal(), f"g{i % 10}"
        t_a, t_d = rng.exponential(1 / (0.15 * np.exp(0.6 * x))), rng.exponential(1 / 0.07)
        c = rng.uniform(5, 30)
        t1 = min(t_a, t_d, c)
        to = "censored" if t1 == c else ("alliance" if t_a < t_d else "dissolution")
        rows.append((i, "coalition", 0.0, t1, to, x, g))
        if to == "alliance":
            t2 = t1 + rng.exponential(1 / (0.08 * np.exp(0.6 * x)))
            rows.append((i, "alliance", t1, min(t2, c), "dissolution" if t2 < c else "censored",
                         x, g))
    return pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", "x", "g"])


@pytest.fixture(scope="module")
def data():
    return coalsurv.TransitionData.from_frame(
        _histories(), id="id", state="state", start="start", stop="stop", to="to",
        covariates=["x"], groups=["g"], time_unit="months")


@pytest.fixture(scope="module")
def fit(data):
    model = coalsurv.MultiStateModel(TRANSITIONS, family="weibull", shared=SHARED,
                                     frailty="(1 | g)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data, random_seed=2, **TINY)


@pytest.mark.parametrize("clock", ["reset", "forward"])
def test_stacked_rows_are_each_transitions_episodes(data, clock):
    model = coalsurv.MultiStateModel(TRANSITIONS, shared=SHARED, frailty="(1 | g)",
                                     clock=clock)
    stacked = model.joint.stack(data, clock)
    strata = stacked.groups[TRANSITION_COLUMN].to_numpy()
    assert stacked.causes == (JOINT_CAUSE,)
    for key, t in model.transitions.items():
        ep = data.episodes(t.source, t.target, clock=clock)
        mine = strata == key
        np.testing.assert_array_equal(stacked.time[mine], ep.time)
        np.testing.assert_array_equal(stacked.entry[mine], ep.entry)
        np.testing.assert_array_equal(stacked.cause_index[mine] >= 0, ep.cause_index >= 0)
        # the shared column carries x on the sharing transitions only, 0 elsewhere
        x = stacked.covariates["x__shared"].to_numpy()[mine]
        np.testing.assert_array_equal(x, ep.covariates["x"] if key in SHARED["x"] else 0.0)
    assert model.joint.formula == "x__shared + (1 | g)"


def test_layout_names_own_and_shared_columns():
    layout, problems = make_layout({A: "x + z", D: "x", AD: "x"}, shared={"x": [A, AD]},
                                   frailty="")
    assert problems == []
    assert [c for c, _, _ in layout.columns] == ["z__coalition_to_alliance",
                                                  "x__coalition_to_dissolution", "x__shared"]
    # nothing shared, separate fits
    assert make_layout({A: "x", D: "1"}, shared=None, frailty="") == (None, [])
    only_frailty, _ = make_layout({A: "x", D: "1"}, shared=None, frailty="(1 | g)")
    assert only_frailty.formula == "x__coalition_to_alliance + (1 | g)"


def test_tables_label_shared_and_per_transition_cells(fit):
    s = fit.summary().set_index("parameter")
    assert s.loc["beta[x]", "transition"] == f"shared ({A}; {AD})"
    assert s.loc[f"shape[{D}]", "transition"] == D
    assert s.loc[f"strata_dev[{AD}]", "transition"] == AD
    assert s.loc["sd_g", "transition"] == "all"
    hr = fit.hazard_ratios()
    assert set(hr["term"]) == {"x"} and set(hr["transition"]) == {f"shared ({A}; {AD})"}
    # simulated log HR 0.6 per unit of x
    per_unit = hr[hr["scale"] == "per unit"].iloc[0]
    assert per_unit["lower"] < np.exp(0.6) < per_unit["upper"]
    assert set(fit.group_effects()["transition"]) == {"all"}
    assert list(fit.diagnose()) == ["joint"]
    assert "joint graph" in repr(fit)


def test_occupancy_and_hazards_per_transition(fit):
    draws = fit.state_occupancy([1.0, 5.0, 12.0], NEW, summary=False, n_paths=100)
    np.testing.assert_allclose(draws.sum("state"), 1.0, atol=1e-12)
    occ = fit.state_occupancy([5.0], NEW, n_paths=200)
    early = occ[occ["state"] == "alliance"].set_index("row")["mean"]
    assert early[1] > early[0]
    hz = fit.hazard([2.0], NEW)
    assert set(hz["transition"]) == set(TRANSITIONS)
    assert TRANSITION_COLUMN not in hz and "x__shared" not in hz
    # x does not enter coalition -> dissolution: same hazard for both rows
    d = hz[hz["transition"] == D]["mean"].to_numpy()
    assert d[0] == pytest.approx(d[1])
    with pytest.raises(SpecError, match=r"newdata needs the columns \['x'\]"):
        fit.hazard([2.0], pd.DataFrame({"z": [1.0]}))
    with pytest.raises(SpecError, match="priors_from_fit: a joint multi-state fit"):
        fit.priors_from_fit()


def test_save_load_round_trip_and_seal(fit, tmp_path):
    path = fit.save(tmp_path / "joint.zip")
    back = coalsurv.load_multistate(path)
    assert back.is_joint and back.layout == fit.layout
    pd.testing.assert_frame_equal(back.summary(), fit.summary())
    pd.testing.assert_frame_equal(back.state_occupancy([3.0], NEW, n_paths=50),
                                  fit.state_occupancy([3.0], NEW, n_paths=50))
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    assert manifest["schema"] == "coalsurv.multistate/3"
    manifest["joint"]["columns"][0][2] = [A]   # refile the shared effect under one transition
    bad = tmp_path / "edited.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for n, b in members.items():
            zf.writestr(n, b)
    with pytest.raises(FitFileError, match=r"manifest\.joint"):
        coalsurv.load_multistate(bad)


def test_a_version_2_file_of_separate_fits_still_loads(data, tmp_path):
    model = coalsurv.MultiStateModel({A: "1", D: "1", AD: "1"}, family="exponential")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sep = model.fit(data, draws=50, tune=50, chains=1, progressbar=False)
    path = sep.save(tmp_path / "sep.zip")
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    manifest.pop("joint")
    manifest["schema"] = "coalsurv.multistate/2"
    digests = {n: d for n, d in manifest["digests"].items() if not n.startswith("manifest.")}
    digests.update(msfile._field_digests(manifest))
    manifest.update(digests=digests, seal=seal(digests))
    old = tmp_path / "v2.zip"
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for n, b in members.items():
            zf.writestr(n, b)
    back = coalsurv.load_multistate(old)
    assert not back.is_joint and list(back.fits) == [A, D, AD]


def test_plots_and_report_of_a_joint_fit(fit, tmp_path, recwarn):
    import matplotlib.pyplot as plt
    import pypdf

    ax = fit.plot_transition_diagram()
    assert any("x:" in t.get_text() for t in ax.texts)
    plt.close("all")
    path = fit.report(tmp_path / "joint.pdf")
    flat = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(path).pages).split())
    assert "joint graph" in flat and "shared frailty" in flat
    assert "parts missing none" in flat.replace(":", ""), flat[-600:]
    assert not [w for w in recwarn if "could not be made" in str(w.message)]


def test_model_file_states_shared_effects_and_frailty(tmp_path):
    from coalsurv.cli.multistate import read_multistate_model

    path = tmp_path / "joint.toml"
    path.write_text(f'''[model]
family = "weibull"
frailty = "(1 | g)"
[model.transitions]
"{A}" = "x"
"{D}" = "1"
"{AD}" = "x"
[model.shared]
x = ["{A}", "{AD}"]
[data]
time_unit = "months"
''')
    model, _ = read_multistate_model(path)
    assert model.joint.formula == "x__shared + (1 | g)"


def test_strata_are_crossed_with_the_transitions(data):
    frame = data.to_frame().assign(era=lambda f: np.where(f["id"] % 2 == 0, "early", "late"))
    two = coalsurv.TransitionData.from_frame(frame, id="id", state="state", start="start",
                                             stop="stop", to="to", covariates=["x"],
                                             groups=["g", "era"], time_unit="months")
    model = coalsurv.MultiStateModel(TRANSITIONS, shared=SHARED,
                                     model_options={"strata": "era"})
    strata = set(model.joint.stack(two, "reset").groups[TRANSITION_COLUMN])
    assert strata == {f"{k} | {e}" for k in TRANSITIONS for e in ("early", "late")}
    rows = model.joint.newdata(A, pd.DataFrame({"x": [0.5], "era": ["late"]}))
    assert rows[TRANSITION_COLUMN].tolist() == [f"{A} | late"]
    assert rows["x__shared"].tolist() == [0.5]
    with pytest.raises(SpecError, match=r"newdata needs the columns \['era'\]"):
        model.joint.newdata(A, pd.DataFrame({"x": [0.5]}))


def test_informative_priors_reach_the_joint_graph(data):
    """A prior file's keys name the joint columns; strata_dev defaults to Normal(0, 3)."""
    priors = coalsurv.PriorSet({"beta[x__shared]": coalsurv.Prior("Normal", mu=0.5, sigma=0.1),
                                "beta[x__coalition_to_dissolution]":
                                    coalsurv.Prior("Normal", mu=0.0, sigma=0.2)})
    model = coalsurv.MultiStateModel({A: "x", D: "x", AD: "x"}, shared=SHARED, priors=priors)
    joint, stacked = model.joint_survival_model(data)
    _, design, info, resolved = joint.build(stacked)
    assert resolved["beta[x__shared]"].params == {"mu": 0.5, "sigma": 0.1}
    assert resolved["beta[x__coalition_to_dissolution]"].params == {"mu": 0.0, "sigma": 0.2}
    assert resolved["strata_dev"].params == {"mu": 0, "sigma": 3}
    # the shared column is per SD of x over the sharing transitions' sojourns
    rows = data.frame[data.frame["state"].isin(["coalition", "alliance"])]
    assert info.sds[list(info.terms).index("x__shared")] == pytest.approx(np.std(rows["x"]))


def test_paper_table_labels_transitions(fit):
    text = fit.table("hazard_ratios", format="markdown")
    assert f"| shared ({A}; {AD}) | x |" in text, text
    summary = fit.table("summary", format="markdown")
    assert f"| {D} | shape ({D}) |" in summary, summary
    with pytest.raises(coalsurv.errors.ArgumentError, match="table kind 'effects'"):
        fit.table("effects")


def test_episodes_of_a_joint_model_keep_its_columns(data):
    model = coalsurv.MultiStateModel(TRANSITIONS, shared=SHARED, frailty="(1 | g)")
    episodes = model.episodes(data)
    assert episodes[D].covariate_names == () and episodes[A].covariate_names == ("x",)
    assert episodes[D].group_names == ("g",)
