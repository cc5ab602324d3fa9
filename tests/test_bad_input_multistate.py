"""Malformed input at every multi-state boundary gives one coalsurv error that names it.

One table (as ``tests/test_bad_input.py``) over the sojourn table (``TransitionData.from_frame``
options, values and paths), the wide table, ``MultiStateModel`` (keys, options, the data of
each transition), the options of ``MultiStateFit``'s methods (flags, counts, seeds, times given
as dates, empty newdata), saved multi-state files (edited manifest fields and members) and
``PriorSet.from_fit``. Every row asserts the error class and that the message names the
column, key, state, row ids or file part concerned. One tiny multi-state fit (exponential,
100 draws) is shared by the rows that need a fit.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv import MultiStateModel, PriorSet, TransitionData
from coalsurv.errors import (
    ArgumentError,
    CoalitionDataError,
    CoalsurvError,
    FitFileError,
    SpecError,
)

TS = pd.Timestamp("2000-01-01")
MS = pd.DataFrame({"id": [1, 1, 2, 3], "state": ["coalition", "alliance", "coalition",
                                                 "coalition"],
                   "start": [0.0, 2.0, 0.0, 0.0], "stop": [2.0, 5.0, 3.0, 4.0],
                   "to": ["alliance", "censored", "dissolution", "censored"],
                   "x": [0.1, 0.2, 0.3, 0.4], "g": ["a", "a", "b", "b"]})
MSO = {"id": "id", "state": "state", "start": "start", "stop": "stop", "to": "to",
       "time_unit": "days"}
WIDE = pd.DataFrame({"id": [1, 2], "ta": [2.0, np.nan], "td": [np.nan, 3.0],
                     "end": [5.0, 3.0]})
WO = {"id": "id", "entry_times": {"alliance": "ta", "dissolution": "td"}, "end": "end",
      "absorbing": ["dissolution"], "time_unit": "days"}
TRANSITIONS = {"coalition -> alliance": "x", "coalition -> dissolution": "1",
               "alliance -> dissolution": "1"}
NEW = pd.DataFrame({"x": [0.0, 1.0]})
XT = {"coalition -> alliance": "x", "coalition -> dissolution": "1",
      "alliance -> dissolution": "x"}
SH = {"x": ["coalition -> alliance", "alliance -> dissolution"]}


def _ms(**columns) -> TransitionData:
    """TransitionData of MS with some cells replaced: ``col=[(row, value), ...]``."""
    df, opts = MS.copy(), {}
    for key, value in columns.items():
        if key.startswith("opt_"):
            opts[key[4:]] = value
            continue
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            df[key] = df[key].astype(object)
            for row, v in value:
                df.loc[row, key] = v
        else:
            df[key] = value
    return TransitionData.from_frame(df, **{**MSO, **opts})


def _histories(n: int = 60, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x = rng.normal()
        t_a, t_d, c = rng.exponential(6.0 * np.exp(-0.5 * x)), rng.exponential(12.0), 20.0
        t1 = min(t_a, t_d, c)
        to = "censored" if t1 == c else ("alliance" if t_a < t_d else "dissolution")
        rows.append((i, "coalition", 0.0, t1, to, x))
        if to == "alliance":
            t2 = t1 + rng.exponential(8.0)
            rows.append((i, "alliance", t1, min(t2, c), "dissolution" if t2 < c else "censored",
                         x))
    return pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", "x"])


def _rewrite(ctx, name, edit_manifest=None, drop=(), add=None) -> str:
    """Copy of the saved multi-state zip with the manifest edited / members dropped."""
    with zipfile.ZipFile(ctx["saved"]) as src:
        members = {n: src.read(n) for n in src.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    if edit_manifest:
        edit_manifest(manifest)
    path = ctx["tmp"] / name
    with zipfile.ZipFile(path, "w") as dst:
        dst.writestr("manifest.json", json.dumps(manifest))
        for n, data in {**members, **(add or {})}.items():
            if n not in drop:
                dst.writestr(n, data)
    return str(path)


def _set(path, value):
    def edit(m):
        *head, last = path
        for key in head:
            m = m[key]
        m[last] = value
    return edit


def _swap(m):
    (k0, f0), (k1, f1) = m["transitions"][:2]
    m["transitions"][:2] = [[k0, f1], [k1, f0]]


def _const_in_alliance():
    df = _histories()
    df.loc[df["state"] == "alliance", "x"] = 1.5
    data = TransitionData.from_frame(df, **MSO, covariates=["x"])
    return MultiStateModel({"coalition -> alliance": "1", "coalition -> dissolution": "1",
                            "alliance -> dissolution": "x"}).episodes(data)


def _no_common_level():
    """A frailty shared by two transitions out of different states whose levels never meet."""
    df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 4], "state": ["coalition", "alliance"] * 2
                       + ["coalition", "coalition"],
                       "start": [0.0, 2.0, 0.0, 1.0, 0.0, 0.0],
                       "stop": [2.0, 5.0, 1.0, 4.0, 3.0, 6.0],
                       "to": ["alliance", "dissolution", "alliance", "censored", "censored",
                              "censored"],
                       "g": ["c1", "a1", "c2", "a2", "c1", "c2"]})
    data = TransitionData.from_frame(df, **MSO, groups=["g"])
    return MultiStateModel({"coalition -> alliance": "1", "alliance -> dissolution": "1"},
                           frailty="(1 | g)").fit(data)


# (name, call(ctx), error class, pattern the message must match)
CASES = [
    # ---- sojourn table: options
    ("not a frame", lambda c: TransitionData.from_frame([1, 2], **MSO),
     CoalitionDataError, r"df: expected a pandas DataFrame, got list"),
    ("missing to column", lambda c: _ms(opt_to="nope"),
     CoalitionDataError, r"to='nope': no such column"),
    ("column name not str", lambda c: _ms(opt_id=3),
     CoalitionDataError, r"id: expected a column name \(str\), got 3"),
    ("unknown time unit", lambda c: _ms(opt_time_unit="weeks"),
     CoalitionDataError, r"time_unit='weeks'"),
    ("empty censored label", lambda c: _ms(opt_censored=""),
     CoalitionDataError, r"censored: expected a non-empty label"),
    ("covariate not in table", lambda c: _ms(opt_covariates=["zz"]),
     CoalitionDataError, r"covariates: column 'zz' is not in the table"),
    # ---- sojourn table: values
    ("empty table", lambda c: TransitionData.from_frame(MS.iloc[:0], **MSO),
     CoalitionDataError, r"the table has no rows.*'id', 'state', 'start', 'stop', 'to'"),
    ("text start", lambda c: _ms(start=[(1, "soon")]),
     CoalitionDataError, r"column 'start': expected numbers.*'soon'.*id 1"),
    ("NaN stop", lambda c: _ms(stop=[(2, np.nan)]),
     CoalitionDataError, r"column 'stop': missing values \(NaN\).*id 2"),
    ("infinite stop", lambda c: _ms(stop=[(3, np.inf)]),
     CoalitionDataError, r"column 'stop': infinite values.*id 3"),
    ("date start", lambda c: _ms(start=TS + pd.to_timedelta(MS.start, unit="D")),
     CoalitionDataError, r"column 'start': holds dates, not times on the process clock"),
    ("boolean stop", lambda c: _ms(stop=[True, True, True, True]),
     CoalitionDataError, r"column 'stop': expected numbers, found a boolean column"),
    ("negative start", lambda c: _ms(start=[(2, -1.0)]),
     CoalitionDataError, r"'start' must be >= 0.*id 2"),
    ("stop before start", lambda c: _ms(stop=[(2, 0.0)]),
     CoalitionDataError, r"'stop' must be after 'start'.*id 2"),
    ("self-transition", lambda c: _ms(to=[(2, "coalition")]),
     CoalitionDataError, r"'to' equals 'state' \(a self-transition\).*id 2"),
    ("missing state", lambda c: _ms(state=[(3, None)]),
     CoalitionDataError, r"column 'state': missing values in.*id 3"),
    ("numeric state label", lambda c: _ms(state=[(3, 7)]),
     CoalitionDataError, r"column 'state': expected state labels \(str\).*id 3"),
    ("censored label as state", lambda c: _ms(state=[(3, "censored")]),
     CoalitionDataError, r"column 'state': the censored label 'censored' is not a state.*id 3"),
    ("entered after start", lambda c: _ms(e=[0.0, 3.0, 0.0, 0.0], opt_entered="e"),
     CoalitionDataError, r"'e' must be <= 'start'.*id 1"),
    ("text covariate", lambda c: _ms(x=[(0, "high")], opt_covariates=["x"]),
     CoalitionDataError, r"covariate column 'x': expected numbers.*'high'.*id 1"),
    ("NaN covariate", lambda c: _ms(x=[(3, np.nan)], opt_covariates=["x"]),
     CoalitionDataError, r"covariate 'x': missing values.*id 3"),
    ("missing group", lambda c: _ms(g=[(2, None)], opt_groups="g"),
     CoalitionDataError, r"group 'g': missing labels.*id 2"),
    # ---- sojourn table: paths
    ("overlap", lambda c: _ms(start=[(1, 1.5)]),
     CoalitionDataError, r"overlapping sojourns.*ids 1"),
    ("gap", lambda c: _ms(start=[(1, 2.5)]),
     CoalitionDataError, r"a gap between sojourns.*ids 1"),
    ("row after censored", lambda c: _ms(to=[(0, "censored")]),
     CoalitionDataError, r"rows after a sojourn censored \('to' = 'censored'\).*ids 1"),
    ("to is not the next state", lambda c: _ms(state=[(1, "community")]),
     CoalitionDataError, r"'to' is not the next row's 'state'.*ids 1"),
    ("undeclared transition", lambda c: _ms(opt_transitions=["coalition -> alliance"]),
     CoalitionDataError, r"transition 'coalition -> dissolution' is observed.*not declared"),
    ("row after absorbing", lambda c: TransitionData.from_frame(
        pd.concat([MS, pd.DataFrame({"id": [2], "state": ["dissolution"], "start": [3.0],
                                     "stop": [4.0], "to": ["censored"]})]), **MSO,
        transitions=["coalition -> alliance", "coalition -> dissolution"]),
     CoalitionDataError, r"rows in states \[.*'dissolution'\] that have no declared transition"),
    # ---- wide table
    ("no time unit", lambda c: TransitionData.from_frame(
        MS, **{k: v for k, v in MSO.items() if k != "time_unit"}),
     CoalitionDataError, r"time_unit= is required"),
    ("wide no time unit", lambda c: TransitionData.from_wide(
        WIDE, **{k: v for k, v in WO.items() if k != "time_unit"}),
     CoalitionDataError, r"time_unit= is required"),
    ("wide text time", lambda c: TransitionData.from_wide(WIDE.assign(ta=["2", "soon"]), **WO),
     CoalitionDataError, r"column 'ta': expected numbers.*'soon'.*id 2"),
    ("wide missing column", lambda c: TransitionData.from_wide(WIDE, **{**WO, "end": "nope"}),
     CoalitionDataError, r"column 'nope' is not in the table"),
    ("wide entry after absorbing", lambda c: TransitionData.from_wide(
        WIDE.assign(ta=[2.0, 4.0], end=[5.0, 6.0]), **WO),
     CoalitionDataError, r"id 2: enters 'alliance' after the absorbing state 'dissolution'"),
    ("wide no end", lambda c: TransitionData.from_wide(WIDE.assign(end=[np.nan, 3.0]), **WO),
     CoalitionDataError, r"column 'end': id 1 has no end of follow-up"),
    ("wide entry_times a list", lambda c: TransitionData.from_wide(
        WIDE, **{**WO, "entry_times": ["ta"]}),
     CoalitionDataError, r"entry_times: expected a mapping"),
    ("wide date column", lambda c: TransitionData.from_wide(
        WIDE.assign(end=TS + pd.to_timedelta(WIDE.end, unit="D")), **WO),
     CoalitionDataError, r"column 'end': holds dates"),
    # ---- model
    ("one transition twice", lambda c: MultiStateModel(
        {"coalition -> alliance": "1", "coalition->alliance": "x"}),
     SpecError, r"keys 'coalition -> alliance', 'coalition->alliance' name the same transition"),
    ("extra spaces", lambda c: MultiStateModel({"a -> b": "1", "  a  ->   b ": "x"}),
     SpecError, r"keys 'a -> b', '  a  ->   b ' name the same transition 'a -> b'"),
    ("family keys twice", lambda c: MultiStateModel(
        {"a -> b": "1"}, family={"a -> b": "weibull", "a->b": "exponential"}),
     SpecError, r"family: keys 'a -> b', 'a->b' name the same transition"),
    ("family key unknown", lambda c: MultiStateModel(
        {"a -> b": "1"}, family={"a -> c": "weibull"}),
     SpecError, r"family: keys \['a -> c'\] do not match the transitions \['a -> b'\]"),
    ("self transition key", lambda c: MultiStateModel({"a -> a": "1"}),
     SpecError, r"transition 'a -> a': expected two different state names"),
    ("no arrow", lambda c: MultiStateModel({"coalition": "1"}),
     SpecError, r"transition 'coalition'.*from_state -> to_state"),
    ("bad clock", lambda c: MultiStateModel(TRANSITIONS, clock="backward"),
     SpecError, r"clock='backward'"),
    ("formula not text", lambda c: MultiStateModel({"a -> b": 3}),
     SpecError, r"transition 'a -> b': expected a formula string, got 3"),
    ("no transitions", lambda c: MultiStateModel({}),
     SpecError, r"transitions: expected a non-empty mapping"),
    ("shared frailty", lambda c: MultiStateModel(TRANSITIONS, frailty="shared"),
     SpecError, r"frailty='shared'"),
    # joint models: shared effects and a shared frailty (issue 24)
    ("shared: unknown transition key", lambda c: MultiStateModel(
        XT, shared={"x": ["coalition -> alliance", "coalition -> nowhere"]}),
     SpecError, r"shared\['x'\]: 'coalition -> nowhere' is not a transition of the model"),
    ("shared: covariate not in a named transition's formula", lambda c: MultiStateModel(
        TRANSITIONS, shared={"x": ["coalition -> alliance", "coalition -> dissolution"]}),
     SpecError, r"shared\['x'\]: transition 'coalition -> dissolution'\'s formula '1' does "
                r"not name 'x'"),
    ("shared: one transition", lambda c: MultiStateModel(
        XT, shared={"x": ["coalition -> alliance"]}),
     SpecError, r"shared\['x'\]: 1 transition\(s\) given; an effect is shared by at least two"),
    ("shared: not a list", lambda c: MultiStateModel(XT, shared={"x": "coalition -> alliance"}),
     SpecError, r"shared\['x'\]: expected a list of transition keys"),
    ("shared: not a mapping", lambda c: MultiStateModel(XT, shared=["x"]),
     SpecError, r"shared: expected a mapping of covariate to a list of transition keys"),
    ("shared covariate not in the data", lambda c: MultiStateModel(
        {**XT, "coalition -> alliance": "z", "alliance -> dissolution": "z"},
        shared={"z": ["coalition -> alliance", "alliance -> dissolution"]}).fit(c["data"]),
     SpecError, r"covariate 'z' \(transitions \['coalition -> alliance', 'alliance -> "
                r"dissolution'\]\) is not a covariate of the data"),
    ("shared frailty column not in the data", lambda c: MultiStateModel(
        TRANSITIONS, frailty="(1 | country)").fit(c["data"]),
     SpecError, r"the shared frailty column 'country' is not a group column of the data"),
    ("shared frailty with no common grouping", lambda c: _no_common_level(),
     SpecError, r"frailty '\(1 \| g\)': no level of 'g' occurs in the sojourns of two "
                r"transitions"),
    ("shared frailty not a group intercept", lambda c: MultiStateModel(
        TRANSITIONS, frailty="country"),
     SpecError, r"frailty='country': expected 'per_transition' or one group intercept"),
    ("shared frailty with slopes", lambda c: MultiStateModel(
        TRANSITIONS, frailty="(1 + x | country)"),
     SpecError, r"frailty='\(1 \+ x \| country\)': expected 'per_transition' or one group"),
    ("joint: group term in a transition's formula", lambda c: MultiStateModel(
        {**XT, "coalition -> dissolution": "x + (1 | g)"}, frailty="(1 | g)"),
     SpecError, r"transition 'coalition -> dissolution': group terms \(\(1 \| g\)\) in a "
                r"transition's formula are not supported"),
    ("joint: transformed term", lambda c: MultiStateModel(
        {**XT, "coalition -> dissolution": "I(x ** 2)"}, frailty="(1 | g)"),
     SpecError, r"transition 'coalition -> dissolution': terms \['I\(x \*\* 2\)'\] are not "
                r"plain covariate names"),
    ("joint: families differ", lambda c: MultiStateModel(
        XT, shared=SH, family={k: f for k, f in zip(XT, ["weibull", "weibull", "lognormal"],
                                                    strict=True)}),
     SpecError, r"family: .* differ by transition; a model with shared effects .* one family"),
    ("joint: priors per transition", lambda c: MultiStateModel(
        XT, shared=SH, priors={"coalition -> alliance": PriorSet()}),
     SpecError, r"priors: per-transition values are not supported"),
    ("joint: model option other than strata", lambda c: MultiStateModel(
        XT, shared=SH, model_options={"cure": "x"}),
     SpecError, r"model_options \['cure'\]: a joint multi-state model takes only 'strata'"),
    ("joint: data column named like the strata", lambda c: MultiStateModel(
        XT, shared=SH).fit(TransitionData.from_frame(
            _histories().assign(ms_transition="a"), **MSO, covariates=["x"],
            groups=["ms_transition"])),
     SpecError, r"the data have a column 'ms_transition'"),
    ("joint: multi-state SBC", lambda c: __import__(
        "coalsurv.batch.paths", fromlist=["pin_multistate"]).pin_multistate(
            MultiStateModel(XT, shared=SH), c["data"], censor_at=10.0),
     SpecError, r"a joint model \(shared effects or frailty\) is not supported here yet"),
    ("unknown model option", lambda c: MultiStateModel({"a -> b": "1"},
                                                        model_options={"colour": "red"}),
     SpecError, r"transition 'a -> b': model_options \['colour'\]"),
    ("constant covariate in one transition", lambda c: _const_in_alliance(),
     CoalitionDataError, r"transition 'alliance -> dissolution' \(the sojourns in "
                         r"'alliance'\): covariate 'x' is constant"),
    ("unobserved transition", lambda c: MultiStateModel(
        {**TRANSITIONS, "alliance -> coalition": "1"}).episodes(c["data"]),
     SpecError, r"transition 'alliance -> coalition': no sojourn in 'alliance' ends by"),
    ("data not TransitionData", lambda c: MultiStateModel(TRANSITIONS).fit(MS),
     SpecError, r"needs TransitionData, got DataFrame"),
    # ---- fit methods
    ("average not a flag", lambda c: c["fit"].state_occupancy([1.0], NEW, average="no"),
     ArgumentError, r"average must be True or False, got 'no'"),
    ("summary not a flag", lambda c: c["fit"].state_occupancy([1.0], NEW, summary=0),
     ArgumentError, r"summary must be True or False, got 0"),
    ("two bad options at once", lambda c: c["fit"].state_occupancy(
        [1.0], NEW, summary="yes", n_paths=0),
     ArgumentError, r"summary must be True or False.*n_paths must be an integer >= 1"),
    ("n_paths a float", lambda c: c["fit"].state_occupancy([1.0], NEW, n_paths=10.5),
     ArgumentError, r"n_paths must be an integer >= 1, got 10.5"),
    ("seed text", lambda c: c["fit"].state_occupancy([1.0], NEW, random_seed="a"),
     ArgumentError, r"random_seed must be an integer >= 0"),
    ("unknown frailty", lambda c: c["fit"].state_occupancy([1.0], NEW, frailty="none"),
     ArgumentError, r"frailty='none': expected one of"),
    ("max_draws zero", lambda c: c["fit"].occupancy_draws([1.0], NEW, max_draws=0),
     ArgumentError, r"max_draws must be an integer >= 1, got 0"),
    ("occupancy_draws s text", lambda c: c["fit"].occupancy_draws([1.0], NEW, s="later"),
     ArgumentError, r"s must be one time .*got 'later'"),
    ("priors_from_fit unknown option", lambda c: c["fit"].priors_from_fit(discont=0.5),
     ArgumentError, r"priors_from_fit: unknown options \['discont'\]"),
    ("n_grid one", lambda c: c["fit"].expected_time_in_state(5.0, NEW, n_grid=1),
     ArgumentError, r"n_grid must be an integer >= 2, got 1"),
    ("empirical not a flag", lambda c: c["fit"].plot_state_occupancy([1.0], empirical="yes"),
     ArgumentError, r"empirical must be True or False, got 'yes'"),
    ("times a date", lambda c: c["fit"].state_occupancy(TS, NEW),
     ArgumentError, r"times: got dates.*data's unit, months"),
    ("times dates list", lambda c: c["fit"].state_occupancy([TS, TS], NEW),
     ArgumentError, r"times: got dates"),
    ("horizon a date", lambda c: c["fit"].expected_time_in_state(TS, NEW),
     ArgumentError, r"horizon: got dates"),
    ("s a date", lambda c: c["fit"].transition_probability(TS, [5.0], NEW),
     ArgumentError, r"s: got dates"),
    ("horizon a list", lambda c: c["fit"].expected_time_in_state([5.0, 6.0], NEW),
     ArgumentError, r"horizon must be one time"),
    ("member fit survival at a date", lambda c: c["fit"].fits["coalition -> alliance"].survival(
        [TS], NEW),
     ArgumentError, r"times: got dates"),
    ("empty newdata", lambda c: c["fit"].state_occupancy([150.0], NEW.iloc[:0], start="coalition"),
     ArgumentError, r"newdata has no rows.*\['x'\]"),
    ("newdata dict of scalars", lambda c: c["fit"].state_occupancy([1.0], {"x": 0.5}),
     ArgumentError, r"newdata: this dict cannot be a table of profiles"),
    ("empty newdata, hazard", lambda c: c["fit"].hazard([1.0], NEW.iloc[:0]),
     ArgumentError, r"newdata has no rows"),
    ("start unknown", lambda c: c["fit"].state_occupancy([1.0], NEW, start="community"),
     ArgumentError, r"start='community': not a state"),
    ("start absorbing", lambda c: c["fit"].state_occupancy([1.0], NEW, start="dissolution"),
     ArgumentError, r"start='dissolution' is absorbing"),
    ("negative times", lambda c: c["fit"].state_occupancy([-1.0], NEW),
     ArgumentError, r"times must be a non-empty 1-D sequence of finite times >= 0"),
    ("t before s", lambda c: c["fit"].transition_probability(5.0, [1.0], NEW),
     ArgumentError, r"every t >= s is needed \(s=5\)"),
    # ---- saved files
    ("edited clock", lambda c: coalsurv.load_multistate(
        _rewrite(c, "clock.zip", _set(["clock"], "forward"))),
     FitFileError, r"parts \['manifest\.clock'\]"),
    ("swapped transition files", lambda c: coalsurv.load_multistate(
        _rewrite(c, "swap.zip", _swap)),
     FitFileError, r"parts \['manifest\.transitions'\]"),
    ("edited time unit", lambda c: coalsurv.load_multistate(
        _rewrite(c, "unit.zip", _set(["data", "time_unit"], "days"))),
     FitFileError, r"parts \['manifest\.data\.time_unit'\]"),
    ("removed member", lambda c: coalsurv.load_multistate(
        _rewrite(c, "drop.zip", drop=("transition_1.nc",))),
     FitFileError, r"parts \['transition_1\.nc'\]"),
    ("added member", lambda c: coalsurv.load_multistate(
        _rewrite(c, "add.zip", add={"extra.txt": b"hello"})),
     FitFileError, r"parts \['extra\.txt'\]"),
    ("older schema", lambda c: coalsurv.load_multistate(
        _rewrite(c, "old.zip", _set(["schema"], "coalsurv.multistate/1"))),
     FitFileError, r"schema 'coalsurv\.multistate/1'.*older file"),
    ("no manifest", lambda c: coalsurv.load_multistate(_no_manifest(c)),
     FitFileError, r"no readable manifest\.json"),
    ("not a zip", lambda c: coalsurv.load_multistate(_text_file(c)),
     FitFileError, r"notzip\.zip.*cannot be read"),
    ("missing file", lambda c: coalsurv.load_multistate(c["tmp"] / "absent.zip"),
     FitFileError, r"absent\.zip.*does not exist"),
    # ---- priors from a fit
    ("from_fit a number", lambda c: PriorSet.from_fit(42),
     ArgumentError, r"PriorSet\.from_fit: expected a Fit, a MultiStateFit or the path.*int"),
    ("from_fit missing path", lambda c: PriorSet.from_fit(str(c["tmp"] / "nothing.nc")),
     FitFileError, r"nothing\.nc"),
]


def _no_manifest(ctx) -> str:
    path = ctx["tmp"] / "noman.zip"
    with zipfile.ZipFile(ctx["saved"]) as src, zipfile.ZipFile(path, "w") as dst:
        for n in src.namelist():
            if n != "manifest.json":
                dst.writestr(n, src.read(n))
    return str(path)


def _text_file(ctx) -> str:
    path = ctx["tmp"] / "notzip.zip"
    path.write_text("not a zip")
    return str(path)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """One tiny multi-state fit, its data, its saved file and a folder for malformed files."""
    data = TransitionData.from_frame(_histories(), **{**MSO, "time_unit": "months"},
                                     covariates=["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = MultiStateModel(TRANSITIONS, family="exponential").fit(
            data, draws=100, tune=100, chains=1, progressbar=False, random_seed=1)
    tmp = tmp_path_factory.mktemp("bad_ms")
    return {"data": data, "fit": fit, "saved": fit.save(tmp / "ms.zip"), "tmp": tmp}


def test_enough_malformed_inputs():
    assert len(CASES) >= 40
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("call", "error", "pattern"),
                         [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_malformed_input_is_refused_by_name(ctx, call, error, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call(ctx)
    message = str(info.value)
    assert re.search(pattern, message, re.S), message
    assert "\x1b" not in message, "ANSI colour codes in the message"


def test_every_error_is_a_coalsurv_error():
    assert all(issubclass(err, CoalsurvError) for _, _, err, _ in CASES)


# ------------------------------------------------------------------------- correct results
def test_timedelta_times_are_converted_into_the_data_unit(ctx):
    """Timedeltas as times, horizon and s mean the same as numbers in the data's unit
    (months: 30.4375 days), with a warning that states the conversion.
    """
    fit = ctx["fit"]
    months = np.array([1.0, 6.0])
    spans = pd.to_timedelta(months * 30.4375, unit="D")
    with pytest.warns(UserWarning, match=r"times: Timedelta values converted to months"):
        got = fit.state_occupancy(spans, NEW, n_paths=50)
    pd.testing.assert_frame_equal(got, fit.state_occupancy(months, NEW, n_paths=50))
    with pytest.warns(UserWarning, match="horizon"):
        a = fit.expected_time_in_state(pd.Timedelta(days=6 * 30.4375), NEW, n_paths=50)
    b = fit.expected_time_in_state(6.0, NEW, n_paths=50)
    np.testing.assert_allclose(a["mean"], b["mean"])
    one = fit.fits["coalition -> alliance"]
    with pytest.warns(UserWarning, match="converted to months"):
        s1 = one.survival(spans, NEW)
    np.testing.assert_allclose(s1["mean"], one.survival(months, NEW)["mean"])


def test_timedelta_sojourn_times_are_converted_into_the_time_unit():
    df = MS.assign(start=pd.to_timedelta(MS.start * 365.25, unit="D"),
                   stop=pd.to_timedelta(MS.stop * 365.25, unit="D"))
    with pytest.warns(UserWarning, match=r"column 'start': Timedelta values converted to years"):
        data = TransitionData.from_frame(df, **{**MSO, "time_unit": "years"})
    np.testing.assert_allclose(data.frame["stop"], MS.sort_values(["id", "start"])["stop"])
    wide = WIDE.assign(ta=pd.to_timedelta(WIDE.ta, unit="D"),
                       td=pd.to_timedelta(WIDE.td, unit="D"),
                       end=pd.to_timedelta(WIDE.end, unit="D"))
    with pytest.warns(UserWarning, match="converted to days"):
        got = TransitionData.from_wide(wide, **WO)
    pd.testing.assert_frame_equal(got.to_frame(), TransitionData.from_wide(WIDE, **WO).to_frame())


def test_a_covariate_constant_where_a_transition_does_not_use_it_is_fine():
    """A covariate constant in 'alliance' is refused there only where a transition uses it."""
    df = _histories()
    df.loc[df["state"] == "alliance", "x"] = 1.5
    data = TransitionData.from_frame(df, **MSO, covariates=["x"])
    episodes = MultiStateModel(TRANSITIONS).episodes(data)
    assert episodes["coalition -> alliance"].covariate_names == ("x",)
    assert episodes["alliance -> dissolution"].covariate_names == ()
