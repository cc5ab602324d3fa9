"""The report's replication section: present only with an original fit, with its formulas."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from coalsurv import CoalitionData, PriorSet
from coalsurv.errors import CoalsurvError
from coalsurv.report.replication import replication_frame

pypdf = pytest.importorskip("pypdf")


def _studies(tiny_fit):
    rng = np.random.default_rng(8)
    datas = []
    for _ in range(2):
        x = rng.normal(size=150)
        t = rng.exponential(size=150) / np.exp(-0.3 + 0.8 * x)
        frame = pd.DataFrame({"duration": np.minimum(t, 3.0), "ended": (t < 3).astype(int),
                              "x": x})
        datas.append(CoalitionData.from_frame(frame, duration="duration", event="ended",
                                              covariates=["x"], time_unit="days"))
    original = tiny_fit(datas[0], "x", seed=4)
    rep = tiny_fit(datas[1], "x", seed=5, priors=PriorSet.from_fit(original, discount=0.5))
    return original, rep


def test_replication_section_with_table_and_formula(tiny_fit, tmp_path):
    original, rep = _studies(tiny_fit)
    path = tmp_path / "rep.pdf"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rep.report(path, original=original)
    failed = [str(w.message) for w in caught if str(w.message).startswith("report:")]
    assert not failed, failed
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(path).pages))
    assert "10. Replication of an original study" in text
    assert "11. Reproducibility manifest" in text
    assert f"replication of fit {original.fit_id}" in text
    assert "BF_r0 = N(b; m_o, s_o^2 + s_l^2) / N(b; 0, tau^2 + s_l^2)" in text
    frame = replication_frame(original, rep, ci_prob=0.95)
    assert list(frame["term"]) == ["x"] and frame["covers"].iloc[0] == "yes"
    assert frame["original"].iloc[0] in text and frame["replication"].iloc[0] in text
    with pytest.raises(CoalsurvError, match="original must be a Fit"):
        rep.report(tmp_path / "bad.pdf", original="not a fit")
