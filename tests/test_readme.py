"""The README's first-model example runs as written (with tiny draws)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_first_model_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```python\n(import pandas as pd\nimport coalsurv\n.*?)```", text, re.S)
    assert block, "README lost its first-model example"
    code = block.group(1).replace("draws=1000, tune=1000, chains=4",
                                  "draws=100, tune=100, chains=2, progressbar=False")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "my_report.pdf").stat().st_size > 10_000
    assert namespace["same"].fit_id == namespace["fit"].fit_id


def _cli_examples() -> list[list[str]]:
    """The README's command-line examples, continuation lines joined, comments dropped."""
    import shlex

    text = README.read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "README lost its command-line examples"
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def test_readme_cli_examples_run(tmp_path, monkeypatch, capsys):
    """Every README command runs as written, the long ones through ``--help``.

    Data check, fit (with a tiny sampler added: the README names --draws/--tune/--chains),
    simulate and priors from-fit run fully; demo, gallery and report (minutes) give --help.
    """
    import shutil

    from coalsurv.cli import main

    root = README.parent
    (tmp_path / "datasets").mkdir()
    for name in ("synthetic_coalitions.csv", "synthetic_coalitions.md",
                 "synthetic_multistate.csv", "synthetic_multistate.md"):
        shutil.copy(root / "datasets" / name, tmp_path / "datasets" / name)
    shutil.copytree(root / "models", tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    examples = _cli_examples()
    commands = [" ".join(argv[1:3]) for argv in examples]
    assert any(c.startswith("fit ") for c in commands) and any(
        c.startswith("data check") for c in commands)
    for argv in examples:
        assert argv[0] == "coalsurv", argv
        args = argv[1:]
        if args[0] in ("demo", "gallery", "report"):
            args = [args[0], "--help"]
        elif args[:2] == ["multistate", "report"]:
            args = args[:2] + ["--help"]
        elif args[0] == "fit" or args[:2] == ["multistate", "fit"]:
            args = [*args, "--draws", "60", "--tune", "60", "--chains", "1", "--quiet"]
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 0, (argv, err)
        if argv[1] in ("fit", "data"):
            assert "months" in out + err, "the time unit used is stated"
        if argv[1:3] == ["multistate", "fit"]:
            assert "years" in out + err, "the time unit used is stated"
    assert (tmp_path / "fit.nc").is_file() and (tmp_path / "priors.toml").is_file()
