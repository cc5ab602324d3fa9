"""``coalsurv multistate fit | occupancy | report``: happy path on the bundled set, user errors.

The bundled multi-state histories (150 of the 600 units) are written to a CSV in a temporary
folder and fitted once per session (Weibull, no frailty, 2 chains x 100 draws). Every user
error prints one line ``coalsurv: error: ...`` and exits 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.cli import main

SAMPLER = ["--draws", "100", "--tune", "100", "--chains", "2", "--seed", "1", "--quiet"]
MODEL = """\
[model]
name = "tiny multi-state model"
family = "weibull"
clock = "reset"

[model.transitions]
"coalition -> alliance" = "breadth"
"coalition -> dissolution" = "power_hhi"
"alliance -> community" = "breadth"
"alliance -> dissolution" = "1"

[data]
time_unit = "years"
"""


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(result, *needles: str) -> str:
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert lines[0].startswith("coalsurv: error: ") and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture(scope="session")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("ms_cli")
    frame = coalsurv.datasets.load_synthetic_multistate(as_frame=True)
    keep = frame["id"].drop_duplicates().iloc[:150]
    frame[frame["id"].isin(keep)].to_csv(d / "sojourns.csv", index=False)
    (d / "model.toml").write_text(MODEL)
    return d


@pytest.fixture(scope="session")
def fitted(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("ms_fit") / "ms.zip"
    code = main(["multistate", "fit", str(inputs / "sojourns.csv"), "--model",
                 str(inputs / "model.toml"), "-o", str(out), *SAMPLER])
    assert code == 0
    return out


# ------------------------------------------------------------------------------ happy path
def test_fit_writes_a_loadable_multistate_fit(inputs, tmp_path, capsys):
    out = tmp_path / "again.zip"
    code, stdout, err = run(capsys, "multistate", "fit", inputs / "sojourns.csv", "--model",
                            inputs / "model.toml", "-o", out, *SAMPLER)
    assert code == 0, err
    assert "4 transitions" in stdout and "years" in stdout
    assert "coalition -> alliance:" in stdout and "hazard ratio per SD of breadth" in stdout
    ms = coalsurv.load_multistate(out)
    assert list(ms.fits) == ["coalition -> alliance", "coalition -> dissolution",
                             "alliance -> community", "alliance -> dissolution"]
    assert ms.clock == "reset" and ms.time_unit == "years" and ms.data.n_units == 150


def test_occupancy_table_and_csv(fitted, tmp_path, capsys):
    table = tmp_path / "occ.csv"
    code, stdout, err = run(capsys, "multistate", "occupancy", fitted, "--times", "1,5,10",
                            "--start", "coalition", "--at", "breadth=0.8", "-o", table,
                            "--n-paths", "100")
    assert code == 0, err
    assert "breadth = 0.800" in stdout and "community" in stdout
    occ = pd.read_csv(table)
    assert sorted(occ["time"].unique()) == [1.0, 5.0, 10.0]
    sums = occ.groupby("time")["mean"].sum()
    assert np.allclose(sums, 1.0)


def test_report_writes_a_pdf(fitted, tmp_path, capsys):
    out = tmp_path / "ms.pdf"
    code, stdout, err = run(capsys, "multistate", "report", fitted, "-o", out, "--quiet")
    assert code == 0, err
    assert out.stat().st_size > 10_000 and f"wrote {out}" in stdout


@pytest.mark.parametrize("command", [["multistate"], ["multistate", "fit"],
                                     ["multistate", "occupancy"], ["multistate", "report"]])
def test_every_multistate_command_has_help(capsys, command):
    code, stdout, _ = run(capsys, *command, "--help")
    assert code == 0 and stdout.startswith("usage: coalsurv multistate")


# ------------------------------------------------------------------------------ user errors
def fit_args(inputs, tmp_path, *, data=None, model=None):
    return ["multistate", "fit", data or inputs / "sojourns.csv", "--model",
            model or inputs / "model.toml", "-o", tmp_path / "out.zip", *SAMPLER]


def test_missing_sojourn_file(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, data=tmp_path / "none.csv")),
                      "none.csv", "does not exist")


def test_missing_model_file(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=tmp_path / "none.toml")),
                      "none.toml", "does not exist")


def test_missing_fit_file(capsys, tmp_path):
    assert_user_error(run(capsys, "multistate", "occupancy", tmp_path / "none.zip", "--times",
                          "1", "--start", "coalition"), "none.zip", "does not exist")


def test_bad_toml(capsys, inputs, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nfamily = weibull\n")
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=bad)),
                      "bad.toml", "not valid TOML")


def test_one_ending_model_file_is_refused(capsys, inputs, tmp_path):
    single = tmp_path / "single.toml"
    single.write_text('[model]\nformula = "breadth"\nfamily = "weibull"\n')
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=single)),
                      "[model.transitions]", "coalsurv fit")


def test_unknown_key_in_model_file(capsys, inputs, tmp_path):
    bad = tmp_path / "key.toml"
    bad.write_text(MODEL.replace('clock = "reset"', 'clock = "reset"\nclocks = "forward"'))
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=bad)), "'clocks'")


def test_unknown_column_in_formula(capsys, inputs, tmp_path):
    bad = tmp_path / "col.toml"
    bad.write_text(MODEL.replace('"power_hhi"', '"power_hhi + cohesion"'))
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=bad)),
                      "coalition -> dissolution", "'cohesion'")


def test_unknown_role_column(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path), "--id", "unit"),
                      "--id unit", "columns")


def test_unknown_transition_state(capsys, inputs, tmp_path):
    bad = tmp_path / "state.toml"
    bad.write_text(MODEL.replace('"alliance -> community"', '"alliance -> comunity"'))
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=bad)),
                      "'comunity'", "states found")


def test_bad_clock(capsys, inputs, tmp_path):
    bad = tmp_path / "clock.toml"
    bad.write_text(MODEL.replace('clock = "reset"', 'clock = "backward"'))
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path, model=bad)), "clock")


def test_output_needs_zip_suffix(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path)
    args[args.index("-o") + 1] = tmp_path / "out.nc"
    assert_user_error(run(capsys, *args), ".zip")


def test_missing_start(capsys, fitted):
    assert_user_error(run(capsys, "multistate", "occupancy", fitted, "--times", "1,5"),
                      "--start")


def test_times_not_numbers(capsys, fitted):
    assert_user_error(run(capsys, "multistate", "occupancy", fitted, "--times", "1,five",
                          "--start", "coalition"), "--times", "'1,five'")


def test_unknown_start_state(capsys, fitted):
    assert_user_error(run(capsys, "multistate", "occupancy", fitted, "--times", "1",
                          "--start", "community"), "absorbing")
    assert_user_error(run(capsys, "multistate", "occupancy", fitted, "--times", "1",
                          "--start", "union"), "'union'", "not a state")


def test_at_names_an_unknown_covariate(capsys, fitted):
    assert_user_error(run(capsys, "multistate", "occupancy", fitted, "--times", "1",
                          "--start", "coalition", "--at", "cohesion=1"), "'cohesion'")


def test_file_that_is_not_a_multistate_fit(capsys, inputs):
    assert_user_error(run(capsys, "multistate", "report", inputs / "sojourns.csv", "-o",
                          inputs / "r.pdf"), "cannot be read")
