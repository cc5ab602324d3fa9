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
