"""The PDF report: sections, verdict on page 1, time unit, manifest, atomic writing.

One tiny competing-risks fit per session (draws 200, 2 chains); a second fit of the same model
reuses the compiled kernel and serves as the comparison model; a fit with almost no tuning
must show its failing checks on page 1. The PDF's text is read back with pypdf.
"""

from __future__ import annotations

import re
import warnings

import pytest

import coalsurv
from coalsurv.errors import CoalsurvError

pypdf = pytest.importorskip("pypdf")

SECTIONS = [
    "1. Data",
    "2. Model and priors",
    "3. Diagnostics",
    "4. Posterior summary",
    "5. Survival, hazard and incidence",
    "6. Effect curves",
    "7. Group effects",
    "8. Model comparison",
    "9. Comparison with maximum likelihood (lifelines)",
    "10. Reproducibility manifest",
]
CAUSES = ["dissolution", "goal_reached", "alliance"]
FORMULA = "breadth + power_hhi + (1 | group)"


def _fit(data, *, seed: int, draws: int = 200, tune: int = 200):
    model = coalsurv.SurvivalModel(FORMULA, family="weibull", causes=CAUSES, name="tiny CR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data, draws=draws, tune=tune, chains=2, random_seed=seed,
                         progressbar=False, command="pytest tests/test_report.py")


@pytest.fixture(scope="session")
def data():
    return coalsurv.simulate(n_coalitions=150, n_groups=6, seed=7).data


@pytest.fixture(scope="session")
def fit(data):
    return _fit(data, seed=1)


@pytest.fixture(scope="session")
def report(fit, data, tmp_path_factory):
    """The report with a comparison fit; returns (path, text per page)."""
    other = _fit(data, seed=2)
    path = tmp_path_factory.mktemp("report") / "tiny.pdf"
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fit.report(path, compare_with={"seed 2": other}, progress=messages.append)
    failed = [str(w.message) for w in caught if str(w.message).startswith("report:")]
    assert not failed, failed  # every part of the report was made
    assert out == path and messages
    pages = [page.extract_text() for page in pypdf.PdfReader(path).pages]
    return path, pages


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_section_heading_is_present(report):
    _, pages = report
    text = _flat(" ".join(pages))
    for heading in SECTIONS:
        assert heading in text, heading


def test_page_one_has_the_verdict_and_the_model(report, fit):
    _, pages = report
    first = _flat(pages[0])
    assert re.search(r"Overall verdict: (PASS|WARN|FAIL)", first)
    assert fit.spec.formula in first
    assert "weibull" in first and "coalsurv version" in first
    assert "Contents" in first


def test_report_shows_the_checks_of_fit_diagnose(report, fit):
    """The report's verdict, counts and check names are those of the one Diagnosis.

    This report compares fits by PSIS-LOO, so its Diagnosis weighs Pareto k for comparison.
    """
    _, pages = report
    diag = fit.diagnose(for_comparison=True)
    first, text = _flat(pages[0]), _flat(" ".join(pages))
    assert f"Overall verdict: {diag.verdict.upper()}" in first
    assert (f"{len(diag)} checks: {len(diag.failed)} failed, {len(diag.warnings)} warned, "
            f"{len(diag.skipped)} skipped.") in first
    from coalsurv.report.export import check_label

    for check in diag:  # under its reader name ("R-hat", not "r_hat")
        assert check_label(check.name) in text, check.name


def test_time_unit_and_interval_mass_are_stated(report):
    _, pages = report
    text = _flat(" ".join(pages))
    assert text.count("(months)") >= 5  # tables and captions carry the unit
    assert "95% interval" in text or "95% lower" in text
    assert "hazard ratio" in text.lower()


def test_manifest_has_hash_seed_and_versions(report, fit):
    _, pages = report
    text = _flat(" ".join(pages[-2:]))
    assert fit.data_hash in text.replace(" ", "") or fit.data_hash in text
    assert fit.fit_id in text
    assert "pytest tests/test_report.py" in text
    assert f"version: pymc {fit.versions['pymc']}" in text


def test_ratio_table_prints_the_fits_numbers(report, fit):
    """Every per-SD median hazard ratio and interval of the fit is printed in the report."""
    from coalsurv._format import fmt_number

    _, pages = report
    text = _flat(" ".join(pages))
    ratios = fit.hazard_ratios()
    per_sd = ratios[ratios["scale"] == "per SD"]
    assert len(per_sd) == len(CAUSES) * 2
    for row in per_sd.itertuples():
        cell = (f"{fmt_number(row.median)} [{fmt_number(row.lower)}, "
                f"{fmt_number(row.upper)}]")
        assert cell in text, (row.cause, row.term, cell)


def test_comparison_and_cif_parts_are_made(report):
    _, pages = report
    text = _flat(" ".join(pages))
    assert "seed 2" in text and "elpd" in text
    assert "Cumulative incidence of each ending" in text
    assert "Aalen" in text


def test_page_count_and_footer(report):
    path, pages = report
    assert 8 <= len(pages) <= 30
    assert f"page 1 of {len(pages)}" in pages[0]
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # atomic


def test_failing_fit_shows_fail_on_page_one(data, tmp_path):
    bad = _fit(data, seed=3, draws=30, tune=3)  # far too short: chains cannot agree
    verdict = bad.diagnose(checks=False).verdict
    path = bad.report(tmp_path / "bad.pdf")
    first = _flat(pypdf.PdfReader(path).pages[0].extract_text())
    assert f"Overall verdict: {verdict.upper()}" in first
    assert verdict in ("warn", "fail")
    assert "R-hat" in first or "ESS bulk" in first  # reader names, not r_hat / ess_bulk
    assert "r_hat" not in first and "ess_bulk" not in first


def test_report_overwrites_atomically_and_checks_arguments(fit, tmp_path):
    target = tmp_path / "r.pdf"
    target.write_bytes(b"old")
    with pytest.raises(CoalsurvError, match=r"\.pdf"):
        fit.report(tmp_path / "r.txt")
    with pytest.raises(CoalsurvError, match="not fits"):
        fit.report(target, compare_with={"x": object()})
    assert target.read_bytes() == b"old"  # untouched by the failed calls


def test_report_text_is_fit_for_readers(report, fit):
    """No internal names, no rounding that hides a threshold, shares in percent (issue 14)."""
    _, pages = report
    text = _flat(" ".join(pages))
    for internal in ("compare_with", "z_group", "u_group", "Diagnosis.mle", "(0.70, 0.7]",
                     "write_report("):
        assert internal not in text, internal
    summary = fit.summary()
    worst = summary.loc[summary["r_hat"].idxmax()]
    from coalsurv._format import fmt_rhat

    assert fmt_rhat(worst["r_hat"]) in text  # three decimals: 1.008 is never "1.01"
    ratio_cells = re.findall(r"P\(ratio > 1\)(.*?)Table", text)
    assert ratio_cells and not re.search(r"\s(0\.00|1\.00)\s", ratio_cells[0])
    assert re.search(r"censored share \d+\.\d%", text)  # a share is a percentage
