"""Model specs and priors: parsing, validation, TOML/JSON round trips."""

from __future__ import annotations

import pytest

from coalsurv import PriorError, SpecError
from coalsurv.spec.modelspec import GroupTerm, ModelSpec, parse_formula
from coalsurv.spec.priors import Prior, PriorSet


@pytest.mark.parametrize(
    ("formula", "fixed", "groups"),
    [
        ("breadth + power_hhi", "breadth + power_hhi", ()),
        ("breadth + (1 | country)", "breadth", (GroupTerm("country"),)),
        ("~ x + (1|a) + (1|b)", "x", (GroupTerm("a"), GroupTerm("b"))),
        ("x + (1 | country/decade)", "x",
         (GroupTerm("country"), GroupTerm("country:decade"))),
        ("x + (1 + x | country)", "x", (GroupTerm("country", True, ("x",)),)),
        ("(1 | country)", "1", (GroupTerm("country"),)),
        ("x * z + I(x**2)", "x * z + I(x**2)", ()),
    ],
)
def test_parse_formula(formula, fixed, groups):
    assert parse_formula(formula) == (fixed, groups)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("", "non-empty"),
        ("y ~ x", "left-hand side"),
        ("x + (1 | country) + (1 | country)", "appears twice"),
        ("x + (log(x) | country)", "left of '|'"),
        ("x + (1 | 3country)", "not a column name"),
    ],
)
def test_parse_formula_errors(formula, message):
    with pytest.raises(SpecError, match=message):
        parse_formula(formula)


def test_spec_toml_round_trip(tmp_path):
    # n_intervals is a piecewise option (other families refuse it rather than ignore it)
    spec = ModelSpec("breadth + (1 | country)", family="piecewise", causes=("a", "b"),
                     family_options={"n_intervals": 6}, name="m1")
    path = spec.save(tmp_path / "m.toml")
    assert ModelSpec.load(path) == spec
    assert ModelSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"formula": "x", "family": "weibul"}, "unknown family 'weibul'"),
        ({"family": "weibull"}, "missing key 'formula'"),
        ({"formula": "x", "familly": "weibull"}, "unknown key"),
        ({"formula": "x", "schema": "coalsurv.spec/9"}, "schema"),
        ({"formula": "x", "causes": ["a", "a"]}, "repeat"),
    ],
)
def test_spec_errors(data, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_dict(data)


def test_prior_round_trip_toml_and_json(tmp_path):
    ps = PriorSet({"beta": Prior("StudentT", nu=3, mu=0, sigma=1),
                   "beta[breadth]": Prior("Normal", mu=0.5, sigma=0.2),
                   "sd[country]": Prior("HalfNormal", sigma=0.5)},
                  name="replication", description="test", provenance={"study": "x"})
    for suffix in (".toml", ".json"):
        path = ps.save(tmp_path / f"p{suffix}")
        assert PriorSet.load(path) == ps
    assert PriorSet.from_dict(ps.to_dict()) == ps


def test_prior_lookup_falls_back_to_defaults():
    ps = PriorSet({"beta": Prior("Normal", mu=0, sigma=0.5)})
    assert ps.get("beta[x]") == Prior("Normal", mu=0, sigma=0.5)
    assert ps.get("sd[country]").dist == "HalfNormal"
    assert ps.get("intercept").params["mu"] == "auto"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"beta": {"dist": "Normall", "mu": 0, "sigma": 1}}, "unknown distribution 'Normall'"),
        ({"beta": {"dist": "Normal", "mu": 0}}, "missing \\['sigma'\\]"),
        ({"beta": {"dist": "Normal", "mu": 0, "sigma": -1}}, "must be > 0"),
        ({"beta": {"dist": "Normal", "mu": "zero", "sigma": 1}}, "not a number"),
        ({"betta": {"dist": "Normal", "mu": 0, "sigma": 1}}, "not a parameter"),
        ({"beta": {"mu": 0, "sigma": 1}}, "expected a table with 'dist'"),
    ],
)
def test_prior_errors_name_the_key(raw, message):
    with pytest.raises(PriorError, match=message):
        PriorSet.from_dict({"schema": "coalsurv.priors/1", "priors": raw})


def test_prior_file_errors(tmp_path):
    with pytest.raises(PriorError, match="does not exist"):
        PriorSet.load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = [", encoding="utf-8")
    with pytest.raises(PriorError, match="cannot be parsed"):
        PriorSet.load(bad)
    old = tmp_path / "old.toml"
    old.write_text('schema = "coalsurv.priors/0"\n', encoding="utf-8")
    with pytest.raises(PriorError, match="schema"):
        PriorSet.load(old)


def test_scaled_prior_converts_per_unit_to_per_sd():
    assert Prior("Normal", mu=1.0, sigma=0.5).scaled(2.0) == Prior("Normal", mu=2.0, sigma=1.0)
    with pytest.raises(PriorError, match="location-scale"):
        Prior("HalfNormal", sigma=1.0).scaled(2.0)


def test_documented_default_priors_file_matches_the_code():
    from pathlib import Path

    from coalsurv.spec.priors import DEFAULT_PRIORS

    documented = PriorSet.load(Path(__file__).resolve().parents[2] / "models/default_priors.toml")
    assert documented.priors == DEFAULT_PRIORS


def test_model_files_load():
    import tomllib
    from pathlib import Path

    import coalsurv

    for path in sorted((Path(__file__).resolve().parents[2] / "models").glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        if doc.get("schema") == "coalsurv.priors/1":  # a named prior set
            assert coalsurv.PriorSet.load(path).name
        elif "transitions" in doc.get("model", {}):  # a multi-state model file
            from coalsurv.cli.multistate import read_multistate_model

            assert read_multistate_model(path)[0].transitions
        else:
            assert coalsurv.SurvivalModel.load(path).spec.formula


def test_atomic_writes_leave_normal_permissions(tmp_path):
    import os

    from coalsurv._io import atomic_write_text

    umask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "out.txt", "hello")
    finally:
        os.umask(umask)
    assert path.read_text() == "hello"
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left behind
