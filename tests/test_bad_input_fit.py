"""Bad input at the boundaries of single fits: one coalsurv error that names the problem.

Issue 20 ("no silent wrong answers in the newer parts"), for ``SurvivalModel`` and ``Fit``:
durations the model's float64 arithmetic cannot represent, newdata with repeated index labels
(every prediction that takes newdata), times given as dates or time spans, tve cut points
outside the follow-up, a frailty confounded with the strata, ``tve()`` of an expression, and
the prediction options around them. Each row: a call, the error class, and a pattern that
names the key, column or row concerned. Three tiny fits are shared: the bad-input fit of
``tests/test_bad_input.py`` (frailty by group), a ``tve()`` fit and a cure fit.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv import CoalitionData
from coalsurv.errors import ArgumentError, CoalitionDataError, CoalsurvError, SpecError

SM = coalsurv.SurvivalModel
DF = pd.DataFrame(
    {"d": [3.0, 20.0, 7.5, 4.0, 9.0, 12.0], "fell": ["a", "censored", "b", "a", "b", "a"],
     "x": [0.6, 0.7, 0.8, 0.1, 0.3, 0.5], "g": ["u", "v", "u", "v", "u", "v"],
     "lo": np.nan, "up": np.nan},
    index=pd.Index([f"r{i}" for i in range(6)]),
)


def _data(**changes) -> CoalitionData:
    """CoalitionData of DF with some columns replaced and options added (``opt_`` prefix)."""
    opts = {k[4:]: changes.pop(k) for k in list(changes) if k.startswith("opt_")}
    kwargs = {"duration": "d", "event": "fell", "covariates": ["x"], "groups": ["g"],
              "time_unit": "days", **opts}
    return CoalitionData.from_frame(DF.assign(**changes), **kwargs)


DATA = _data()
#: A second grouping column with the same partition as g: a frailty on it is one per stratum.
DATA_H = _data(h=DF.g.str.upper(), opt_groups=["g", "h"])
ND = pd.DataFrame({"breadth": [0.2, 0.8]})
DUP = ND.set_axis([0, 0])
TS = pd.Timestamp("2000-01-01")
HUGE = [3.0, 1e300, 7.5, 4.0, 9.0, 12.0]


def _at(row: int, value: float, base=None) -> list[float]:
    out = list(DF.d if base is None else base)
    out[row] = value
    return out


# (name, call(ctx), error class, pattern naming the key / column / row)
CASES = [
    # ---- durations the float64 arithmetic cannot represent (data/timescale.py)
    ("duration 1e300", lambda c: _data(d=HUGE), CoalitionDataError,
     r"column 'd': values over 1e\+12 times the median follow-up .*ratio .*id 'r1'"),
    ("duration 1e-307", lambda c: _data(d=_at(3, 1e-307)), CoalitionDataError,
     r"column 'd': values under 2.23e-308 \(subnormal\) times the median follow-up.*id 'r3'"),
    ("subnormal duration", lambda c: _data(d=_at(4, 5e-324)), CoalitionDataError,
     r"column 'd': values under 2.23e-308 \(subnormal\) .*id 'r4'"),
    ("interval upper bound 1e200", lambda c: _data(
        fell=["a", "b", "b", "a", "b", "a"], lo=[np.nan, 2.0] + [np.nan] * 4,
        up=[np.nan, 1e200] + [np.nan] * 4, opt_lower="lo", opt_upper="up"),
     CoalitionDataError, r"column 'up': values over 1e\+12 .*id 'r1'"),
    ("time_scale makes durations extreme", lambda c: SM(
        "x", family_options={"time_scale": 1e-12}).build(DATA), CoalitionDataError,
     r"durations \(exit times\): values over 1e\+12 times family_options time_scale"),
    # ---- model specs: tve(), tve cuts, strata with a frailty
    ("tve of a categorical", lambda c: SM("tve(C(g))"), SpecError,
     r"tve\(C\(g\)\): tve\(\) takes the name of one numeric covariate.*indicator"),
    ("tve of an expression", lambda c: SM("x + tve(np.log(x), df=3)"), SpecError,
     r"tve\(np.log\(x\), df=3\): tve\(\) takes the name"),
    ("tve cut beyond follow-up", lambda c: SM(
        "tve(x, type='pw', df=2)", family_options={"tve_cuts": {"x": [500.0]}}).build(DATA),
     SpecError,
     r"tve_cuts\['x'\]: cut 500 is at or beyond the longest follow-up \(20"),
    ("tve intervals without events", lambda c: SM(
        "tve(x, type='pw', df=3)", family_options={"tve_cuts": {"x": [1.0, 2.0]}}).build(DATA),
     SpecError,
     r"tve_cuts\['x'\]: interval 1 of 3, \(0, 1[.0]*\], has 0 events: the effect of 'x'"),
    ("tve last interval empty", lambda c: SM(
        "tve(x, type='pw', df=2)", family_options={"tve_cuts": {"x": [15.0]}}).build(DATA),
     SpecError,
     r"interval 2 of 2, \(15[.0]*, ∞\), has 0 events"),
    ("strata and frailty on one factor", lambda c: SM("x + (1 | g)", strata="g").build(DATA),
     SpecError, r"\(1 \| g\) with strata='g': the same factor.*confounded"),
    ("frailty constant within strata", lambda c: SM("x + (1 | h)", strata="g").build(DATA_H),
     SpecError, r"\(1 \| h\) with strata='g': each stratum lies within one level of 'h'"),
    # ---- newdata with repeated index labels, for every prediction that takes newdata
    ("forest scale unknown", lambda c: c["fit"].plot_forest(scale="bogus"), ArgumentError,
     r"scale: expected 'per SD', 'per unit' or 'all', got 'bogus'"),
    ("survival repeated labels", lambda c: c["fit"].survival([6.0], DUP), ArgumentError,
     r"newdata: repeated index labels \[0\]"),
    ("hazard repeated labels", lambda c: c["fit"].hazard([6.0], DUP), ArgumentError,
     r"repeated index labels \[0\]"),
    ("incidence repeated labels", lambda c: c["fit"].cumulative_incidence([6.0], DUP),
     ArgumentError, r"repeated index labels \[0\]"),
    ("average repeated labels", lambda c: c["fit"].survival([6.0], DUP, average=True),
     ArgumentError, r"repeated index labels \[0\]"),
    ("median repeated labels", lambda c: c["fit"].median_lifespan(
        ND.set_axis(["p", "p"])), ArgumentError, r"repeated index labels \['p'\]"),
    ("rmst repeated labels", lambda c: c["fit"].rmst(12.0, DUP), ArgumentError,
     r"repeated index labels \[0\]"),
    ("contrast repeated labels", lambda c: c["fit"].contrast("breadth", (0.2, 0.8),
                                                             newdata=DUP),
     ArgumentError, r"repeated index labels \[0\]"),
    ("lifespans repeated labels", lambda c: c["fit"].predict_lifespans(DUP), ArgumentError,
     r"repeated index labels \[0\]"),
    ("cure fraction repeated labels", lambda c: c["cure"].cure_fraction(DUP), ArgumentError,
     r"repeated index labels \[0\]"),
    ("newdata two-level row index", lambda c: c["fit"].survival([6.0], ND.set_axis(
        pd.MultiIndex.from_tuples([("a", 1), ("a", 2)], names=["party", "k"]))),
     ArgumentError, r"newdata: a row index of 2 levels \['party', 'k'\]"),
    ("effect n text", lambda c: c["fit"].effect("breadth", n="5"), ArgumentError,
     r"effect: n must be an integer >= 2, got '5'"),
    ("effect max_draws text", lambda c: c["fit"].effect_contrasts("breadth", max_draws="x"),
     ArgumentError, r"effect: max_draws must be an integer >= 1, got 'x'"),
    ("empty newdata", lambda c: c["fit"].survival([6.0], ND.iloc[:0]), ArgumentError,
     r"newdata has no rows \(columns \['breadth'\]\)"),
    # ---- newdata contents
    ("newdata text covariate", lambda c: c["fit"].survival(
        [6.0], pd.DataFrame({"breadth": [0.2, "wide"]}, index=["p", "q"])), SpecError,
     r"column 'breadth': expected numbers \(a covariate\), found 'wide' in 1 row \(id 'q'\)"),
    ("newdata date covariate", lambda c: c["fit"].hazard(
        [6.0], pd.DataFrame({"breadth": [TS, TS]})), SpecError,
     r"column 'breadth': holds dates"),
    ("newdata misspelt group", lambda c: c["fit"].survival(
        [6.0], ND.assign(Group="G01")), SpecError,
     r"column 'group' \(a grouping factor of the model\) is absent but 'Group' is there"),
    ("newdata lacks covariate", lambda c: c["fit"].median_lifespan(
        pd.DataFrame({"power": [0.2]})), SpecError, r"missing column\(s\) \['breadth'\]"),
    ("newdata NaN in rmst", lambda c: c["fit"].rmst(12.0, pd.DataFrame(
        {"breadth": [0.2, np.nan]}, index=["p", "q"])), SpecError,
     r"column 'breadth': missing values \(NaN\) in 1 row \(id 'q'\)"),
    ("cure newdata not a frame", lambda c: c["cure"].cure_fraction([0.2]), SpecError,
     r"newdata must be a pandas DataFrame, got list"),
    # ---- times: dates, spans, text, booleans
    ("survival dates", lambda c: c["fit"].survival([TS], ND), ArgumentError,
     r"times: got dates .*Timestamp"),
    ("hazard date index", lambda c: c["fit"].hazard(pd.date_range("2000", periods=2), ND),
     ArgumentError, r"times: got dates .*DatetimeIndex"),
    ("incidence datetime64", lambda c: c["fit"].cumulative_incidence(
        np.array(["2000-01-01"], dtype="datetime64[D]"), ND), ArgumentError,
     r"times: got dates"),
    ("tve effect dates", lambda c: c["tve"].time_varying_effect("breadth", [TS]),
     ArgumentError, r"times: got dates"),
    ("rmst horizon a date", lambda c: c["fit"].rmst(TS, ND), ArgumentError,
     r"horizon must be a finite time > 0, got Timestamp"),
    ("rmst negative span", lambda c: c["fit"].rmst(pd.Timedelta(days=-5), ND), ArgumentError,
     r"horizon must be .*>= 0"),
    ("times text", lambda c: c["fit"].survival("5", ND), ArgumentError,
     r"times must be .*got text in '5'"),
    ("times booleans", lambda c: c["fit"].hazard([True, False], ND), ArgumentError,
     r"times must be .*got True/False"),
    ("times overflow", lambda c: c["fit"].survival([10 ** 400], ND), ArgumentError,
     r"times must be a non-empty 1-D sequence of finite times"),
    ("times mixed spans and numbers", lambda c: c["fit"].survival(
        [1.0, pd.Timedelta(days=3)], ND), ArgumentError, r"times: mixes time spans"),
    ("tve effect negative times", lambda c: c["tve"].time_varying_effect("breadth", [-1.0]),
     ArgumentError, r"times must be .*got \[-1.0\]"),
    # ---- options
    ("summary text", lambda c: c["fit"].survival([6.0], ND, summary="no"), ArgumentError,
     r"summary must be True or False, got 'no'"),
    ("cure summary text", lambda c: c["cure"].cure_fraction(ND, summary="no"),
     ArgumentError, r"summary must be True or False, got 'no'"),
    ("average text", lambda c: c["fit"].hazard([6.0], ND, average="yes"), ArgumentError,
     r"average must be True or False, got 'yes'"),
    ("ci_prob text", lambda c: c["fit"].cumulative_incidence([6.0], ND, ci_prob="0.9"),
     ArgumentError, r"ci_prob must be a probability in \(0, 1\), got '0.9'"),
    ("tve ci_prob", lambda c: c["tve"].time_varying_effect("breadth", [3.0], ci_prob=1.5),
     ArgumentError, r"ci_prob .*got 1.5"),
    ("frailty number", lambda c: c["fit"].median_lifespan(ND, frailty=1), SpecError,
     r"frailty=1; expected one of"),
    ("tve per unknown", lambda c: c["tve"].time_varying_effect("breadth", [3.0], per="year"),
     ArgumentError, r"per='year'; expected 'unit'"),
    ("tve cause unknown", lambda c: c["tve"].time_varying_effect("breadth", [3.0],
                                                                  cause="war"),
     ArgumentError, r"cause='war' is not a modelled cause"),
    ("tve unknown term", lambda c: c["tve"].time_varying_effect("zz", [3.0]), SpecError,
     r"'zz' is not a term of the model"),
    ("tve effect of a plain term", lambda c: c["tve"].time_varying_effect("power_hhi", [3.0]),
     SpecError, r"'power_hhi' has no time-varying effect; terms with one: \['breadth'\]"),
    ("no cure fraction", lambda c: c["fit"].cure_fraction(ND), SpecError,
     r"this model has no cure fraction"),
    ("lifespans seed bool", lambda c: c["fit"].predict_lifespans(ND, random_seed=True),
     ArgumentError, r"random_seed must be an integer >= 0, got True"),
    # ---- contrast
    ("contrast three values", lambda c: c["fit"].contrast("breadth", (0.1, 0.5, 0.9)),
     ArgumentError, r"values must be two finite numbers \(from, to\) for 'breadth'"),
    ("contrast text values", lambda c: c["fit"].contrast("breadth", ("low", "high")),
     ArgumentError, r"values must be two finite numbers .*'low'"),
    ("contrast quantity", lambda c: c["fit"].contrast("breadth", (0.2, 0.8), quantity="mean"),
     ArgumentError, r"quantity='mean'; expected 'median', 'rmst' or 'survival'"),
    ("contrast rmst without times", lambda c: c["fit"].contrast(
        "breadth", (0.2, 0.8), quantity="rmst"), ArgumentError, r"needs times=\[horizon\]"),
    ("contrast negative horizon", lambda c: c["fit"].contrast(
        "breadth", (0.2, 0.8), quantity="rmst", times=[-5.0]), ArgumentError,
     r"times must be .*got \[-5.0\]"),
    ("contrast survival dates", lambda c: c["fit"].contrast(
        "breadth", (0.2, 0.8), quantity="survival", times=[TS]), ArgumentError,
     r"times: got dates"),
    ("contrast of a group column", lambda c: c["fit"].contrast(
        "group", (0.2, 0.8), newdata=ND.assign(group="G01")), SpecError,
     r"contrast: 'group' is not a covariate of the fitting data"),
]


@pytest.fixture(scope="module")
def ctx(tiny_fit, synthetic_small):
    """The shared bad-input fit, a tiny tve() fit and a tiny cure fit."""
    small = {"draws": 100, "tune": 100, "chains": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cure = SM("breadth", family="weibull", cure="breadth").fit(
            synthetic_small, random_seed=3, progressbar=False, **small)
    return {"fit": tiny_fit(synthetic_small, "breadth + (1 | group)"),
            "tve": tiny_fit(synthetic_small, "tve(breadth, df=2) + power_hhi", **small),
            "cure": cure}


def test_enough_bad_inputs():
    assert len(CASES) >= 45
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("call", "error", "pattern"),
                         [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_bad_input_is_refused_by_name(ctx, call, error, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call(ctx)
    message = str(info.value)
    assert isinstance(info.value, CoalsurvError)
    assert re.search(pattern, message, re.S), message


# ------------------------------------------------------------------------- correct results
def test_time_spans_are_read_in_the_data_unit(ctx):
    """A Timedelta of six months gives the prediction at 6 (the fit is in months)."""
    fit = ctx["fit"]
    six = pd.Timedelta(seconds=int(6 * 30.4375 * 86400))
    expected = fit.survival([6.0], ND)["mean"].to_numpy()
    for times in ([six], pd.TimedeltaIndex([six]), np.array([six.to_timedelta64()])):
        np.testing.assert_allclose(fit.survival(times, ND)["mean"], expected)
    np.testing.assert_allclose(fit.hazard([six], ND)["mean"], fit.hazard([6.0], ND)["mean"])
    np.testing.assert_allclose(fit.rmst(six, ND)["mean"], fit.rmst(6.0, ND)["mean"])
    tve = ctx["tve"]
    np.testing.assert_allclose(tve.time_varying_effect("breadth", [six])["mean"],
                               tve.time_varying_effect("breadth", [6.0])["mean"])


def test_unique_labels_keep_each_profile_on_its_row(ctx):
    """Two profiles give two rows each carrying its own covariates (not every combination)."""
    out = ctx["fit"].survival([6.0], ND.set_axis(["narrow", "wide"]))
    assert list(out["row"]) == ["narrow", "wide"]
    assert list(out["breadth"]) == [0.2, 0.8]


def test_numpy_ci_prob_is_a_probability(ctx):
    fit = ctx["fit"]
    out = fit.survival([6.0], ND, ci_prob=np.float32(0.9))
    np.testing.assert_allclose(out["upper"], fit.survival([6.0], ND, ci_prob=0.9)["upper"])
    with pytest.raises(ArgumentError, match="ci_prob"):
        fit.survival([6.0], ND, ci_prob=np.bool_(True))


def test_numbers_stored_as_objects_are_numbers(ctx):
    fit = ctx["fit"]
    np.testing.assert_allclose(fit.survival([6.0], ND.astype(object))["mean"],
                               fit.survival([6.0], ND)["mean"])


def test_durations_within_the_limits_are_kept():
    data = _data(d=_at(1, 3e12))  # 3.6e11 x the median 8.25: within the limit
    assert data.time.max() == 3e12
    assert _data(d=_at(1, 1e-300)).time.min() == 1e-300  # tiny, but a normal t / scale
    entry = _data(e=[0.0, 5e-324, 0.0, 0.0, 0.0, 0.0], opt_entry="e")  # subnormal entry: harmless
    assert entry.entry[1] == 5e-324


def test_models_pinned_for_calibration_keep_intervals_without_events():
    """SBC fits every simulated data set with the template's cuts: prior-only steps stay."""
    from coalsurv.spec.priors import PriorSet

    options = {"tve_cuts": {"x": [1.0, 2.0]}}
    pinned = PriorSet(provenance={"pinned_for": "simulation-based calibration"})
    _, _, info, _ = SM("tve(x, type='pw', df=3)", family_options=options, priors=pinned).build(DATA)
    np.testing.assert_allclose(np.asarray(info.tve["x"]) * info.time_scale, [1.0, 2.0])
    with pytest.raises(SpecError, match="interval 1 of 3"):
        SM("tve(x, type='pw', df=3)", family_options=options).build(DATA)
