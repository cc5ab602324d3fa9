"""Malformed input at every boundary gives one coalsurv error that names the problem.

One table of malformed inputs (data constructor options and values, member and spell tables,
covariate builders, model specs and family options, ``fit()`` arguments, prediction inputs,
prior files, model files, fit files) and one of command-line requests. Every row asserts the
error class and that the message names the column, key, row or part concerned; none may carry
ANSI colour codes or come from a library underneath. One tiny fit is shared by the prediction
and fit-file rows.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv import CoalitionData
from coalsurv.data.covariates import power
from coalsurv.errors import (
    ArgumentError,
    CoalitionDataError,
    CoalsurvError,
    FitFileError,
    PriorError,
    SpecError,
)
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import PRIOR_SCHEMA, PriorSet

SM = coalsurv.SurvivalModel


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"d": [3.0, 20.0, 7.5, 4.0, 9.0, 12.0], "fell": ["a", "censored", "b", "a", "b", "a"],
         "x": [0.6, 0.7, 0.8, 0.1, 0.3, 0.5], "g": ["u", "v", "u", "v", "u", "v"],
         "e": [0.0, 1.0, 0.0, 0.5, 0.0, 2.0]},
        index=pd.Index([f"r{i}" for i in range(6)]),
    )


DF = _frame()


def _data(**changes) -> CoalitionData:
    """CoalitionData of DF with some columns replaced and options added."""
    opts = {k: changes.pop(k) for k in list(changes) if k.startswith("opt_")}
    df = DF.assign(**changes)
    kwargs = {"duration": "d", "event": "fell", "covariates": ["x"], "groups": ["g"],
              "time_unit": "days"}
    kwargs.update({k[4:]: v for k, v in opts.items()})
    return CoalitionData.from_frame(df, **kwargs)


DATA = _data()


def _write(ctx, name: str, content) -> Path:
    path = ctx["tmp"] / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _prior_file(ctx, name, doc):
    return PriorSet.load(_write(ctx, name, doc))


def _edited_fit(ctx, edit):
    """Copy of the saved fit file with ``edit(h5py_file)`` applied, then loaded."""
    import h5py

    path = ctx["tmp"] / f"edited_{len(list(ctx['tmp'].iterdir()))}.nc"
    shutil.copy(ctx["saved"], path)
    with h5py.File(path, "r+") as handle:
        edit(handle)
    return coalsurv.load_fit(path)


def _set_json(key, change):
    def edit(handle):
        doc = json.loads(handle.attrs[key])
        change(doc)
        handle.attrs[key] = json.dumps(doc)
    return edit


def _bump(handle, group, var, delta=0.5):
    values = handle[group][var][...]
    handle[group][var][...] = values + delta


def _truncated(ctx):
    raw = Path(ctx["saved"]).read_bytes()
    return coalsurv.load_fit(_write(ctx, "truncated.nc", raw[: len(raw) // 2]))


PR = {"schema": PRIOR_SCHEMA, "name": "p"}
MODEL = "[model]\nformula = 'breadth'\nfamily = 'weibull'\n"
TS = pd.Timestamp("2000-01-01")
MS = pd.DataFrame({"id": [1, 1, 2], "state": ["coalition", "alliance", "coalition"],
                   "start": [0.0, 2.0, 0.0], "stop": [2.0, 5.0, 3.0],
                   "to": ["alliance", "censored", "dissolution"]})
MSO = {"id": "id", "state": "state", "start": "start", "stop": "stop", "to": "to",
       "time_unit": "days"}

MB = pd.DataFrame({"id": np.repeat(DF.index, 2), "member": ["m0", "m1"] * 6,
                   "share": [0.6, 0.4, 0.5, 0.5, 0.3, 0.7, 0.9, 0.1, 0.2, 0.8, 0.5, 0.5],
                   "fin": [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.8, 0.7, 0.6, 0.1, 0.3, 0.2]})
MB.loc[MB.index % 3 == 2, "member"] = "m2"


#: Spells from each episode's entry (not from 0): enough for PH, not for AFT or cure models.
SP_FROM_ENTRY = pd.DataFrame({"id": list(DF.index), "start": DF["e"].to_numpy(),
                              "stop": DF["d"].to_numpy(), "s": [0.0, 1.0, 0.0, 1.0, 1.0, 0.0]})


def _mm(formula, members=MB):
    """Build an mm() model of DATA with a members table."""
    return SM(f"x + {formula}").build(_data(opt_members=members))


# (name, call(ctx), error class, pattern the message must match)
CASES = [
    # ---- data constructor: options and values
    ("time unit left out", lambda c: CoalitionData.from_frame(DF, duration="d", event="fell"),
     CoalitionDataError, r"time_unit= is required: the unit of the times"),
    ("not a frame", lambda c: CoalitionData.from_frame([1, 2], duration="d", event="fell",
                                                       time_unit="days"),
     CoalitionDataError, r"expects a pandas DataFrame.*list"),
    ("dates as duration", lambda c: _data(d=TS + pd.to_timedelta(DF.d, unit="D")),
     CoalitionDataError, r"column 'd': holds dates .*start= and end="),
    ("numbers as start date", lambda c: CoalitionData.from_frame(
        DF.assign(s=1990, t=1992), start="s", end="t", event="fell", time_unit="days"),
     CoalitionDataError, r"column 's': holds numbers, not dates"),
    ("spans as end date", lambda c: CoalitionData.from_frame(
        DF.assign(s="1990-01-01", t=pd.to_timedelta(DF.d, unit="D")), start="s", end="t",
        event="fell", time_unit="days"),
     CoalitionDataError, r"column 't': holds time spans \(Timedelta\), not dates"),
    ("dates as entry", lambda c: _data(e=TS + pd.to_timedelta(DF.e, unit="D"), opt_entry="e"),
     CoalitionDataError, r"column 'e': holds dates"),
    ("timedelta covariate", lambda c: _data(x=pd.to_timedelta(DF.x, unit="D")),
     CoalitionDataError, r"column 'x': holds time spans"),
    ("datetime covariate", lambda c: _data(x=TS + pd.to_timedelta(DF.x, unit="D")),
     CoalitionDataError, r"column 'x': holds dates"),
    ("huge covariate", lambda c: _data(x=[1e308, -1e308, 1, 2, 3, 4]),
     CoalitionDataError, r"covariate 'x': values too large to standardise.*'r0', 'r1'"),
    ("list cells", lambda c: _data(x=[[1], [2], [3], [4], [5], [6]]),
     CoalitionDataError, r"column 'x': expected numbers.*\[1\].*'r0'"),
    ("dict cells", lambda c: _data(x=[{"a": 1}] * 6),
     CoalitionDataError, r"column 'x': expected numbers.*\{'a': 1\}"),
    ("text durations", lambda c: _data(d=["3", "x", "7", "4", "9", "12"]),
     CoalitionDataError, r"column 'd': expected numbers.*'x'.*'r1'"),
    ("infinite duration", lambda c: _data(d=[3, np.inf, 7, 4, 9, 12]),
     CoalitionDataError, r"column 'd': infinite values.*'r1'"),
    ("negative duration", lambda c: _data(d=[3, -1, 7, 4, 9, 12]),
     CoalitionDataError, r"column 'd': durations must be > 0.*'r1'"),
    ("unknown time unit", lambda c: _data(opt_time_unit="weeks"),
     CoalitionDataError, r"time_unit='weeks' is unknown"),
    ("missing column", lambda c: _data(opt_duration="nope"),
     CoalitionDataError, r"column 'nope' \(duration=\) not found"),
    ("two roles", lambda c: _data(opt_entry="x"),
     CoalitionDataError, r"column 'x' is used in several roles"),
    ("event values 0/2", lambda c: _data(fell=[0, 2, 1, 0, 1, 1]),
     CoalitionDataError, r"column 'fell': numeric event values must be 0.*found 2"),
    ("mixed events", lambda c: _data(fell=["a", 1, "b", "a", "b", "a"]),
     CoalitionDataError, r"column 'fell': event values must be all cause labels"),
    ("censored as cause", lambda c: _data(opt_causes=["a", "censored"]),
     CoalitionDataError, r"causes=: 'censored' is the censored label"),
    ("unknown cause label", lambda c: _data(opt_causes=["a"]),
     CoalitionDataError, r"unknown cause labels \['b'\]"),
    ("entry after exit", lambda c: _data(e=[0, 30, 0, 0, 0, 0], opt_entry="e"),
     CoalitionDataError, r"column 'e': entry must be before the exit.*'r1'"),
    ("lower without upper", lambda c: _data(opt_lower="e"),
     CoalitionDataError, r"needs both lower= and upper="),
    ("constant covariate", lambda c: _data(x=[1.0] * 6),
     CoalitionDataError, r"covariate 'x' is constant"),
    ("missing values", lambda c: _data(x=[0.1, np.nan, 0.3, 0.4, 0.5, 0.6]),
     CoalitionDataError, r"column 'x': missing values \(NaN\) in.*'r1'.*dropna=True"),
    ("duplicate ids", lambda c: CoalitionData.from_frame(DF.set_axis(list("aabcde")),
                                                         duration="d", event="fell",
                                                         time_unit="days"),
     CoalitionDataError, r"duplicate ids 'a'"),
    ("reserved name", lambda c: CoalitionData.from_frame(DF.rename(columns={"x": "time"}),
                                                         duration="d", event="fell",
                                                         covariates=["time"], time_unit="days"),
     CoalitionDataError, r"column 'time': name is reserved"),
    ("with_covariates a list", lambda c: DATA.with_covariates([1, 2]),
     CoalitionDataError, r"with_covariates: expected a pandas DataFrame"),
    ("with_covariates bad key", lambda c: DATA.with_covariates(DF[["x"]], id="nope"),
     CoalitionDataError, r"key column 'nope' not found"),
    ("risk_table text", lambda c: DATA.risk_table(["a"]),
     ArgumentError, r"risk_table: times must be numbers"),
    ("risk_table negative", lambda c: DATA.risk_table([-1]),
     ArgumentError, r"risk_table: times must be finite and >= 0"),
    ("simulate n text", lambda c: coalsurv.simulate(n_coalitions="x"),
     ArgumentError, r"n_coalitions: expected an integer >= 2, got 'x'"),
    ("simulate share", lambda c: coalsurv.simulate(delayed_entry_share=2),
     ArgumentError, r"delayed_entry_share: expected a share in \[0, 1\]"),
    # ---- member and spell tables
    ("members as ints", lambda c: _data(opt_members=[1, 2]),
     CoalitionDataError, r"members=: expected a pandas DataFrame .*got list"),
    ("spells as number", lambda c: _data(opt_spells=5),
     CoalitionDataError, r"spells=: expected a pandas DataFrame .*got int"),
    ("members dicts lack column", lambda c: _data(opt_members=[{"id": "r0"}]),
     CoalitionDataError, r"members: missing columns \['member'\]"),
    ("members unknown ids", lambda c: _data(opt_members=[{"id": "zz", "member": "m"}]),
     CoalitionDataError, r"members: ids not in the episode table: 'zz'"),
    ("spells lack stop", lambda c: _data(opt_spells=pd.DataFrame({"id": ["r0"], "start": [0]})),
     CoalitionDataError, r"spells: missing columns \['stop'\]"),
    ("spells text start", lambda c: _data(opt_spells=[{"id": "r0", "start": "x", "stop": 3}]),
     CoalitionDataError, r"column 'spells.start': expected numbers"),
    # ---- multiple membership mm() (issue 21)
    ("mm without members table", lambda c: SM("x + mm(fin)").build(DATA),
     SpecError, r"mm\(\) needs a members table.*members="),
    ("mm bad centring", lambda c: SM("x + mm(fin, centring='both')"),
     SpecError, r"mm\(\): centring must be one of \['auto', 'centred', 'noncentred', 'rotation'\]"),
    ("mm unknown member column", lambda c: _mm("mm(nope)"),
     SpecError, r"column\(s\) \['nope'\] are not in the members table"),
    ("mm coalition without members", lambda c: _mm("mm(fin)", MB[MB.id != "r5"]),
     CoalitionDataError, r"coalitions without members: ids 'r5'"),
    ("mm missing member covariate", lambda c: _mm("mm(fin)", MB.assign(
        fin=np.where((MB.id == "r3") & (MB.member == "m1"), np.nan, MB.fin))),
     CoalitionDataError, r"members\.fin: missing values for \(coalition, member\).*r3.*m1"),
    ("mm zero share", lambda c: _mm("mm(fin, weights='power')", MB.assign(
        share=np.where(MB.id == "r0", [1.0, 0.0] * 6, MB.share))),
     CoalitionDataError, r"shares must be positive for weights='power'.*r0.*m1"),
    ("mm zero share, share weights", lambda c: _mm("mm(fin, weights='share')", MB.assign(
        share=np.where(MB.id == "r0", [1.0, 0.0] * 6, MB.share))),
     CoalitionDataError, r"shares must be positive for weights='share'.*r0.*m1"),
    ("mm share weights without share", lambda c: _mm("mm(fin, weights='share')",
                                                     MB.drop(columns="share")),
     SpecError, r"weights='share'\) needs a 'share' column"),
    ("mm power weights without share", lambda c: _mm("mm(1, weights='power')",
                                                     MB.drop(columns="share")),
     SpecError, r"weights='power'\) needs a 'share' column"),
    ("mm logistic weights without share", lambda c: _mm("mm(fin, weights='logistic')",
                                                        MB.drop(columns="share")),
     SpecError, r"weights='logistic'\) needs a 'share' column"),
    ("mm unknown weights", lambda c: SM("x + mm(fin, weights='votes')"),
     SpecError, r"unknown weights 'votes'; expected one of \['equal'"),
    ("mm unknown option", lambda c: SM("mm(fin, weight='share')"),
     SpecError, r"unknown option \"weight='share'\""),
    ("mm random not bool", lambda c: SM("mm(fin, random=maybe)"),
     SpecError, r"random must be True or False, got 'maybe'"),
    ("mm twice", lambda c: SM("mm(fin) + mm(fin2)"),
     SpecError, r"more than one mm\(\) term"),
    ("mm nothing", lambda c: SM("x + mm(1, random=False)"),
     SpecError, r"mm\(1, random=False\) models nothing"),
    ("mm text member covariate", lambda c: _mm("mm(fin)", MB.assign(fin="high")),
     CoalitionDataError, r"members\.fin"),
    ("mm constant member covariate", lambda c: _mm("mm(fin)", MB.assign(fin=1.0)),
     SpecError, r"member covariate\(s\) \['fin'\] are constant"),
    ("mm in cure formula", lambda c: SM("x", cure="mm(fin)"),
     SpecError, r"cure formula 'mm\(fin\)': group terms, mm\(\) and tve\(\)"),
    ("mm in shape formula", lambda c: SM("x", shape="mm(fin)"),
     SpecError, r"shape formula 'mm\(fin\)': group terms, mm\(\) and tve\(\)"),
    ("mm negative sd prior", lambda c: SM("x + mm(fin)", priors=PriorSet(
        {"mm_sd": coalsurv.Prior("Normal", mu=0, sigma=1)})).build(_data(opt_members=MB)),
     PriorError, r"prior 'mm_sd\[?.*must be positive"),
    # ---- covariate builders
    ("shares text", lambda c: power.herfindahl(["a", 0.5]),
     CoalitionDataError, r"shares: expected a flat sequence of numbers; found 'a'"),
    ("shares nested", lambda c: power.leader_share([[0.2, 0.3], [0.5]]),
     CoalitionDataError, r"shares: expected a flat sequence.*ragged or nested"),
    ("shares string", lambda c: power.leader_ratio("abc"),
     CoalitionDataError, r"shares: expected a sequence of numbers, got 'abc'"),
    ("weights text", lambda c: power.banzhaf([3, "two", 1]),
     CoalitionDataError, r"weights: expected a flat sequence of numbers; found"),
    ("shares negative", lambda c: power.herfindahl_normalized([0.5, -0.5, 1]),
     CoalitionDataError, r"shares: must be non-negative"),
    ("members not a table", lambda c: power.power_concentration([{"id": 1, "share": 1.0}]),
     CoalitionDataError, r"members must be a pandas DataFrame.*got list"),
    ("share column text", lambda c: power.power_concentration(
        pd.DataFrame({"id": [1, 1, 2], "share": ["a", 0.5, 1.0]})),
     CoalitionDataError, r"column 'share': missing or non-numeric share in coalitions 1"),
    ("bad quota", lambda c: power.power_concentration(
        pd.DataFrame({"id": [1, 1], "share": [0.4, 0.6]}), quota=2),
     CoalitionDataError, r"quota: expected None, 'majority' or a fraction"),
    # ---- model specs and family options
    ("causes=5", lambda c: SM("x", causes=5), SpecError, r"causes must be a cause label"),
    ("causes empty", lambda c: SM("x", causes=[]), SpecError, r"causes must be a list"),
    ("causes repeat", lambda c: SM("x", causes=["a", "a"]), SpecError, r"repeat a label"),
    ("unknown family", lambda c: SM("x", family="weibul"), SpecError, r"unknown family 'weibul'"),
    ("formula number", lambda c: ModelSpec(formula=5), SpecError, r"formula must be a str"),
    ("unknown option", lambda c: SM("x", family_options={"bogus": 1}),
     SpecError, r"unknown option 'bogus' for family 'weibull'; allowed options: "
                r"\['time_scale', 'tve_cuts', 'tve_knots', 'standardise', 'frailty_centring'\]"),
    ("unknown piecewise option", lambda c: SM("x", family="piecewise",
                                              family_options={"n_cuts": 3}),
     SpecError, r"'n_cuts'.*allowed options: \['time_scale', 'tve_cuts', 'tve_knots', "
                r"'standardise', 'frailty_centring', 'n_intervals', 'cuts'\]"),
    ("frailty_centring value", lambda c: SM("x", family_options={"frailty_centring": "on"}),
     SpecError, r"frailty_centring: expected one of \['auto', 'centred', 'noncentred'\]"),
    ("time_scale negative", lambda c: SM("x", family_options={"time_scale": -1}),
     SpecError, r"time_scale: expected a finite number > 0, got -1"),
    ("time_scale zero", lambda c: SM("x", family_options={"time_scale": 0}),
     SpecError, r"time_scale: .*got 0"),
    ("time_scale text", lambda c: SM("x", family_options={"time_scale": "12"}),
     SpecError, r"time_scale: .*got '12'"),
    ("time_scale nan", lambda c: SM("x", family_options={"time_scale": float("nan")}),
     SpecError, r"time_scale: .*got nan"),
    ("n_intervals text", lambda c: SM("x", family="piecewise",
                                      family_options={"n_intervals": "8"}),
     SpecError, r"n_intervals: expected an integer >= 1, got '8'"),
    ("n_intervals float", lambda c: SM("x", family="piecewise",
                                       family_options={"n_intervals": 2.5}),
     SpecError, r"n_intervals: .*got 2.5"),
    ("cuts text", lambda c: SM("x", family="piecewise", family_options={"cuts": ["a"]}),
     SpecError, r"cuts: expected a list of finite numbers > 0"),
    ("cuts decreasing", lambda c: SM("x", family="piecewise", family_options={"cuts": [6, 3]}),
     SpecError, r"cuts: must be strictly increasing"),
    ("cuts and n_intervals", lambda c: SM("x", family="piecewise",
                                          family_options={"cuts": [3], "n_intervals": 4}),
     SpecError, r"cuts= or n_intervals=, not both"),
    ("rp k negative", lambda c: SM("x", family="rp", family_options={"k": -1}),
     SpecError, r"k: expected an integer >= 0 \(the number of internal knots\), got -1"),
    ("rp k float", lambda c: SM("x", family="rp", family_options={"k": 1.5}),
     SpecError, r"k: expected an integer >= 0 .*got 1.5"),
    ("rp unknown scale", lambda c: SM("x", family="rp", family_options={"scale": "normal"}),
     SpecError, r"scale: expected 'hazard' .* or 'odds' .*got 'normal'"),
    ("rp k and knots", lambda c: SM("x", family="rp", family_options={"k": 1, "knots": [5]}),
     SpecError, r"give k= .* or knots=, not both"),
    ("rp bknots one", lambda c: SM("x", family="rp", family_options={"bknots": [2.0]}),
     SpecError, r"bknots: expected two boundary knots"),
    ("rp option of piecewise", lambda c: SM("x", family="rp", family_options={"cuts": [2.0]}),
     SpecError, r"unknown option 'cuts' for family 'rp'.*'k', 'knots', 'bknots', 'scale'"),
    ("rp too many knots", lambda c: SM("x", family="rp", family_options={"k": 4}).build(DATA),
     SpecError, r"k=4: 4 internal and 2 boundary knots need at least 6 distinct event "
                r"times; the data have 5"),
    ("rp knots outside follow-up", lambda c: SM("x", family="rp",
                                                family_options={"knots": [50.0]}).build(DATA),
     SpecError, r"knots: internal knots must lie strictly inside the boundary knots.*"
                r"knot 50.0 is outside \(3.00, 12.0\) \(data unit; the first and last event times"),
    ("rp shape formula", lambda c: SM("x", family="rp", shape="x"),
     SpecError, r"shape='x': family 'rp' has no shape parameter"),
    ("options not a table", lambda c: SM("x", family_options=[("time_scale", 1)]),
     SpecError, r"family_options must be a table"),
    ("tve df", lambda c: SM("tve(x, df=0)"), SpecError,
     r"tve\(x, df=0\): df must be an integer from 1 to 10 for type=\"bs\""),
    ("tve pw df", lambda c: SM("tve(x, type='pw', df=1)"), SpecError,
     r"df must be an integer from 2 to 20 for type=\"pw\" \(the number of intervals\)"),
    ("tve df not an integer", lambda c: SM("tve(x, df=2.5)"), SpecError,
     r"df must be an integer .* got '2.5'"),
    ("tve unknown type", lambda c: SM("tve(x, type='ns')"), SpecError,
     r"tve\(x, type='ns'\): type must be \"bs\" or \"pw\""),
    ("tve unquoted type", lambda c: SM("tve(x, type=pw)"), SpecError,
     r"type must be \"bs\" or \"pw\" \(a quoted string\), got 'pw'"),
    ("tve unknown basis", lambda c: SM("tve(x, basis='cr')"), SpecError,
     r"basis must be \"natural\" or \"bspline\""),
    ("tve basis of a piecewise effect", lambda c: SM("tve(x, type='pw', basis='natural')"),
     SpecError, r"basis= is an option of the smooth form"),
    ("tve option twice", lambda c: SM("tve(x, df=2, df=3)"), SpecError,
     r"option df is given twice"),
    ("tve unknown option", lambda c: SM("tve(x, knots=3)"), SpecError,
     r"unknown option 'knots=3'; the options are type="),
    ("tve_cuts of a smooth tve", lambda c: SM("tve(x)", family_options={
        "tve_cuts": {"x": [2.0, 5.0]}}), SpecError,
     r"tve_cuts\['x'\]: tve\(x\) is not a piecewise effect"),
    ("tve_knots of a piecewise tve", lambda c: SM("tve(x, type='pw')", family_options={
        "tve_knots": {"x": [2.0, 5.0]}}), SpecError,
     r"tve_knots\['x'\]: tve\(x\) is not a smooth effect"),
    ("tve_knots count", lambda c: SM("tve(x, df=3, basis='natural')", family_options={
        "tve_knots": {"x": [2.0, 5.0]}}), SpecError,
     r"tve_knots\['x'\]: 2 knot\(s\) given but .* takes 4"),
    ("tve df too large for the events", lambda c: SM("tve(x, df=10)").build(DATA), SpecError,
     r"tve\(x, df=10\): \d+ distinct event times cannot carry a spline with 10 degrees"),
    ("tve AFT", lambda c: SM("tve(x)", family="lognormal"), SpecError,
     r"tve\(\) needs a proportional-hazards family"),
    # issue 22 validation: each option's refusal names the option
    ("tve_knots beyond follow-up", lambda c: SM("tve(x, df=3, basis='natural')", family_options={
        "tve_knots": {"x": [3.0, 5.0, 9.0, 50.0]}}).build(DATA), SpecError,
     r"tve_knots\['x'\]: knot\(s\) 50(\.0)? lie beyond the longest follow-up \(20(\.0)?\)"),
    ("tve_knots span without events", lambda c: SM("tve(x, df=3, basis='natural')", family_options={
        "tve_knots": {"x": [0.5, 1.0, 5.0, 12.0]}}).build(DATA), SpecError,
     r"tve_knots\['x'\]: no episode ends between the knots 0.50* and 1(\.0+)?:"),
    ("tve on the rp odds scale", lambda c: SM("tve(x)", family="rp",
                                              family_options={"scale": "odds"}), SpecError,
     r"tve\(\) needs a proportional-hazards family.*'rp' is on the odds scale"),
    ("tve with cure", lambda c: SM("tve(x)", cure="x"), SpecError,
     r"cure= with tve\(\) terms in 'tve\(x\)' is not supported"),
    ("tve twice", lambda c: SM("tve(x) + tve(x, type='pw')"), SpecError,
     r"tve\(x\) appears twice"),
    ("rp bknots decreasing", lambda c: SM("x", family="rp",
                                          family_options={"bknots": [10.0, 2.0]}),
     SpecError, r"bknots: must be strictly increasing, got \[10.0, 2.0\]"),
    ("shape unknown column", lambda c: SM("x", family="weibull", shape="zz").build(DATA),
     SpecError, r"shape='zz': formula 'zz': unknown column\(s\) \['zz'\]"),
    ("shape for gompertz", lambda c: SM("x", family="gompertz", shape="x"), SpecError,
     r"shape='x': family 'gompertz' has no shape parameter"),
    ("cure_type without cure", lambda c: SM("x", cure_type="promotion"), SpecError,
     r"invalid cure options\n.*cure_type given without cure="),
    ("strata_parts shape of piecewise", lambda c: SM("x", family="piecewise", strata="g",
                                                      strata_parts=("shape",)), SpecError,
     r"strata_parts: family 'piecewise' has no shape parameter to stratify"),
    ("tve unknown column", lambda c: SM("tve(w) + x").build(DATA), SpecError,
     r"formula 'tve\(w\) \+ x': unknown column\(s\) \['w'\]"),
    ("spells AFT lack history", lambda c: SM("x + s", family="lognormal").build(
        _data(opt_entry="e", opt_spells=SP_FROM_ENTRY)), SpecError,
     r"covariates \['s'\]: family 'lognormal' is accelerated failure time.*\n.*episodes "
     r"'r1', 'r3', 'r5' enter after 0 but their first spell starts after 0"),
    ("spells cure lack history", lambda c: SM("x + s", cure="x").build(
        _data(opt_entry="e", opt_spells=SP_FROM_ENTRY)), SpecError,
     r"cure='x' mixes over the whole episode.*\n.*episodes 'r1', 'r3', 'r5'"),
    ("cure several causes", lambda c: SM("x", causes=["a", "b"], cure="x"), SpecError,
     r"cure= with several causes \['a', 'b'\]"),
    ("strata unknown", lambda c: SM("x", strata="zz").build(DATA), SpecError,
     r"strata='zz' is not a group column.*\['g'\]"),
    ("strata part unknown", lambda c: SM("x", strata="g", strata_parts=("scale",)), SpecError,
     r"invalid strata_parts\n.*unknown part 'scale'"),
    ("strata shape of exponential", lambda c: SM("x", family="exponential", strata="g",
                                                 strata_parts=("shape",)), SpecError,
     r"strata_parts: family 'exponential' has no shape parameter"),
    ("shape for exponential", lambda c: SM("x", family="exponential", shape="x"), SpecError,
     r"shape='x': family 'exponential' has no shape parameter"),
    ("cure link unknown", lambda c: SM("x", cure="1", cure_link="log"), SpecError,
     r"invalid cure options\n.*cure_link='log'"),
    ("cure type unknown", lambda c: SM("x", cure="1", cure_type="bounded"), SpecError,
     r"cure_type='bounded': expected one of \['mixture', 'promotion'\]"),
    ("no cure fraction", lambda c: c["fit"].cure_fraction(), SpecError,
     r"this model has no cure fraction"),
    ("no tve", lambda c: c["fit"].time_varying_effect("breadth", [1.0]), SpecError,
     r"no time-varying effect; write tve\(breadth\)"),
    ("average not bool", lambda c: c["fit"].survival([1.0], average=1), ArgumentError,
     r"average must be True or False, got 1"),
    ("formula syntax", lambda c: SM("x + (").build(DATA), SpecError, r"formula 'x \+ \('"),
    ("formula makes NaN", lambda c: SM("np.sqrt(x - 0.5)").build(DATA),
     SpecError, r"term 'np.sqrt\(x - 0.5\)': NaN or infinite values in .*'r3', 'r4'"),
    ("term overflows", lambda c: SM("I(x * 1e200)").build(DATA),
     SpecError, r"term\(s\) \['I\(x \* 1e\+200\)'\] have values too large"),
    ("linearly dependent terms", lambda c: SM("x + I(2 * x + 1)").build(DATA),
     SpecError, r"rank deficient.*\['x', 'I\(2 \* x \+ 1\)'\] are linearly dependent"),
    ("unknown formula column", lambda c: SM("nope").build(DATA),
     SpecError, r"unknown column\(s\) \['nope'\]"),
    ("group not a group column", lambda c: SM("x + (1 | x)").build(DATA),
     SpecError, r"grouping factor \['x'\] is not a group column"),
    # ---- fit() arguments
    ("target_accept text", lambda c: SM("x").fit(DATA, target_accept="high"),
     ArgumentError, r"target_accept: expected a number in \(0, 1\), got 'high'"),
    ("draws float", lambda c: SM("x").fit(DATA, draws=2.5),
     ArgumentError, r"draws must be an integer >= 1, got 2.5"),
    ("seed negative", lambda c: SM("x").fit(DATA, random_seed=-1),
     ArgumentError, r"random_seed must be an integer >= 0, got -1"),
    ("chains zero", lambda c: SM("x").fit(DATA, chains=0), ArgumentError, r"chains must be"),
    ("tune bool", lambda c: SM("x").fit(DATA, tune=True), ArgumentError, r"tune must be"),
    ("cores text", lambda c: SM("x").fit(DATA, cores="2"), ArgumentError, r"cores: expected"),
    ("progressbar text", lambda c: SM("x").fit(DATA, progressbar="yes"),
     ArgumentError, r"progressbar: expected True, False or None"),
    ("kernel unknown", lambda c: SM("x").fit(DATA, kernel="fast"),
     ArgumentError, r"kernel: expected 'auto' or 'pymc', got 'fast'"),
    ("several bad arguments", lambda c: SM("x").fit(DATA, draws=0, target_accept=1.5),
     ArgumentError, r"draws must be.*\n.*target_accept"),
    ("fit a DataFrame", lambda c: SM("x").fit(DF), SpecError, r"needs a CoalitionData"),
    # ---- prediction inputs
    ("times text", lambda c: c["fit"].survival(["six"]), ArgumentError, r"times must be.*'six'"),
    ("times negative", lambda c: c["fit"].survival([-1.0]), ArgumentError, r"times >= 0"),
    ("times nested", lambda c: c["fit"].hazard([[1, 2], [3]]), ArgumentError, r"times must be"),
    ("newdata NaN", lambda c: c["fit"].survival(
        [6.0], pd.DataFrame({"breadth": [0.2, np.nan, 0.5]}, index=["p", "q", "s"])),
     SpecError, r"column 'breadth': missing values \(NaN\) in 1 row \(id 'q'\)"),
    ("newdata NaN group", lambda c: c["fit"].median_lifespan(
        pd.DataFrame({"breadth": [0.2, 0.3], "group": ["G01", None]})),
     SpecError, r"column 'group': missing values"),
    ("newdata lacks column", lambda c: c["fit"].survival([6.0], pd.DataFrame({"b": [1.0]})),
     SpecError, r"missing column\(s\) \['breadth'\]"),
    ("newdata not a frame", lambda c: c["fit"].survival([6.0], [0.2, 0.3]),
     SpecError, r"newdata must be a pandas DataFrame, got list"),
    ("rmst horizon text", lambda c: c["fit"].rmst("x"), ArgumentError, r"horizon must be"),
    ("rmst horizon negative", lambda c: c["fit"].rmst(-1.0),
     ArgumentError, r"horizon must be a finite time > 0, got -1"),
    ("lifespan seed text", lambda c: c["fit"].predict_lifespans(random_seed="a"),
     ArgumentError, r"random_seed must be an integer >= 0, got 'a'"),
    ("newdata ragged dict", lambda c: c["fit"].survival([6.0], {"breadth": [1, 2], "y": [1]}),
     SpecError, r"newdata: this dict cannot be a table"),
    ("save to a number", lambda c: c["fit"].save(5),
     FitFileError, r"fit file: expected a path ending in .nc, got 5"),
    ("ci_prob 2", lambda c: c["fit"].survival([6.0], ci_prob=2), ArgumentError, r"ci_prob"),
    ("frailty mode", lambda c: c["fit"].survival([6.0], frailty="bogus"),
     SpecError, r"frailty='bogus'"),
    # ---- prior files
    ("prior bare number", lambda c: _prior_file(c, "n.json", "5"),
     PriorError, r"n.json': expected a table .*got int 5"),
    ("prior provenance", lambda c: _prior_file(c, "p.json", {**PR, "provenance": 5}),
     PriorError, r"p.json.*'provenance' must be a table, got int"),
    ("prior binary", lambda c: _prior_file(c, "b.toml", b"\x89PNG\r\n\x1a\n\xff\xfe\x00"),
     PriorError, r"b.toml' is not text \(UTF-8\)"),
    ("prior dist list", lambda c: _prior_file(
        c, "d.json", {**PR, "priors": {"beta": {"dist": ["Normal"]}}}),
     PriorError, r"d.json: prior 'beta': unknown distribution \['Normal'\]"),
    ("prior param text", lambda c: _prior_file(
        c, "t.json", {**PR, "priors": {"beta": {"dist": "Normal", "mu": "x", "sigma": 1}}}),
     PriorError, r"t.json: prior 'beta': parameter mu='x' is not a number"),
    ("prior sigma negative", lambda c: _prior_file(
        c, "s.json", {**PR, "priors": {"beta": {"dist": "Normal", "mu": 0, "sigma": -1}}}),
     PriorError, r"prior 'beta': parameter sigma=-1 must be > 0"),
    ("prior unknown key", lambda c: _prior_file(c, "k.json", {**PR, "colour": "red"}),
     PriorError, r"k.json: unknown key\(s\) \['colour'\]"),
    ("prior bad parameter key", lambda c: _prior_file(
        c, "pk.json", {**PR, "priors": {"bogus": {"dist": "Normal", "mu": 0, "sigma": 1}}}),
     PriorError, r"prior key 'bogus' is not a parameter"),
    ("prior schema", lambda c: _prior_file(c, "sc.json", {"schema": "x/1"}),
     PriorError, r"schema is 'x/1'; expected"),
    ("prior bad TOML", lambda c: _prior_file(c, "bad.toml", "[priors\n"),
     PriorError, r"bad.toml' cannot be parsed"),
    ("prior name number", lambda c: _prior_file(c, "nm.json", {**PR, "name": 3}),
     PriorError, r"'name' must be a str, got int"),
    ("prior table entry not a table", lambda c: _prior_file(
        c, "e.json", {**PR, "priors": {"beta": 1.0}}),
     PriorError, r"prior 'beta': expected a table with 'dist'"),
    # ---- model files
    ("model binary", lambda c: SM.load(_write(c, "m.toml", b"\xff\xfe\x00\x89")),
     SpecError, r"m.toml' is not text \(UTF-8\)"),
    ("spec binary", lambda c: ModelSpec.load(_write(c, "m2.toml", b"\xff\xfe\x00\x89")),
     SpecError, r"m2.toml' is not text"),
    ("model formula number", lambda c: SM.load(_write(c, "f.toml", "[model]\nformula = 5\n")),
     SpecError, r"f.toml: invalid model specification.*formula must be a str"),
    ("model priors number", lambda c: SM.load(_write(c, "pr.toml", "priors = 5\n" + MODEL)),
     SpecError, r"pr.toml': \[priors\] must be a table, got int"),
    ("model not a table", lambda c: SM.load(_write(c, "mt.toml", "model = 5\n")),
     SpecError, r"mt.toml: expected a table of model settings, got int"),
    ("model unknown key", lambda c: SM.load(_write(c, "uk.toml", MODEL + "colour = 1\n")),
     SpecError, r"uk.toml: unknown key\(s\) \['colour'\]"),
    ("model option", lambda c: SM.load(_write(
        c, "o.toml", MODEL + "family_options = {time_scale = -2}\n")),
     SpecError, r"o.toml: invalid family_options.*time_scale: .*got -2"),
    ("model causes number", lambda c: SM.load(_write(c, "c.toml", MODEL + "causes = 5\n")),
     SpecError, r"c.toml: causes must be"),
    ("model no [model]", lambda c: SM.load(_write(c, "nm.toml", "x = 1\n")),
     SpecError, r"missing \[model\] table"),
    ("model bad TOML", lambda c: SM.load(_write(c, "bt.toml", "[model\n")),
     SpecError, r"bt.toml' is not valid TOML"),
    # ---- fit files
    ("fit family edited", lambda c: _edited_fit(c, _set_json(
        "spec", lambda d: d.update(family="weibull_aft"))),
     FitFileError, r"altered after saving: spec differs"),
    ("fit time_scale x10", lambda c: _edited_fit(c, _set_json(
        "info", lambda d: d.update(time_scale=d["time_scale"] * 10))),
     FitFileError, r"altered after saving: info differs"),
    ("fit priors edited", lambda c: _edited_fit(c, _set_json(
        "priors", lambda d: d.update(name="other"))),
     FitFileError, r"altered after saving: priors differs"),
    ("fit command edited", lambda c: _edited_fit(
        c, lambda h: h.attrs.__setitem__("command", "edited")),
     FitFileError, r"command differs"),
    ("fit posterior edited", lambda c: _edited_fit(
        c, lambda h: _bump(h, "posterior", "intercept")),
     FitFileError, r"posterior differs"),
    ("fit sample_stats edited", lambda c: _edited_fit(
        c, lambda h: _bump(h, "sample_stats", "energy")),
     FitFileError, r"sample_stats differs"),
    ("fit log_likelihood edited", lambda c: _edited_fit(
        c, lambda h: _bump(h, "log_likelihood", next(iter(h["log_likelihood"].keys())))),
     FitFileError, r"log_likelihood differs"),
    ("fit data edited", lambda c: _edited_fit(c, lambda h: _bump(h, "coalsurv_data", "time")),
     FitFileError, r"coalsurv_data differs"),
    ("fit members edited", lambda c: _edited_fit(
        c, lambda h: _bump(h, "coalsurv_members", "share", 0.1)),
     FitFileError, r"coalsurv_members differs"),
    ("fit group removed", lambda c: _edited_fit(c, lambda h: h.__delitem__("sample_stats")),
     FitFileError, r"sample_stats \(missing\)"),
    ("fit digests edited", lambda c: _edited_fit(c, _set_json(
        "digests", lambda d: d.update({"record spec": "0" * 64}))),
     FitFileError, r"spec differs"),
    ("fit seal edited", lambda c: _edited_fit(c, lambda h: h.attrs.__setitem__("seal", "0")),
     FitFileError, r"seal does not match"),
    ("fit old schema", lambda c: _edited_fit(
        c, lambda h: h.attrs.__setitem__("schema", "coalsurv.fit/1")),
     FitFileError, r"older coalsurv \(schema 'coalsurv.fit/1'"),
    ("fit future schema", lambda c: _edited_fit(
        c, lambda h: h.attrs.__setitem__("schema", "coalsurv.fit/9")),
     FitFileError, r"newer coalsurv \(schema 'coalsurv.fit/9'\); upgrade"),
    ("fit truncated", _truncated, FitFileError, r"truncated.nc' is not a readable NetCDF"),
    ("fit text file", lambda c: coalsurv.load_fit(_write(c, "t.nc", "not a fit")),
     FitFileError, r"t.nc' is not a readable NetCDF"),
    ("fit missing", lambda c: coalsurv.load_fit(c["tmp"] / "absent.nc"),
     FitFileError, r"absent.nc' does not exist"),
    # ---- multi-state data and models (coalsurv.TransitionData, coalsurv.MultiStateModel)
    ("sojourn stop before start", lambda c: coalsurv.TransitionData.from_frame(
        MS.assign(stop=[2.0, 1.0, 3.0]), **MSO),
     CoalitionDataError, r"'stop' must be after 'start'.*id 1"),
    ("sojourn gap", lambda c: coalsurv.TransitionData.from_frame(
        MS.assign(start=[0.0, 2.5, 0.0]), **MSO),
     CoalitionDataError, r"a gap between sojourns.*ids 1"),
    ("sojourn to is not the next state", lambda c: coalsurv.TransitionData.from_frame(
        MS.assign(to=["community", "censored", "dissolution"]), **MSO),
     CoalitionDataError, r"'to' is not the next row's 'state'.*ids 1"),
    ("sojourn state column missing", lambda c: coalsurv.TransitionData.from_frame(
        MS, **{**MSO, "state": "phase"}),
     CoalitionDataError, r"state='phase': no such column"),
    ("undeclared transition", lambda c: coalsurv.TransitionData.from_frame(
        MS, **MSO, transitions=["coalition -> alliance", "alliance -> community"]),
     CoalitionDataError, r"'coalition -> dissolution' is observed.*not declared"),
    ("sojourn members of an unknown unit", lambda c: coalsurv.TransitionData.from_frame(
        MS, **MSO, members=pd.DataFrame({"id": [1, 7], "member": ["a", "b"]})),
     CoalitionDataError, r"members: ids not in the episode table: 7"),
    ("joint multi-state with mm()", lambda c: coalsurv.MultiStateModel(
        {"coalition -> alliance": "mm(1)", "alliance -> dissolution": "1"},
        frailty="(1 | country)"),
     SpecError, r"transition 'coalition -> alliance': mm\(\) members terms are not supported"),
    ("multi-state clock", lambda c: coalsurv.MultiStateModel({"coalition -> alliance": "1"},
                                                             clock="markov"),
     SpecError, r"clock='markov'"),
    ("multi-state shared frailty", lambda c: coalsurv.MultiStateModel(
        {"coalition -> alliance": "1"}, frailty="shared"),
     SpecError, r"frailty='shared'.*joint graph"),
    ("multi-state transition key", lambda c: coalsurv.MultiStateModel({"coalition": "1"}),
     SpecError, r"transition 'coalition'.*from_state -> to_state"),

]


@pytest.fixture(scope="module")
def ctx(tiny_fit, synthetic_small, tmp_path_factory):
    """The shared tiny fit, its saved file and a folder for malformed files."""
    fit = tiny_fit(synthetic_small, "breadth + (1 | group)")
    tmp = tmp_path_factory.mktemp("bad_input")
    return {"fit": fit, "saved": fit.save(tmp_path_factory.mktemp("saved") / "fit.nc"),
            "tmp": tmp}


def test_enough_malformed_inputs():
    assert len(CASES) >= 60
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("call", "error", "pattern"),
                         [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_malformed_input_is_refused_by_name(ctx, call, error, pattern):
    with _quiet():
        with pytest.raises(error) as info:
            call(ctx)
    message = str(info.value)
    assert re.search(pattern, message, re.S), message
    assert "\x1b" not in message, "ANSI colour codes in the message"


class _quiet:
    """Silence warnings of the tiny fit and of user transforms (np.sqrt of negatives)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_formula_syntax_error_has_no_colour_codes():
    with pytest.raises(SpecError) as info:
        SM("x +* 2").build(DATA)
    assert "\x1b" not in str(info.value) and "+*" in str(info.value)


# ------------------------------------------------------------------------- correct results
def test_timedelta_durations_are_converted_into_the_time_unit():
    spans = pd.to_timedelta(DF.d * 30.4375, unit="D")
    with pytest.warns(UserWarning, match=r"column 'd': Timedelta values converted to months"):
        data = _data(d=spans, opt_time_unit="months")
    np.testing.assert_allclose(data.time, DF.d.to_numpy())
    assert data.describe().time_unit == "months"
    assert "Timedelta values converted to months (1 month = 30.4375 days)" in str(
        data.describe())
    lo = pd.to_timedelta([np.nan, 2, np.nan, np.nan, np.nan, np.nan], unit="D")
    up = pd.to_timedelta([np.nan, 4, np.nan, np.nan, np.nan, np.nan], unit="D")
    with pytest.warns(UserWarning, match="column 'lo'"):
        data = CoalitionData.from_frame(
            DF.assign(lo=lo, up=up, fell=["a", "b", "b", "a", "b", "a"],
                      e=pd.to_timedelta(DF.e, unit="D")),
            duration="d", event="fell", lower="lo", upper="up", entry="e", covariates=[],
            time_unit="days")
    assert data.status[1] == 2 and (data.time[1], data.time_upper[1]) == (2.0, 4.0)
    np.testing.assert_allclose(data.entry, DF.e.to_numpy())


def test_tables_given_as_row_dicts_equal_the_frames():
    rows = [{"id": "r0", "member": "m1", "share": 0.4}, {"id": "r0", "member": "m2",
                                                          "share": 0.6}]
    assert _data(opt_members=rows).members.equals(_data(opt_members=pd.DataFrame(rows)).members)


def test_nan_in_newdata_never_shifts_rows(ctx):
    """Without the NaN row, the predictions of the other rows are unchanged (no shift)."""
    fit = ctx["fit"]
    good = pd.DataFrame({"breadth": [0.2, 0.5, 0.8]}, index=["p", "q", "s"])
    out = fit.survival([6.0], good)
    assert list(out["row"]) == ["p", "q", "s"]
    assert out["mean"].is_monotonic_decreasing or out["mean"].is_monotonic_increasing


def test_unknown_group_level_is_marginal_as_documented(ctx):
    fit = ctx["fit"]
    new = pd.DataFrame({"breadth": [0.5], "group": ["never seen"]})
    marginal = fit.survival([6.0], new[["breadth"]], frailty="marginal")
    unseen = fit.survival([6.0], new)
    np.testing.assert_allclose(unseen["mean"], marginal["mean"])


# ------------------------------------------------------------------------- command line
CSV = "duration,event,breadth,group\n3,a,0.1,x\n5,cens,0.4,y\n7,b,0.2,x\n7,b,0.2,x\n9,a,0.9,y\n"


def _cli(tmp_path, capsys, *argv):
    from coalsurv.cli import main

    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


CLI = [
    ("censored label absent", ["data", "check", "{csv}", "--duration", "duration", "--event",
                               "event", "--time-unit", "days"],
     r"--censored 'censored' does not occur in column 'event'; labels found: "
     r"\['a', 'b', 'cens'\]"),
    ("no time unit", ["data", "check", "{csv}", "--duration", "duration", "--event", "event",
                      "--censored", "cens"], r"give --time-unit"),
    ("duplicate rows", ["data", "check", "{csv}", "--duration", "duration", "--event", "event",
                        "--censored", "cens", "--time-unit", "days"],
     r"identical rows 4, 5: each coalition must appear once"),
    ("unit clashes with model file", ["fit", "{csv}", "--model", "{model_months}", "-o",
                                      "{out}", "--duration", "duration", "--event", "event",
                                      "--censored", "cens", "--time-unit", "days"],
     r"--time-unit days disagrees with model file .*which says months"),
    ("prior file binary", ["priors", "check", "{binary}"], r"is not text \(UTF-8\)"),
    ("prior file number", ["priors", "show", "{number}"], r"expected a table"),
    ("model file binary", ["fit", "{csv}", "--model", "{binary}", "-o", "{out}", "--duration",
                           "duration", "--event", "event", "--time-unit", "days"],
     r"is not text \(UTF-8\)"),
    ("fit file tampered", ["report", "{tampered}", "-o", "{pdf}"], r"altered after saving"),
    ("draws zero", ["fit", "{csv}", "--model", "{binary}", "-o", "{out}", "--duration",
                    "duration", "--event", "event", "--draws", "0"], r"--draws"),
]


@pytest.mark.parametrize(("argv", "pattern"), [pytest.param(*r[1:], id=r[0]) for r in CLI])
def test_malformed_command_line_exits_2_with_one_named_problem(ctx, tmp_path, capsys, argv,
                                                               pattern):
    import h5py

    files = {"csv": tmp_path / "c.csv", "binary": tmp_path / "bin.toml",
             "number": tmp_path / "n.json", "model_months": tmp_path / "m.toml",
             "out": tmp_path / "o.nc", "tampered": tmp_path / "t.nc", "pdf": tmp_path / "r.pdf"}
    files["csv"].write_text(CSV)
    files["binary"].write_bytes(b"\xff\xfe\x00\x89PNG")
    files["number"].write_text("5")
    files["model_months"].write_text(MODEL + "[data]\ntime_unit = 'months'\n")
    shutil.copy(ctx["saved"], files["tampered"])
    with h5py.File(files["tampered"], "r+") as handle:
        handle.attrs["created"] = "yesterday"
    code, err = _cli(tmp_path, capsys, *(a.format(**files) for a in argv))
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err
    assert re.search(pattern, err, re.S), err


def test_data_check_without_id_names_rows_by_file_line(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("duration,event\n3,a\n-5,cens\n7,b\n")
    code, err = _cli(tmp_path, capsys, "data", "check", path, "--duration", "duration",
                     "--event", "event", "--censored", "cens", "--time-unit", "days")
    assert code == 2 and "in 1 row (id 3)" in err, err  # line 3 of the file, not position 1


def test_time_unit_from_the_model_file_is_stated(ctx, tmp_path, capsys):
    from coalsurv.cli.io import resolve_time_unit

    model = tmp_path / "m.toml"
    model.write_text(MODEL + "[data]\ntime_unit = 'years'\n")
    args = type("A", (), {"data": str(tmp_path / "x.csv"), "time_unit": None})()
    assert resolve_time_unit(args, model_path=model) == "years"
    assert "model file" in args.time_unit_source


def test_every_error_is_a_coalsurv_error():
    """The classes used above share the root, so callers can catch one class."""
    for cls in (ArgumentError, CoalitionDataError, FitFileError, PriorError, SpecError):
        assert issubclass(cls, CoalsurvError)


def test_an_unused_entry_column_is_not_silent(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("duration,event,entry\n3,a,1\n5,censored,0\n7,b,2\n")
    code, _ = _cli(tmp_path, capsys, "data", "check", path, "--duration", "duration",
                   "--event", "event", "--time-unit", "days")
    # _cli consumed the output; run again to read standard output
    from coalsurv.cli import main

    assert main(["data", "check", str(path), "--duration", "duration", "--event", "event",
                 "--time-unit", "days"]) == 0
    out = capsys.readouterr().out
    assert code == 0 and "column 'entry' is not used; pass --entry entry" in out
    assert "time unit: days (--time-unit)" in out
