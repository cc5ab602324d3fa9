"""Simulation-based calibration of multi-state models: the path simulator and a tiny SBC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.batch.paths import (
    episodes_from_prior,
    paths_from_prior,
    pin_multistate,
    simulate_paths,
    template_paths,
    template_units,
)
from coalsurv.batch.sbc_multistate import job_name
from coalsurv.errors import SpecError

_X = "breadth + power_hhi"
_TRANSITIONS = ("formation -> alliance", "formation -> dissolved", "alliance -> integrated")


def _model(clock: str = "reset"):
    return coalsurv.MultiStateModel({t: _X for t in _TRANSITIONS}, family="weibull",
                                    clock=clock)


def _pinned(clock: str, n: int = 60, seed: int = 1, draws: int = 4):
    model = _model(clock)
    template = template_paths(model, template_units(n_rows=n, seed=seed), censor_at=10.0,
                              seed=seed)
    pinned = pin_multistate(model, template, censor_at=10.0)
    priors = {key: p.model.sample_prior(p.template, draws=draws, random_seed=seed + k)
              for k, (key, p) in enumerate(pinned.pinned.items())}
    return pinned, priors


def _check_paths(frame: pd.DataFrame, censor_at: float) -> None:
    """Every unit starts in formation at 0, moves along declared transitions, then stops."""
    allowed = {tuple(t.split(" -> ")) for t in _TRANSITIONS}
    for _, g in frame.groupby("id"):
        g = g.sort_values("start")
        assert g["state"].iloc[0] == "formation" and g["start"].iloc[0] == 0.0
        assert np.allclose(g["start"].to_numpy()[1:], g["stop"].to_numpy()[:-1])
        assert list(g["state"].iloc[1:]) == list(g["to"].iloc[:-1])
        for s, t in zip(g["state"], g["to"], strict=True):
            assert t == "censored" or (s, t) in allowed
        # absorbing states (dissolved, integrated) are never left: no sojourn in them
        assert not set(g["state"]) & {"dissolved", "integrated"}
        last = g.iloc[-1]
        assert last["to"] in ("censored", "dissolved", "integrated")
        assert (last["to"] == "censored") == (last["stop"] == censor_at)
        assert (g["stop"] > g["start"]).all() and g["stop"].max() <= censor_at


@pytest.mark.parametrize("clock", ["reset", "forward"])
def test_paths_are_seeded_and_follow_the_model(clock):
    pinned, priors = _pinned(clock)
    a = paths_from_prior(pinned, priors, 1, seed=5)
    assert a.data_hash() == paths_from_prior(pinned, priors, 1, seed=5).data_hash()
    assert a.data_hash() != paths_from_prior(pinned, priors, 2, seed=5).data_hash()
    assert a.n_units == 60
    _check_paths(a.to_frame(), pinned.censor_at)
    # the episodes of alliance -> integrated: entry = time of arrival in alliance (forward)
    # or 0 (reset), and every sojourn in alliance is at risk
    frame = a.to_frame()
    in_alliance = frame[frame["state"] == "alliance"]
    ep = pinned.model.episodes(a)["alliance -> integrated"]
    assert ep.n == len(in_alliance)
    arrival = np.sort(in_alliance["start"].to_numpy())
    if clock == "forward":
        assert np.allclose(np.sort(np.asarray(ep.entry)), arrival)
        assert np.allclose(np.sort(np.asarray(ep.time)), np.sort(in_alliance["stop"]))
    else:
        assert np.allclose(np.asarray(ep.entry), 0.0)
        assert np.allclose(np.sort(np.asarray(ep.time)),
                           np.sort((in_alliance["stop"] - in_alliance["start"]).to_numpy()))


def test_forward_clock_draws_are_left_truncated_at_arrival():
    """Given an exponential law (shape 1) the forward draw after ``s`` is ``s + Exp``."""
    pinned, priors = _pinned("forward", draws=2)
    key = "alliance -> integrated"
    p = pinned.pinned[key]
    prior = priors[key].copy()
    prior["shape"] = prior["shape"] * 0 + 1.0
    prior["beta"] = prior["beta"] * 0
    from coalsurv.batch.paths import _truncated_times  # noqa: PLC2701 - tested directly
    from coalsurv.batch.simulate import one_draw
    from coalsurv.fit.predict import Predictor

    pred = Predictor(p.info, p.design, one_draw(prior, 0), max_draws=None)
    rows = pinned.units.drop(columns=["id"]).iloc[[0] * 4000].reset_index(drop=True)
    entered = np.full(4000, 2.0)
    t = _truncated_times(pred, rows, entered, 1e3, np.random.default_rng(0))
    rate = float(pred.hazard_by_cause([1.0], rows.iloc[:1])[0, 0, 0, 0])
    assert (t > 2.0).all()
    assert abs(np.mean(t - 2.0) * rate - 1.0) < 0.06


def test_paths_stop_in_absorbing_states_and_refuse_a_bad_initial_state():
    units = pd.DataFrame({"id": ["a", "b", "c"], "x": [0.0, 1.0, 2.0]})
    pairs = {"f -> a": ("f", "a"), "a -> f": ("a", "f"), "f -> d": ("f", "d")}
    calls = []

    def exit_time(key, idx, entered):
        calls.append((key, idx.copy()))
        return entered + {"f -> a": 1.0, "a -> f": 1.0, "f -> d": 2.5}[key]

    # f -> a (at +1) always beats f -> d (+2.5), a -> f follows: the paths cycle until the
    # guard stops them
    with pytest.raises(coalsurv.ArgumentError, match="still moving"):
        simulate_paths(units, pairs, initial="f", censor_at=100.0, exit_time=exit_time)
    assert {k for k, _ in calls} == {"f -> a", "a -> f", "f -> d"}
    frame = simulate_paths(units, {"f -> d": ("f", "d")}, initial="f", censor_at=2.0,
                           exit_time=lambda key, idx, e: e + np.array([1.0, 3.0, np.inf]))
    assert list(frame["to"]) == ["d", "censored", "censored"]
    assert list(frame["stop"]) == [1.0, 2.0, 2.0]
    with pytest.raises(coalsurv.ArgumentError, match="initial='d'"):
        simulate_paths(units, {"f -> d": ("f", "d")}, initial="d", censor_at=2.0,
                       exit_time=exit_time)


def test_an_unfittable_draw_is_a_failed_row_naming_its_transition(inline_client, tmp_path):
    import functools

    from coalsurv.batch.many import check_fit_options, run_jobs

    pinned, priors = _pinned("reset")
    key = "alliance -> integrated"
    never = priors[key].copy()
    never["intercept"] = never["intercept"] * 0 - 60.0  # a hazard of ~e^-60: no event
    bad = {**priors, key: never}
    with pytest.raises(SpecError, match="alliance -> integrated"):
        episodes_from_prior(pinned, bad, 0, "formation -> alliance", seed=1)
    # on the batch runner: every transition's job of that simulation fails with the reason
    jobs = {job_name(0, k): (pinned.pinned[t].model,
                             functools.partial(episodes_from_prior, pinned, bad, 0, t, seed=1))
            for k, t in enumerate(pinned.pinned)}
    fits = run_jobs(jobs, out=tmp_path, client=inline_client, progress=False,
                    fit_kwargs=check_fit_options({"draws": 50, "tune": 50, "chains": 1}))
    assert list(fits["status"]) == ["failed"] * 3
    assert fits["error"].str.contains("'alliance -> integrated'").all()


def test_tiny_multistate_sbc_end_to_end(inline_client, tmp_path):
    """4 simulations of 60 units, three transitions: 12 warm fits, well-formed tables.

    A simulation with a failed job (none expected here) would be left out of the ranks.
    """
    model = _model("reset")
    result = coalsurv.sbc(model, n_simulations=4, n_rows=60, seed=3, client=inline_client,
                          out=tmp_path / "fits", draws=100, tune=150, chains=2, thin=2,
                          progress=False)
    fits = result.fits
    assert len(fits) == 12 and set(fits["transition"]) == set(_TRANSITIONS)
    assert list(fits["name"][:3]) == [job_name(0, k) for k in range(3)]
    ok_sims = sorted(set(fits["simulation"]) - set(fits.loc[fits["status"] != "ok",
                                                              "simulation"]))
    assert result.settings["failed"] == 4 - len(ok_sims)
    assert result.n_simulations == len(ok_sims) >= 3
    quantities = result.quantities
    for t in ("formation->alliance", "formation->dissolved", "alliance->integrated"):
        target = t.split("->")[1]
        assert f"{t}: beta[{target}, breadth]" in quantities
        assert f"{t}: shape[{target}]" in quantities
        assert any(q.startswith(f"{t}: S(t=") for q in quantities)
    ranks = result.draws["rank"]
    assert ranks.between(0, result.n_rank_draws).all()
    assert (result.draws["q05"] <= result.draws["q95"]).all()
    uni, cov = result.uniformity(), result.coverage()
    assert list(uni["quantity"]) == quantities and set(cov["nominal"]) == {0.5, 0.9}
    assert result.tree()["prior_sbc"][quantities[0]].shape == (1, len(ok_sims))
    # a rerun resumes from the fit files
    again = coalsurv.sbc(model, n_simulations=4, n_rows=60, seed=3, client=inline_client,
                         out=tmp_path / "fits", draws=100, tune=150, chains=2, thin=2,
                         progress=False)
    pd.testing.assert_frame_equal(again.draws, result.draws)


def test_validation_has_a_multistate_entry():
    from coalsurv.batch.validate import MODELS

    entry = {m.key: m for m in MODELS}["multistate"]
    model = entry.model()
    assert isinstance(model, coalsurv.MultiStateModel) and model.clock == "reset"
    assert list(model.transitions) == list(_TRANSITIONS)


def test_pinned_standardisation_holds_on_other_data_and_is_checked():
    """Each transition's "per SD" keeps the template's meaning on a simulated data set."""
    pinned, priors = _pinned("reset")
    data = paths_from_prior(pinned, priors, 3, seed=2)
    for key, p in pinned.pinned.items():
        _, design, info, _ = p.model.build(pinned.model.episodes(data)[key])
        assert np.allclose(design.means, p.design.means)
        assert np.allclose(design.sds, p.design.sds)
        assert info.time_scale == p.info.time_scale
    with pytest.raises(SpecError, match=r"standardise\['breadth'\]"):
        coalsurv.SurvivalModel("breadth", family="weibull",
                               family_options={"standardise": {"breadth": [0.5, 0.0]}})
    # a name that is no term (of the formula or its cure formula) is refused, not ignored
    data = coalsurv.datasets.load_synthetic()
    with pytest.raises(SpecError, match=r"\['nonsense'\] are not terms"):
        coalsurv.SurvivalModel("breadth", family="weibull", family_options={
            "standardise": {"breadth": [0.5, 0.2], "nonsense": [0.0, 1.0]}}).build(data)
    _, design, _, _ = coalsurv.SurvivalModel(
        "breadth", family="weibull", cure="power_hhi",
        family_options={"standardise": {"breadth": [0.5, 0.2], "power_hhi": [0.3, 0.1]}}
    ).build(data)
    assert design.means[0] == 0.5 and design.cure.means[0] == 0.3 and design.cure.sds[0] == 0.1
