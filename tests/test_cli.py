"""The ``coalsurv`` command: user errors give one line and exit 2; the happy path writes files.

Commands run in-process through :func:`coalsurv.cli.main` (with ``capsys``); one subprocess
smoke test checks ``python -m coalsurv --help``. The fitted CSV is tiny and sampled briefly,
once per session.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.cli import main

SAMPLER = ["--draws", "150", "--tune", "150", "--chains", "2", "--seed", "1"]
COLUMNS = ["--duration", "duration", "--event", "event", "--time-unit", "months"]
MODEL_TOML = """\
[model]
name = "tiny test model"
formula = "breadth + power_hhi + (1 | group)"
family = "weibull"
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run the command in-process; return (exit status, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(result: tuple[int, str, str], *needles: str) -> str:
    """Exit 2 and one stderr line starting 'coalsurv: error:' that names the problem."""
    code, _, err = result
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert lines[0].startswith("coalsurv: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


# ------------------------------------------------------------------------------ inputs
@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Small input files: a valid CSV, broken variants, model and prior files."""
    d = tmp_path_factory.mktemp("cli_inputs")
    frame = coalsurv.simulate(n_coalitions=80, seed=1).frame
    frame = frame.drop(columns=["lower", "upper"])  # no interval censoring in this file
    paths = {"csv": d / "tiny.csv"}
    frame.to_csv(paths["csv"], index=False)
    nan = frame.copy()
    nan.loc[3, "breadth"] = np.nan
    paths["nan"] = d / "nan.csv"
    nan.to_csv(paths["nan"], index=False)
    bad = frame.astype({"duration": object})
    bad.loc[5, "duration"] = -2.0
    bad.loc[7, "duration"] = "soon"
    paths["badnum"] = d / "badnum.csv"
    bad.to_csv(paths["badnum"], index=False)
    paths["binary"] = d / "binary.csv"
    paths["binary"].write_bytes(bytes(range(256)) * 4)
    paths["semicolon"] = d / "semicolon.csv"
    paths["semicolon"].write_text("a;b;c\n1;2;3\n")
    paths["model"] = d / "model.toml"
    paths["model"].write_text(MODEL_TOML)
    paths["badfamily"] = d / "badfamily.toml"
    paths["badfamily"].write_text(MODEL_TOML.replace('"weibull"', '"weibul"'))
    paths["badtoml"] = d / "badtoml.toml"
    paths["badtoml"].write_text("[model\nformula = ")
    paths["nocolumn"] = d / "nocolumn.toml"
    paths["nocolumn"].write_text(MODEL_TOML.replace("power_hhi +", "power_hhi + cohesion +"))
    paths["badprior"] = d / "badprior.toml"
    paths["badprior"].write_text('schema = "coalsurv.priors/1"\nname = "bad"\n'
                                 '[priors.beta]\ndist = "Normall"\nmu = 0\nsigma = 1\n')
    paths["prior"] = d / "prior.toml"
    paths["prior"].write_text('schema = "coalsurv.priors/1"\nname = "tight"\n'
                              '[priors.beta]\ndist = "Normal"\nmu = 0\nsigma = 0.5\n')
    return paths


def fit_args(inputs, out, *extra: str, data: str = "csv") -> list[str]:
    return ["fit", inputs[data], "--model", inputs["model"], "-o", out, *COLUMNS, *SAMPLER,
            *extra]


# ------------------------------------------------------------------------------ user errors
def test_unknown_subcommand_is_argparse_error(capsys):
    assert_user_error(run(capsys, "frobnicate"), "invalid choice", "frobnicate")


def test_missing_data_file(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc")
    args[1] = tmp_path / "absent.csv"
    assert_user_error(run(capsys, *args), "absent.csv", "does not exist")


def test_binary_file_is_not_a_csv(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path / "f.nc", data="binary")),
                      "binary.csv", "not a text CSV")


def test_semicolon_file_is_not_a_comma_csv(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path / "f.nc", data="semicolon")),
                      "semicolon.csv", "1 column")


def test_unknown_duration_column(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc")
    args[args.index("duration")] = "lifespan"
    assert_user_error(run(capsys, *args), "'lifespan'", "duration", "not found")


def test_unknown_event_column(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc")
    args[args.index("event")] = "ending"
    assert_user_error(run(capsys, *args), "'ending'", "event", "not found")


def test_bad_time_unit(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc", "--time-unit", "weeks")
    assert_user_error(run(capsys, *args), "--time-unit", "weeks")


@pytest.mark.parametrize("option,value", [("--draws", "-5"), ("--chains", "0"),
                                          ("--tune", "many")])
def test_bad_sampler_numbers(capsys, inputs, tmp_path, option, value):
    args = fit_args(inputs, tmp_path / "f.nc", option, value)
    assert_user_error(run(capsys, *args), option, value)


def test_model_file_missing(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc")
    args[3] = tmp_path / "nope.toml"
    assert_user_error(run(capsys, *args), "nope.toml", "does not exist")


def test_model_file_not_toml(capsys, inputs, tmp_path):
    args = [str(a) for a in fit_args(inputs, tmp_path / "f.nc")]
    args[3] = str(inputs["badtoml"])
    assert_user_error(run(capsys, *args), "badtoml.toml", "not valid TOML")


def test_model_file_unknown_family(capsys, inputs, tmp_path):
    args = [str(a) for a in fit_args(inputs, tmp_path / "f.nc")]
    args[3] = str(inputs["badfamily"])
    assert_user_error(run(capsys, *args), "badfamily.toml", "unknown family", "'weibul'")


def test_formula_column_not_in_data(capsys, inputs, tmp_path):
    args = [str(a) for a in fit_args(inputs, tmp_path / "f.nc")]
    args[3] = str(inputs["nocolumn"])
    assert_user_error(run(capsys, *args), "cohesion")


def test_prior_file_unknown_distribution(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc", "--priors", inputs["badprior"])
    assert_user_error(run(capsys, *args), "unknown distribution", "'Normall'")
    assert_user_error(run(capsys, "priors", "check", inputs["badprior"]), "'Normall'")


def test_covariate_not_in_data(capsys, inputs, tmp_path):
    args = fit_args(inputs, tmp_path / "f.nc", "--covariates", "breadth", "zeal")
    assert_user_error(run(capsys, *args), "'zeal'", "not found")


def test_missing_values_without_dropna(capsys, inputs, tmp_path):
    line = assert_user_error(run(capsys, *fit_args(inputs, tmp_path / "f.nc", data="nan")),
                             "'breadth'", "missing values")
    assert "--dropna" in line


def test_bad_numbers_list_every_problem(capsys, inputs):
    code, _, err = run(capsys, "data", "check", inputs["badnum"], *COLUMNS)
    lines = err.strip().splitlines()
    assert code == 2
    assert lines[0].startswith("coalsurv: error: ") and "'duration'" in lines[0]
    assert "'soon'" in err and "> 0" in err  # both problems listed, the second indented
    assert all(line.startswith("  - ") for line in lines[1:])


def test_fit_output_needs_nc_suffix(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, *fit_args(inputs, tmp_path / "fit.pickle")), ".nc")


def test_fit_file_that_is_not_a_fit(capsys, inputs, tmp_path):
    assert_user_error(run(capsys, "report", inputs["csv"], "-o", tmp_path / "r.pdf"),
                      "tiny.csv", "not a readable NetCDF")


def test_prior_discount_out_of_range(capsys, tmp_path):
    assert_user_error(run(capsys, "priors", "from-fit", tmp_path / "f.nc", "-o",
                          tmp_path / "p.toml", "--discount", "2"), "--discount")


def test_required_option_missing(capsys, inputs):
    assert_user_error(run(capsys, "data", "check", inputs["csv"], "--duration", "duration"),
                      "--event")


# ------------------------------------------------------------------------------ happy path
@pytest.fixture(scope="session")
def fitted(inputs, tmp_path_factory) -> Path:
    """`coalsurv fit` on the tiny CSV (once per session)."""
    out = tmp_path_factory.mktemp("cli_fit") / "tiny.nc"
    assert main([str(a) for a in fit_args(inputs, out, "--priors", inputs["prior"])]) == 0
    return out


def test_fit_writes_a_loadable_fit(fitted, capsys):
    fit = coalsurv.load_fit(fitted)
    assert fit.data.n == 80
    assert fit.data.time_unit == "months"
    assert fit.data.group_names == ("group",)  # taken from the formula
    assert set(fit.data.covariate_names) == {"breadth", "power_hhi"}
    assert fit.command.startswith("coalsurv fit ")
    assert fit.priors.name == "tight"


def test_fit_file_tampered(fitted, capsys, tmp_path):
    import h5py

    copy = tmp_path / "tampered.nc"
    shutil.copy(fitted, copy)
    with h5py.File(copy, "r+") as f:
        f["posterior"]["beta"][0, 0, 0, 0] += 1.0
    assert_user_error(run(capsys, "report", copy, "-o", tmp_path / "r.pdf"),
                      "tampered.nc", "altered")


def test_report_from_fit_file(fitted, capsys, tmp_path):
    out = tmp_path / "sub" / "report.pdf"
    # a missing folder is refused, as by every command writing a file (issue 26)
    assert_user_error(run(capsys, "report", fitted, "-o", out), "folder", "does not exist")
    out.parent.mkdir()
    code, stdout, err = run(capsys, "report", fitted, "-o", out, "--title", "Tiny")
    assert code == 0, err
    assert out.read_bytes()[:5] == b"%PDF-"
    assert f"wrote {out}" in stdout
    assert "writing report" in err  # progress lines when not on a terminal
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp files


def test_priors_from_fit_show_and_check(fitted, capsys, tmp_path):
    out = tmp_path / "priors.toml"
    code, stdout, _ = run(capsys, "priors", "from-fit", fitted, "-o", out, "--discount", "0.5",
                          "--components", "1")
    assert code == 0 and out.is_file()
    priors = coalsurv.PriorSet.load(out)
    assert priors.explicit("beta_unit[*]").terms[-2:] == ("breadth", "power_hhi")  # joint
    assert priors.provenance["discount"] == 0.5
    code, stdout, _ = run(capsys, "priors", "show", out)
    assert code == 0 and "beta_unit[*]" in stdout and "MvNormal(" in stdout
    code, stdout, _ = run(capsys, "priors", "check", out)
    assert code == 0 and stdout.startswith("ok:")
    indep = tmp_path / "independent.toml"
    code, stdout, _ = run(capsys, "priors", "from-fit", fitted, "-o", indep, "--independent")
    assert code == 0 and "beta_unit[breadth]" in coalsurv.PriorSet.load(indep).priors
    mixed = tmp_path / "mixture.toml"
    code, _, _ = run(capsys, "priors", "from-fit", fitted, "-o", mixed, "--components", "2")
    assert code == 0 and coalsurv.PriorSet.load(mixed).explicit("beta_unit[*]").dist == (
        "MvNormalMixture")
    assert_user_error(run(capsys, "priors", "from-fit", fitted, "-o", mixed, "--components",
                          "two"), "expected 'auto' or a positive integer")


def test_data_check_valid(capsys, inputs):
    code, stdout, err = run(capsys, "data", "check", inputs["csv"], *COLUMNS,
                            "--groups", "group")
    assert code == 0, err
    assert "episodes" in stdout and "80" in stdout and "(months)" in stdout
    assert "ok:" in stdout


def test_data_check_lists_roles_and_warns_of_text_columns_and_lone_labels(capsys, inputs,
                                                                          tmp_path):
    code, stdout, _ = run(capsys, "data", "check", inputs["csv"], *COLUMNS)
    assert code == 0 and "covariates: " in stdout and "breadth" in stdout
    assert "endings (labels of column 'event'): " in stdout and "warning" not in stdout
    frame = pd.read_csv(inputs["csv"]).astype({"breadth": object})
    frame.loc[3, "breadth"] = "high"  # line 5 of the file
    frame.loc[5, "event"] = "collapse"  # line 7
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    code, stdout, _ = run(capsys, "data", "check", bad, *COLUMNS)
    assert code == 0
    covariates = next(line for line in stdout.splitlines() if line.startswith("covariates:"))
    assert "breadth" not in covariates.replace("ideological_breadth", "")
    assert "warning: column 'breadth' was left out of the covariates: it holds text ('high') " \
           "in 1 row(s) (line 5)" in stdout
    assert "warning: ending 'collapse' occurs once (line 7)" in stdout
    assert "collapse (1)" in stdout and "ok with 2 warning(s) above" in stdout


def test_data_check_dropna_lists_excluded(capsys, inputs):
    code, stdout, _ = run(capsys, "data", "check", inputs["nan"], *COLUMNS, "--dropna")
    assert code == 0
    assert "left out" in stdout and "breadth" in stdout


def test_simulate_refuses_a_missing_folder(capsys, tmp_path):
    target = tmp_path / "nonexistent_dir" / "sim.csv"
    assert_user_error(run(capsys, "simulate", "-o", target, "--n", "10"), "nonexistent_dir",
                      "does not exist")
    assert not target.parent.exists()


def test_counts_are_singular_or_plural():
    from coalsurv.cli.commands import _count

    assert _count(1, "prior") == "1 prior" and _count(3, "prior") == "3 priors"


def test_simulate_writes_csvs(capsys, tmp_path):
    out, members = tmp_path / "sim.csv", tmp_path / "members.csv"
    code, _, _ = run(capsys, "simulate", "-o", out, "--n", "40", "--groups", "5", "--seed",
                     "3", "--members-out", members)
    assert code == 0
    frame = pd.read_csv(out)
    assert len(frame) == 40 and {"duration", "event", "group"} <= set(frame.columns)
    assert set(pd.read_csv(members)["id"]) <= set(frame["id"])


def test_gallery_renders_every_plot(fitted, capsys, tmp_path):
    code, stdout, err = run(capsys, "gallery", "--fit", fitted, "--out", tmp_path / "gallery")
    assert code == 0, err
    names = {p.stem for p in (tmp_path / "gallery").glob("*.png")}
    for name in ("data_kaplan_meier", "prior_predictive", "trace_rank", "energy", "forest",
                 "survival_vs_km", "hazard", "effect_curves", "group_effects_group"):
        assert name in names


@pytest.mark.parametrize("command", [[], ["demo"], ["fit"], ["report"], ["data", "check"],
                                     ["simulate"], ["gallery"], ["priors", "show"],
                                     ["priors", "check"], ["priors", "from-fit"],
                                     ["replicate"]])
def test_every_command_has_help(capsys, command):
    code, stdout, _ = run(capsys, *command, "--help")
    assert code == 0
    assert stdout.startswith("usage: coalsurv")


def test_python_m_coalsurv_help_smoke():
    result = subprocess.run([sys.executable, "-m", "coalsurv", "fit", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--duration" in result.stdout and "--model" in result.stdout


@pytest.mark.slow
def test_demo_quick(capsys, tmp_path):
    code, _, err = run(capsys, "demo", "--quick", "--no-compare", "--out",
                       tmp_path / "demo.pdf", "--fit-out", tmp_path / "demo_fit.nc")
    assert code == 0, err
    assert (tmp_path / "demo.pdf").stat().st_size > 10_000
    assert coalsurv.load_fit(tmp_path / "demo_fit.nc").info.causes == (
        "dissolution", "goal_reached", "alliance")


def test_batch_help_is_plain_text_and_every_validate_option_has_help(capsys):
    """Issue 26: no raw reStructuredText in --help; every option of batch validate explained."""
    for argv in (["batch", "--help"], ["batch", "fit", "--help"], ["batch", "validate", "--help"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "``" not in out and "::" not in out and "--------" not in out, out
    from coalsurv.cli.parser import build_parser

    parser = build_parser()
    batch = next(a for a in parser._subparsers._group_actions[0].choices.items()
                 if a[0] == "batch")[1]
    validate = batch._subparsers._group_actions[0].choices["validate"]
    missing = [a.dest for a in validate._actions if not a.help]
    assert not missing, missing


def test_batch_progress_line_names_its_caller(capsys, tmp_path):
    """Issue 26: sbc() and spec_curve() report progress under their own names."""
    from coalsurv.batch.many import run_jobs

    run_jobs({}, out=tmp_path / "none", progress="sbc", fit_kwargs={})
    err = capsys.readouterr().err
    assert "sbc: 0/0 done" in err and "fit_many" not in err
