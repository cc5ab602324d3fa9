"""The native kernel against the PyMC graph for time-varying covariates (spells).

Rows of the kernel-vs-graph table (:func:`tests.fit.kernel_check.check_kernel`: log density,
gradient, pointwise log likelihood and every traced variable at random points) for spell
models of every kernel family: proportional hazards (a row per spell, piecewise baseline
included), AFT families (the equivalent time over spells), one and two causes, frailty, delayed
entry, strata, mm(), interval censoring and cure (tve with spells: ``test_kernel_combos.py``);
a tiny spells fit samples natively and agrees with the PyMC graph within Monte Carlo error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.backend import native
from tests.fit.kernel_check import check_kernel, kernel_frame


def _spell_data(*, causes=("a", "b"), entry=True, interval=False, from_zero=True, n=40,
                seed=11, members=False):
    """Episodes of ``_frame`` whose ``x1`` changes over 1-3 spells.

    Delayed-entry episodes have spells from 0 (``from_zero``) or, some of them, from their
    entry (proportional hazards need no history before entry). ``interval``: a third of the
    ended episodes end in ``(lo, up]`` (pooled: one cause), their spells running to ``up``.
    """
    rng = np.random.default_rng(seed)
    df = kernel_frame(n=n, seed=seed, causes=causes, entry=entry)
    df = df.assign(id=[f"e{i}" for i in range(n)])
    exit_time = df["duration"].to_numpy().copy()
    if interval:
        ended = (df["ended"] != "censored").to_numpy()
        boxed = ended & (rng.uniform(size=n) < 0.4)
        lo = df["duration"].to_numpy() * rng.uniform(0.5, 0.95, n)
        if entry:
            boxed &= lo > df["entry"].to_numpy()
        up = df["duration"].to_numpy() * rng.uniform(1.05, 2.0, n)
        df["lo"] = np.where(boxed, lo, np.nan)
        df["up"] = np.where(boxed, up, np.nan)
        df.loc[boxed, "duration"] = np.nan
        exit_time = np.where(boxed, up, exit_time)
    rows = []
    for i, row in enumerate(df.itertuples(index=False)):
        start = 0.0
        if entry and not from_zero and row.entry > 0 and i % 2:
            start = row.entry * (0.5 if i % 4 == 1 else 1.0)
        cuts = np.sort(rng.uniform(start, exit_time[i], size=rng.integers(0, 3)))
        bounds = np.r_[start, cuts, exit_time[i]]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            rows.append({"id": row.id, "start": a, "stop": b, "x1": rng.normal()})
    spells = pd.DataFrame(rows)
    table = None
    if members:  # 1-3 members of 8 per episode, with shares and a member covariate
        table = pd.DataFrame([{"id": eid, "member": f"m{m}", "share": s, "mx": rng.normal()}
                              for eid in df["id"]
                              for chosen in [rng.choice(8, size=rng.integers(1, 4), replace=False)]
                              for m, s in zip(chosen, rng.dirichlet(np.ones(chosen.size)),
                                              strict=True)])
    return coalsurv.CoalitionData.from_frame(
        df.drop(columns="x1"), duration="duration", event="ended", id="id",
        lower="lo" if interval else None, upper="up" if interval else None,
        entry="entry" if entry else None, covariates=["x2"], groups=["g", "h"],
        time_unit="months", spells=spells, members=table)


#: (formula, family, causes or None (pooled), delayed entry, spells from 0, kernel mode)
CASES = [
    ("x1 + x2", "weibull", None, False, True, 1),
    ("x1 + x2 + (1 | g)", "weibull", ["a", "b"], True, False, 1),
    ("x1 + (1 | h)", "exponential", ["a", "b"], True, False, 1),
    ("x1 + x2 + (1 | g)", "gompertz", None, True, False, 1),
    ("x1 + (1 | g)", "piecewise", ["a", "b"], True, False, 1),
    ("x1 + x2", "weibull_aft", None, False, True, 2),
    ("x1 + x2 + (1 | g)", "weibull_aft", ["a", "b"], True, True, 2),
    ("x1 + (1 | g) + (1 | h)", "lognormal", None, True, True, 2),
    ("x1 + x2", "lognormal", ["a", "b"], False, True, 2),
    ("x1 + x2 + (1 | g)", "loglogistic", None, True, True, 2),
    ("x1 + (1 | h)", "loglogistic", ["a", "b"], True, True, 2),
]


@pytest.mark.parametrize(("formula", "family", "causes", "entry", "from_zero", "mode"), CASES,
                         ids=[f"{c[1]}:{c[0]}:{'causes' if c[2] else 'pooled'}:"
                              f"{'entry' if c[3] else 'noentry'}" for c in CASES])
def test_kernel_equals_pymc_spells(formula, family, causes, entry, from_zero, mode):
    data = _spell_data(causes=tuple(causes or ("a", "b")), entry=entry, from_zero=from_zero)
    assert data.spells["id"].duplicated().any()
    options = {"n_intervals": 4} if family == "piecewise" else {}
    kplan = check_kernel(formula, family, causes, entry, None, options, data=data)
    assert kplan.spells == mode


#: interval-censored endings (pooled): PH and AFT spell curves, with and without cure
INTERVAL_CASES = [
    ("x1 + (1 | g)", "weibull", {}),
    ("x1 + x2 + (1 | h)", "weibull", {"spells_from_entry": True}),
    ("x1 + x2", "exponential", {}),
    ("x1 + (1 | g)", "gompertz", {}),
    ("x1 + x2 + (1 | h)", "weibull_aft", {}),
    ("x1 + (1 | g)", "lognormal", {}),
    ("x1 + x2", "loglogistic", {}),
    ("x1 + (1 | g)", "weibull", {"cure": "x2", "cure_link": "probit"}),
    ("x1", "lognormal", {"cure": "x2", "cure_type": "promotion"}),
]


@pytest.mark.parametrize(("formula", "family", "kwargs"), INTERVAL_CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[2].items())}" for c in INTERVAL_CASES])
def test_kernel_equals_pymc_spells_interval(formula, family, kwargs):
    kwargs = dict(kwargs)
    data = _spell_data(causes=("a",), interval=True,
                       from_zero=not kwargs.pop("spells_from_entry", False))
    assert (data.status == 2).sum() >= 4
    kplan = check_kernel(formula, family, None, True, None, {}, data=data,
                         model_kwargs=kwargs, value_atol=1e-6)
    assert kplan.spells == 2


#: cure (one cause), strata and mm() next to spells
CURE_CASES = [
    ("x1 + (1 | g)", "weibull", {"cure": "x2"}, True, False),
    ("x1 + x2", "weibull", {"cure": "1", "cure_link": "cloglog"}, False, True),
    ("x1 + (1 | h)", "exponential", {"cure": "x2", "cure_type": "promotion"}, True, True),
    ("x1 + x2", "weibull_aft", {"cure": "x2"}, True, True),
    ("x1 + (1 | g)", "loglogistic", {"cure": "1", "cure_type": "promotion"}, True, True),
    ("x1 + (1 | h)", "weibull", {"strata": "g"}, True, False),
    ("x1 + x2", "lognormal", {"strata": "g"}, True, True),
    ("x1 + mm(mx, weights='power') + (1 | g)", "weibull", {}, True, False),
    ("x1 + mm(mx, weights='logistic')", "lognormal", {}, True, True),
    ("x1 + x2 + mm(1, weights='share')", "weibull", {"cure": "1"}, True, True),
]


@pytest.mark.parametrize(("formula", "family", "kwargs", "entry", "from_zero"), CURE_CASES,
                         ids=[f"{c[1]}:{c[0]}:{sorted(c[2].items())}" for c in CURE_CASES])
def test_kernel_equals_pymc_spells_cure_and_strata(formula, family, kwargs, entry, from_zero):
    data = _spell_data(causes=("a",), entry=entry, from_zero=from_zero or "cure" in kwargs,
                       members="mm(" in formula)
    kplan = check_kernel(formula, family, None, entry, None, {}, data=data,
                         model_kwargs=kwargs, value_atol=1e-6)
    assert kplan.spells == (2 if "cure" in kwargs or family != "weibull" else 1)


def test_spells_fit_natively_and_agree_with_pymc(tiny_fit):
    """A Weibull AFT spells model: native sampling, posterior within MC error of the graph."""
    data = _spell_data(causes=("a",), n=80, seed=3)
    ours = tiny_fit(data, "x1 + x2", family="weibull_aft")
    assert ours.sampler["kernel"] == "native" and ours.sampler["route"] == "native", ours.sampler
    theirs = tiny_fit(data, "x1 + x2", family="weibull_aft", kernel="pymc")
    assert theirs.sampler["route"] == "pymc"
    a, b = ours.summary().set_index("parameter"), theirs.summary().set_index("parameter")
    assert list(a.index) == list(b.index)
    se = np.sqrt(a["mcse_mean"] ** 2 + b["mcse_mean"] ** 2)
    assert (np.abs(a["mean"] - b["mean"]) < 4.5 * se).all(), pd.concat([a, b], axis=1)
    for group in ("posterior", "log_likelihood", "log_prior"):
        ds_a, ds_b = ours.idata[group].to_dataset(), theirs.idata[group].to_dataset()
        assert {v: ds_a[v].dims for v in ds_a} == {v: ds_b[v].dims for v in ds_b}, group
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pareto k of a tiny fit
        assert abs(float(ours.loo().elpd) - float(theirs.loo().elpd)) < 2.0


@pytest.mark.parametrize("clock", ["reset", "forward"])
def test_multistate_transitions_reach_the_kernel(clock):
    """Every transition's model (separate fits and the stacked joint graph) plans natively.

    (Transition histories carry no spells; what falls back there is what falls back for any
    SurvivalModel: families outside the kernel.)
    """
    from tests.fit.test_multistate_joint import SHARED, TRANSITIONS, _histories

    data = coalsurv.TransitionData.from_frame(
        _histories(n=60), id="id", state="state", start="start", stop="stop", to="to",
        covariates=["x"], groups=["g"], time_unit="months")
    separate = coalsurv.MultiStateModel({k: f"{v} + (1 | g)" for k, v in TRANSITIONS.items()},
                                        family="lognormal", clock=clock)
    episodes = separate.episodes(data)
    for key, model in separate.models.items():
        built, _, info, _ = model.build(episodes[key])
        assert native.plan(built, info, model.spec.family_options)[0] is not None, key
    joint = coalsurv.MultiStateModel(TRANSITIONS, family="weibull", clock=clock, shared=SHARED,
                                     frailty="(1 | g)")
    model, stacked = joint.joint_survival_model(data)
    built, _, info, _ = model.build(stacked)
    kplan, reason = native.plan(built, info, model.spec.family_options)
    assert kplan is not None and kplan.strata, reason
