"""Issue 26, multi-state outputs: the CLI reads multi-state fit files, the report gives joint
effects of companion terms, and the progress lines name the transition.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.cli import main

pypdf = pytest.importorskip("pypdf")

TRANSITIONS = {"coalition -> dissolution": "breadth + power_hhi + power_hhi_sq",
               "coalition -> alliance": "breadth"}


@pytest.fixture(scope="module")
def ms_fit(tmp_path_factory):
    frame = coalsurv.datasets.load_synthetic_multistate(as_frame=True)
    frame = frame[frame["id"].isin(frame["id"].unique()[:150])]
    frame = frame[frame["state"] == "coalition"]
    data = coalsurv.TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to",
        covariates=["breadth", "power_hhi", "power_hhi_sq"], time_unit="years",
        transitions=tuple(TRANSITIONS))
    model = coalsurv.MultiStateModel(TRANSITIONS, family="weibull", clock="reset")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=100, tune=150, chains=2, random_seed=2)
    path = fit.save(tmp_path_factory.mktemp("ms") / "ms.zip")
    return fit, path


def test_progress_lines_name_the_transition(ms_fit, capsys):
    fit, _ = ms_fit
    model = coalsurv.MultiStateModel(TRANSITIONS, family="weibull", clock="reset")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(fit.data, draws=20, tune=20, chains=1, random_seed=1, progressbar=True)
    err = capsys.readouterr().err
    for key in TRANSITIONS:
        assert f"building the model {key} (150 coalitions)" in err, err


def test_cli_report_and_priors_read_a_multistate_file(ms_fit, tmp_path, capsys):
    _, path = ms_fit
    out = tmp_path / "ms.pdf"
    assert main(["report", str(path), "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "multi-state fit file (2 transitions)" in stdout and f"wrote {out}" in stdout
    flat = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(out).pages).split())
    # companion terms: the joint effect, not one ratio per term
    assert "joint effect of power_hhi" in flat
    assert "coalition -> dissolution: joint effects" in flat, flat[:3000]
    assert "75th vs 25th percentile" in flat
    priors = tmp_path / "priors.toml"
    assert main(["priors", "from-fit", str(path), "-o", str(priors), "--independent"]) == 0
    stdout = capsys.readouterr().out
    written = sorted(p.name for p in tmp_path.glob("priors_*.toml"))
    assert written == ["priors_coalition_alliance.toml", "priors_coalition_dissolution.toml"]
    assert "for transition coalition -> alliance (discount 1)" in stdout
    loaded = coalsurv.PriorSet.load(tmp_path / written[0])
    assert "beta_unit[breadth]" in loaded.priors
    assert np.isfinite(len(loaded.priors))
