"""Property-based tests (hypothesis, fixed budget) of the data layer and the spec/prior files.

Random valid episode tables construct and round-trip through ``to_frame`` /
``from_canonical`` with the same ``data_hash``; random invalid ones raise
:class:`~coalsurv.errors.CoalitionDataError` and never another exception. Random model specs
and prior sets survive their TOML and JSON round trips.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coalsurv import CoalitionData
from coalsurv.errors import CoalitionDataError, CoalsurvError
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import Prior, PriorSet

BUDGET = settings(max_examples=50, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CAUSES = ("collapse", "election", "merger")
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def episode_tables(draw):
    """A valid episode table and its from_frame options."""
    n = draw(st.integers(min_value=2, max_value=25))
    duration = draw(st.lists(positive, min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(("censored",) + CAUSES), min_size=n, max_size=n))
    if all(e == "censored" for e in events):
        events[0] = CAUSES[0]
    x = draw(st.lists(finite, min_size=n, max_size=n, unique=True))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    share = draw(st.lists(st.floats(0, 0.99), min_size=n, max_size=n))
    entry = [d * s for d, s in zip(duration, share, strict=True)]
    unit = draw(st.sampled_from(["days", "months", "years"]))
    ids = draw(st.one_of(
        st.just(list(range(n))),
        st.lists(st.text("abcxyz0123", min_size=1, max_size=5), min_size=n, max_size=n,
                 unique=True)))
    frame = pd.DataFrame({"dur": duration, "ev": events, "x": x, "grp": groups, "ent": entry},
                         index=pd.Index(ids))
    options = {"duration": "dur", "event": "ev", "entry": "ent", "groups": ["grp"],
               "covariates": ["x"], "time_unit": unit}
    return frame, options


@BUDGET
@given(episode_tables())
def test_valid_tables_construct_and_round_trip(table):
    frame, options = table
    data = CoalitionData.from_frame(frame, **options)
    assert data.n == len(frame) and data.time_unit == options["time_unit"]
    np.testing.assert_allclose(data.time, frame["dur"].to_numpy())
    again = CoalitionData.from_canonical(
        data.to_frame(), time_unit=data.time_unit, causes=data.causes,
        censored=data.censored_label, group_names=data.group_names,
        covariate_names=data.covariate_names)
    assert again.data_hash() == data.data_hash()
    assert again == data


def _break(frame: pd.DataFrame, how: str, row: int) -> pd.DataFrame:
    """Make one cell of ``frame`` invalid in the way ``how`` names."""
    bad = frame.astype({"dur": object, "x": object, "ev": object, "ent": object}).copy()
    col, value = {
        "negative duration": ("dur", -1.0),
        "zero duration": ("dur", 0.0),
        "text duration": ("dur", "soon"),
        "infinite duration": ("dur", np.inf),
        "list covariate": ("x", [1, 2]),
        "dict covariate": ("x", {"k": 1}),
        "missing covariate": ("x", np.nan),
        "date covariate": ("x", pd.Timestamp("2001-01-01")),
        "numeric event": ("ev", 7),
        "missing event": ("ev", None),
        "entry after exit": ("ent", 1e9),
        "negative entry": ("ent", -3.0),
        "text entry": ("ent", "early"),
    }[how]
    bad.iat[row, bad.columns.get_loc(col)] = value
    return bad


BREAKS = ["negative duration", "zero duration", "text duration", "infinite duration",
          "list covariate", "dict covariate", "missing covariate", "date covariate",
          "numeric event", "missing event", "entry after exit", "negative entry", "text entry"]


@BUDGET
@given(episode_tables(), st.sampled_from(BREAKS), st.data())
def test_invalid_tables_raise_only_coalition_data_errors(table, how, data):
    frame, options = table
    row = data.draw(st.integers(min_value=0, max_value=len(frame) - 1))
    bad = _break(frame, how, row)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CoalitionData.from_frame(bad, **options)
    except CoalitionDataError as exc:
        assert exc.problems, "every data error lists its problems"
        assert "\x1b" not in str(exc)
        return
    raise AssertionError(f"{how} in row {row} was accepted")


@BUDGET
@given(st.dictionaries(st.sampled_from(["dur", "ev", "x", "ent", "grp", "time_unit", "id"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=4), finite,
                                 st.lists(st.integers(), max_size=2)), max_size=4),
       episode_tables())
def test_random_options_raise_only_coalition_data_errors(changes, table):
    """Options pointing at wrong columns or of wrong types never give a library traceback."""
    frame, options = table
    keys = {"dur": "duration", "ev": "event", "x": "covariates", "ent": "entry",
            "grp": "groups", "time_unit": "time_unit", "id": "id"}
    opts = dict(options)
    for key, value in changes.items():
        opts[keys[key]] = value
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CoalitionData.from_frame(frame, **opts)
    except CoalsurvError:
        pass


# ------------------------------------------------------------------ spec and prior round trips
names = st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(
    lambda s: s[0] != "_" and s not in ("C", "I", "np", "log", "exp"))


@st.composite
def specs(draw):
    terms = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    formula = " + ".join(terms)
    if draw(st.booleans()):
        formula += f" + (1 | {draw(names)}_g)"
    family = draw(st.sampled_from(["weibull", "exponential", "lognormal", "piecewise"]))
    options = {}
    if draw(st.booleans()):
        options["time_scale"] = draw(positive)
    if family == "piecewise" and draw(st.booleans()):
        options["n_intervals"] = draw(st.integers(1, 12))
    causes = draw(st.one_of(st.none(), st.lists(names, min_size=1, max_size=3, unique=True)))
    return ModelSpec(formula=formula, family=family,
                     causes=tuple(causes) if causes else None, family_options=options,
                     name=draw(st.text(max_size=20)))


@BUDGET
@given(specs())
def test_model_spec_toml_round_trip(spec):
    assert ModelSpec.from_toml(spec.to_toml()) == spec
    assert ModelSpec.from_dict(spec.to_dict()) == spec


@st.composite
def prior_sets(draw):
    normal = st.builds(lambda m, s: Prior("Normal", mu=m, sigma=s), finite, positive)
    half = st.builds(lambda s: Prior("HalfNormal", sigma=s), positive)
    priors = {}
    for key in draw(st.lists(st.sampled_from(["beta", "intercept", "sd", "beta[x]"]),
                             max_size=4, unique=True)):
        priors[key] = draw(half if key == "sd" else normal)
    provenance = draw(st.dictionaries(names, st.one_of(st.text(max_size=10), finite,
                                                       st.integers(-1000, 1000)), max_size=3))
    return PriorSet(priors, draw(st.text(max_size=12)), draw(st.text(max_size=30)), provenance)


@BUDGET
@given(prior_sets(), st.sampled_from([".toml", ".json"]))
def test_prior_set_file_round_trip(tmp_path_factory, priors, suffix):
    path = tmp_path_factory.mktemp("priors") / f"p{suffix}"
    priors.save(path)
    assert PriorSet.load(path) == priors
    assert PriorSet.from_dict(priors.to_dict()) == priors
