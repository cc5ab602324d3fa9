"""MultiStateModel / MultiStateFit on tiny fits: occupancy sums to 1, both clocks agree for
exponential hazards (product integral vs simulated paths), same seed same draws, tables per
transition, save/load, and bad input refused with one coalsurv error.
"""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.errors import ArgumentError, CoalitionDataError, FitFileError, SpecError

TRANSITIONS = {"coalition -> alliance": "x", "coalition -> dissolution": "1",
               "alliance -> dissolution": "1"}
TINY = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False}


def _histories(n: int = 120, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x = rng.normal()
        t_a, t_d = rng.exponential(1 / (0.15 * np.exp(0.6 * x))), rng.exponential(1 / 0.07)
        c = rng.uniform(5, 30)
        t1 = min(t_a, t_d, c)
        to = "censored" if t1 == c else ("alliance" if t_a < t_d else "dissolution")
        rows.append((i, "coalition", 0.0, t1, to, x))
        if to == "alliance":
            t2 = t1 + rng.exponential(1 / 0.08)
            rows.append((i, "alliance", t1, min(t2, c), "dissolution" if t2 < c else "censored",
                         x))
    return pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", "x"])


@pytest.fixture(scope="module")
def data():
    return coalsurv.TransitionData.from_frame(_histories(), id="id", state="state",
                                              start="start", stop="stop", to="to",
                                              covariates=["x"], time_unit="months")


@pytest.fixture(scope="module")
def fits(data):
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for clock in ("reset", "forward"):
            model = coalsurv.MultiStateModel(TRANSITIONS, family="exponential", clock=clock)
            out[clock] = model.fit(data, random_seed=3, **TINY)
    return out


NEW = pd.DataFrame({"x": [-1.0, 1.0]})
TIMES = [1.0, 5.0, 12.0, 25.0]


@pytest.mark.parametrize("clock", ["reset", "forward"])
def test_occupancy_sums_to_one_at_every_time(fits, clock):
    draws = fits[clock].state_occupancy(TIMES, NEW, summary=False, n_paths=100)
    assert draws.dims == ("draw", "row", "state", "time")
    np.testing.assert_allclose(draws.sum("state"), 1.0, atol=1e-12)
    occ = fits[clock].state_occupancy(TIMES, NEW, n_paths=100)
    assert list(occ.columns[:6]) == ["row", "time", "state", "mean", "lower", "upper"]
    assert set(occ["state"]) == {"coalition", "alliance", "dissolution"}
    # an equal-tailed interval need not contain the mean of a skewed distribution (a state
    # reached by 1 in 100 simulated paths in a few draws: mean > 0, 97.5% quantile 0)
    assert np.all(occ["lower"] <= occ["upper"] + 1e-12)
    assert np.all((occ["mean"] >= 0) & (occ["mean"] <= 1))
    # a broader x deepens faster: more alliance early for x = 1 than x = -1
    early = occ[(occ["time"] == 5.0) & (occ["state"] == "alliance")].set_index("row")["mean"]
    assert early[1] > early[0]


@pytest.mark.slow  # 103 s under load 14 on 2 cores (three rp fits on the PyMC graph)
def test_spline_baseline_transitions_agree_with_exponential_ones(data, fits):
    """family='rp' per transition (the flexible baseline) on data with constant hazards: its
    occupancy sums to 1 and stays close to the exponential fit's (the true model).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rp = coalsurv.MultiStateModel(TRANSITIONS, family="rp", clock="reset").fit(
            data, random_seed=3, **TINY)
    assert {f.info.family for f in rp.fits.values()} == {"rp"}
    draws = rp.state_occupancy(TIMES, NEW, summary=False, n_paths=100)
    np.testing.assert_allclose(draws.sum("state"), 1.0, atol=1e-12)
    ours = rp.state_occupancy(TIMES, NEW, n_paths=100).set_index(["row", "time", "state"])
    ref = fits["reset"].state_occupancy(TIMES, NEW, n_paths=100).set_index(
        ["row", "time", "state"])
    assert np.max(np.abs(ours["mean"] - ref["mean"])) < 0.08


def test_clocks_agree_for_exponential_hazards(fits):
    """Exponential hazards are memoryless: the Markov product integral and the semi-Markov
    path simulation estimate the same occupancy (up to Monte Carlo error).
    """
    a = fits["reset"].state_occupancy(TIMES, NEW, n_paths=400)
    b = fits["forward"].state_occupancy(TIMES, NEW)
    assert np.max(np.abs(a["mean"].to_numpy() - b["mean"].to_numpy())) < 0.03


def test_same_seed_same_draws(fits):
    f = fits["reset"]
    one = f.state_occupancy(TIMES, NEW, summary=False, random_seed=7, n_paths=50)
    two = f.state_occupancy(TIMES, NEW, summary=False, random_seed=7, n_paths=50)
    other = f.state_occupancy(TIMES, NEW, summary=False, random_seed=8, n_paths=50)
    np.testing.assert_array_equal(one.values, two.values)
    assert not np.array_equal(one.values, other.values)


@pytest.mark.parametrize("clock", ["reset", "forward"])
def test_expected_time_adds_up_to_the_horizon(fits, clock):
    out = fits[clock].expected_time_in_state(20.0, NEW, n_paths=100)
    assert list(out.columns[:5]) == ["row", "state", "mean", "lower", "upper"]
    np.testing.assert_allclose(out.groupby("row")["mean"].sum(), 20.0, rtol=1e-9)


@pytest.mark.parametrize("clock", ["reset", "forward"])
def test_transition_probability_from_a_later_state(fits, clock):
    out = fits[clock].transition_probability(3.0, [3.0, 10.0], NEW, start="alliance",
                                             n_paths=100)
    coal = out[out["state"] == "coalition"]
    assert np.all(coal["mean"] == 0.0)          # no way back
    at_s = out[(out["time"] == 3.0) & (out["state"] == "alliance")]
    np.testing.assert_allclose(at_s["mean"], 1.0)
    np.testing.assert_allclose(out.groupby(["row", "time"])["mean"].sum(), 1.0)


def test_average_over_rows(fits):
    f = fits["forward"]
    avg = f.state_occupancy(TIMES, NEW, average=True)
    rows = f.state_occupancy(TIMES, NEW)
    assert set(avg["row"]) == {"average"}
    expect = rows.groupby(["time", "state"], sort=False)["mean"].mean().to_numpy()
    np.testing.assert_allclose(avg["mean"].to_numpy(), expect, atol=1e-12)


def test_tables_per_transition(fits):
    f = fits["reset"]
    hr = f.hazard_ratios()
    assert set(hr["transition"]) == {"coalition -> alliance"}   # the only one with a term
    assert hr["mean"].iloc[0] > 1.0
    summary = f.summary()
    assert set(summary["transition"]) == set(TRANSITIONS)
    loo = f.loo()
    assert list(loo["transition"]) == [*TRANSITIONS, "total"]
    assert loo["elpd"].iloc[-1] == pytest.approx(loo["elpd"].iloc[:-1].sum())
    hz = f.hazard([2.0, 4.0], NEW)
    assert set(hz["transition"]) == set(TRANSITIONS)
    priors = f.priors_from_fit()
    assert set(priors) == set(TRANSITIONS)
    diag = f.diagnose()
    assert set(diag) == set(TRANSITIONS)


def test_save_load_round_trip_and_tamper(fits, tmp_path):
    f = fits["forward"]
    path = f.save(tmp_path / "ms.zip")
    back = coalsurv.load_multistate(path)
    assert back.clock == "forward" and list(back.fits) == list(f.fits)
    pd.testing.assert_frame_equal(back.state_occupancy(TIMES, NEW), f.state_occupancy(TIMES, NEW))
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "sojourns.csv":
                data = data.replace(b"coalition", b"koalition", 1)
            dst.writestr(name, data)
    with pytest.raises(FitFileError, match="sojourns.csv"):
        coalsurv.load_multistate(bad)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"transitions": {"coalition alliance": "x"}}, SpecError, "from_state -> to_state"),
    ({"transitions": TRANSITIONS, "clock": "backward"}, SpecError, "clock='backward'"),
    ({"transitions": TRANSITIONS, "frailty": "shared"}, SpecError, "joint graph"),
    ({"transitions": TRANSITIONS, "family": {"coalition -> alliance": "weibull"}}, SpecError,
     "family"),
    ({"transitions": {"coalition -> alliance": 3}}, SpecError, "formula string"),
])
def test_bad_model_is_refused(kwargs, error, words):
    with pytest.raises(error, match=words):
        coalsurv.MultiStateModel(**kwargs)


def test_bad_data_is_refused(data):
    model = coalsurv.MultiStateModel({"coalition -> alliance": "x"})
    with pytest.raises(CoalitionDataError, match="not declared"):
        model.fit(data, **TINY)
    with pytest.raises(SpecError, match="TransitionData"):
        model.fit(pd.DataFrame(), **TINY)


@pytest.mark.parametrize("call, words", [
    (lambda f: f.state_occupancy([1.0], NEW, start="community"), "not a state"),
    (lambda f: f.state_occupancy([1.0], NEW, start="dissolution"), "absorbing"),
    (lambda f: f.state_occupancy([-1.0], NEW), "times"),
    (lambda f: f.state_occupancy([1.0], NEW, ci_prob=2), "ci_prob"),
    (lambda f: f.expected_time_in_state(0.0, NEW), "horizon"),
    (lambda f: f.transition_probability(5.0, [1.0], NEW), "t >= s"),
])
def test_bad_prediction_arguments(fits, call, words):
    with pytest.raises(ArgumentError, match=words):
        call(fits["reset"])


def test_plots_and_report(fits, tmp_path, recwarn):
    import matplotlib.pyplot as plt

    f = fits["reset"]
    ax = f.plot_state_occupancy(np.linspace(0, 20, 15), NEW, empirical=True, n_paths=50)
    assert "months" in ax.get_xlabel() and len(ax.collections) >= 3
    ax = f.plot_transition_hazards([1.0, 5.0, 10.0], NEW)
    assert "per month" in ax.get_ylabel()
    ax = f.plot_transition_diagram()
    assert any("x:" in t.get_text() for t in ax.texts)
    plt.close("all")
    path = f.report(tmp_path / "ms.pdf")
    assert path.read_bytes()[:4] == b"%PDF"
    import pypdf

    pages = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    assert "1. Model and data" in pages[0]  # no page left empty after the short verdicts table
    assert "r_hat" not in " ".join(pages) and "ess_bulk" not in " ".join(pages)
    assert not [w for w in recwarn if "could not be made" in str(w.message)]


def test_rows_in_chunks_give_the_same_occupancy(fits, monkeypatch):
    from coalsurv.fit import multistate_fit

    f = fits["forward"]
    whole = f.occupancy_draws(TIMES, NEW)
    monkeypatch.setattr(multistate_fit, "_CHUNK_CELLS", 1.0)   # one row per chunk
    np.testing.assert_array_equal(f.occupancy_draws(TIMES, NEW), whole)
    chunked = fits["reset"].occupancy_draws(TIMES, NEW, n_paths=30, random_seed=4)
    assert chunked.shape[1] == len(NEW)
    np.testing.assert_allclose(chunked.sum(axis=2), 1.0)


def test_options_per_transition():
    from coalsurv.spec.priors import Prior, PriorSet

    tight = PriorSet({"beta": Prior("Normal", mu=0.0, sigma=0.1)}, name="tight")
    model = coalsurv.MultiStateModel(
        TRANSITIONS, family={"coalition -> alliance": "weibull",
                             "coalition->dissolution": "exponential",
                             "alliance -> dissolution": "lognormal"},
        priors={"coalition -> alliance": tight})
    assert model.families == {"coalition -> alliance": "weibull",
                              "coalition -> dissolution": "exponential",
                              "alliance -> dissolution": "lognormal"}
    assert model.models["coalition -> alliance"].priors.name == "tight"
    assert model.models["alliance -> dissolution"].priors.name != "tight"
    with pytest.raises(SpecError, match="do not match the transitions"):
        coalsurv.MultiStateModel(TRANSITIONS, priors={"coalition -> community": tight})


def test_unknown_model_options_are_refused():
    with pytest.raises(SpecError, match="model_options \\['colour'\\]"):
        coalsurv.MultiStateModel(TRANSITIONS, model_options={"colour": "red"})


def _rewrite(path, out, edit, *, reseal=False):
    """Copy of the saved zip with ``edit(manifest)`` applied; ``reseal`` recomputes the
    manifest's digests and seal (an edit made by someone who knows the format).
    """
    import json

    from coalsurv.fit import identity
    from coalsurv.fit import multistate_file as msf

    with zipfile.ZipFile(path) as src:
        members = {n: src.read(n) for n in src.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    edit(manifest)
    if reseal:
        digests = {k: v for k, v in manifest["digests"].items() if not k.startswith("manifest")}
        digests.update(msf._field_digests(manifest))
        manifest.update(digests=digests, seal=identity.seal(digests))
    with zipfile.ZipFile(out, "w") as dst:
        dst.writestr("manifest.json", json.dumps(manifest))
        for n, data in members.items():
            dst.writestr(n, data)
    return out


def _set_clock(m):
    m["clock"] = "reset" if m["clock"] == "forward" else "forward"


def _swap_files(m):
    (k0, f0), (k1, f1) = m["transitions"][:2]
    m["transitions"][:2] = [[k0, f1], [k1, f0]]


def _set_unit(m):
    m["data"]["time_unit"] = "days"


@pytest.mark.parametrize("edit, part", [(_set_clock, "manifest.clock"),
                                        (_swap_files, "manifest.transitions"),
                                        (_set_unit, "manifest.data.time_unit")])
def test_edited_manifest_is_refused_by_part(fits, tmp_path, edit, part):
    path = fits["forward"].save(tmp_path / "ms.zip")
    with pytest.raises(FitFileError, match=part.replace(".", r"\.")):
        coalsurv.load_multistate(_rewrite(path, tmp_path / "bad.zip", edit))


@pytest.mark.parametrize("edit, words", [
    (_set_clock, r"'coalition -> alliance'|'alliance -> dissolution'.*clock='reset'"),
    (_swap_files, r"filed under 'coalition -> alliance' \(transition_1.nc\) models entering "
                  r"\['dissolution'\]"),
    (_set_unit, r"is in months, the sojourns in days"),
])
def test_resealed_manifest_must_match_the_member_fits(fits, tmp_path, edit, words):
    """Even a resealed manifest cannot file a fit under another transition, clock or unit."""
    path = fits["forward"].save(tmp_path / "ms.zip")
    with pytest.raises(FitFileError, match=words):
        coalsurv.load_multistate(_rewrite(path, tmp_path / "bad.zip", edit, reseal=True))


def test_older_multistate_schema_is_refused_by_name(fits, tmp_path):
    path = fits["reset"].save(tmp_path / "ms.zip")

    def older(m):
        m["schema"] = "coalsurv.multistate/1"

    with pytest.raises(FitFileError, match=r"multistate/1.*older file.*save"):
        coalsurv.load_multistate(_rewrite(path, tmp_path / "old.zip", older))


def _alternating(n=60, lam=1.0, mu=0.5, censor=20.0, seed=11) -> pd.DataFrame:
    """Units switching A -> B -> A -> ... with exponential sojourns, censored at ``censor``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        state, now = "A", 0.0
        while True:
            stay = rng.exponential(1 / (lam if state == "A" else mu))
            other = "B" if state == "A" else "A"
            if now + stay >= censor:
                rows.append((i, state, now, censor, "censored"))
                break
            rows.append((i, state, now, now + stay, other))
            state, now = other, now + stay
    return pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to"])


def test_recurrent_states_follow_paths_to_the_horizon():
    """A <-> B with exponential sojourns has P(A at t | A at 0) = mu/(lam+mu) +
    lam/(lam+mu) exp(-(lam+mu) t) per draw; paths run to t = 150 (about 100 moves: they used
    to stop after 50, in A, so P(A at 150) was 1).
    """
    data = coalsurv.TransitionData.from_frame(_alternating(), id="id", state="state",
                                              start="start", stop="stop", to="to", time_unit="days")
    model = coalsurv.MultiStateModel({"A -> B": "1", "B -> A": "1"}, family="exponential")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=100, tune=100, chains=1, progressbar=False, random_seed=2)
    times = [0.0, 0.5, 2.0, 150.0]
    occ = fit.state_occupancy(times, start="A", n_paths=300, random_seed=1)
    rate = {k: f.hazard([1.0], summary=False).values.reshape(-1) for k, f in fit.fits.items()}
    lam, mu = rate["A -> B"], rate["B -> A"]
    t = np.asarray(times)[:, None]
    exact = (mu / (lam + mu) + lam / (lam + mu) * np.exp(-(lam + mu) * t)).mean(axis=1)
    got = occ[occ["state"] == "A"].set_index("time")["mean"]
    np.testing.assert_allclose(got.loc[times].to_numpy(), exact, atol=0.02)
    assert 0.2 < got.loc[150.0] < 0.5   # about mu / (lam + mu) = 1/3, not 1
    # a step limit, when one is set, is an error naming the times, never a truncated path
    from coalsurv.fit import occupancy

    with pytest.raises(ArgumentError, match=r"times: simulated paths need more than 5"):
        occupancy.simulated_occupancy(fit.fits, fit.transitions, pd.DataFrame(index=[0]),
                                      start="A", times=np.array([150.0]), order=fit.states,
                                      n_paths=10, rng=np.random.default_rng(0), max_steps=5)
    # the forward clock (product integral) follows the cycle too
    forward = coalsurv.MultiStateModel({"A -> B": "1", "B -> A": "1"}, family="exponential",
                                       clock="forward")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ffit = forward.fit(data, draws=100, tune=100, chains=1, progressbar=False,
                           random_seed=2)
    focc = ffit.state_occupancy(times, start="A")
    fgot = focc[focc["state"] == "A"].set_index("time")["mean"].loc[times].to_numpy()
    np.testing.assert_allclose(fgot, exact, atol=0.03)


def test_prior_set_from_a_multistate_fit_or_a_path(fits, tmp_path):
    """PriorSet.from_fit takes a MultiStateFit (one prior set per transition, as its
    priors_from_fit) and the path of a saved fit, single or multi-state.
    """
    from coalsurv import PriorSet

    def doc(priors):   # the prior set without the time it was made
        out = priors.to_dict()
        out["provenance"] = {k: v for k, v in out["provenance"].items() if k != "created"}
        return out

    f = fits["reset"]
    by_key = PriorSet.from_fit(f, components=1)
    assert list(by_key) == list(f.fits)
    same = f.priors_from_fit(components=1)
    assert all(doc(by_key[k]) == doc(same[k]) for k in by_key)
    from_zip = PriorSet.from_fit(f.save(tmp_path / "ms.zip"), components=1)
    assert all(doc(from_zip[k]) == doc(same[k]) for k in by_key)
    one = f.fits["coalition -> alliance"]
    from_nc = PriorSet.from_fit(str(one.save(tmp_path / "one.nc")), components=1)
    assert doc(from_nc) == doc(PriorSet.from_fit(one, components=1))
    with pytest.raises(ArgumentError, match="expected a Fit, a MultiStateFit or the path"):
        PriorSet.from_fit(42)
    with pytest.raises(FitFileError, match="nope.nc"):
        PriorSet.from_fit(tmp_path / "nope.nc")
