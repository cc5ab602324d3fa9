"""``coalsurv batch fit``: one model file, several CSV files, a local cluster."""

from __future__ import annotations

import numpy as np
import pytest

import coalsurv
from coalsurv.cli import main


@pytest.mark.slow
def test_batch_fit_writes_one_fit_per_csv_and_resumes(tmp_path, capsys):
    """Two CSVs on the embedded cluster, then a rerun that fits nothing.

    Measured: about 4 minutes on the shared 2-core machine (two worker processes compile).
    """
    frame = coalsurv.datasets.load_synthetic(as_frame=True)
    for name, rows in (("first", slice(0, 80)), ("second", slice(80, 160))):
        frame.iloc[rows].to_csv(tmp_path / f"{name}.csv", index=False)
    model = tmp_path / "m.toml"
    model.write_text('[model]\nformula = "breadth"\nfamily = "weibull"\n')
    args = ["batch", "fit", str(tmp_path / "first.csv"), str(tmp_path / "second.csv"),
            "--model", str(model), "-o", str(tmp_path / "fits"), "--id", "id",
            "--duration", "duration", "--event", "event", "--entry", "entry",
            "--time-unit", "months", "--draws", "100", "--tune", "100", "--chains", "2",
            "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "first" in out and "second" in out
    fit = coalsurv.load_fit(tmp_path / "fits" / "second.nc")
    assert fit.data.n == 80 and np.isfinite(fit.summary()["mean"]).all()
    stamp = (tmp_path / "fits" / "first.nc").stat().st_mtime_ns
    assert main(args) == 0
    assert (tmp_path / "fits" / "first.nc").stat().st_mtime_ns == stamp
