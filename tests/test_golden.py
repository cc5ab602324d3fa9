"""Golden outputs: fixed-seed fits give exactly the numbers stored in ``tests/golden``.

The restructuring of the package (and any change that claims "no change in numbers") must
leave these identical: the same seed gives the same draws, hence the same summary, hazard
ratios, survival, cumulative incidence and LOO, and a saved fit predicts the same after loading.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.golden.models import (
    GOLDEN,
    MODELS,
    SHARED_DATA,
    VERSIONS_KEY,
    draw_versions,
    fit_model,
    outputs,
)

EXPECTED = json.loads(GOLDEN.read_text())
RECORDED_VERSIONS = EXPECTED.pop(VERSIONS_KEY, {})
LOCK = Path(__file__).resolve().parents[1] / "constraints.txt"
# Identical draws give identical numbers; the tolerance only absorbs summation order in BLAS.
RTOL, ATOL = 1e-9, 1e-12


def version_drift() -> dict[str, tuple[str, str]]:
    """Libraries whose installed version differs from the one the golden values came from."""
    installed = draw_versions()
    return {pkg: (RECORDED_VERSIONS.get(pkg, "unrecorded"), have)
            for pkg, have in installed.items() if RECORDED_VERSIONS.get(pkg) != have}


def test_golden_values_come_from_the_locked_versions():
    """A lock update without regenerated golden values fails here, naming the packages."""
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", LOCK.read_text(), flags=re.M))
    pinned = {name.lower().replace("_", "-"): v for name, v in pinned.items()}
    differ = {pkg: (recorded, pinned.get(pkg, "not in the lock"))
              for pkg, recorded in RECORDED_VERSIONS.items()
              if pkg != "python" and pinned.get(pkg) != recorded}
    assert not differ, (
        "golden.json was generated with other versions than constraints.txt pins "
        f"(package: (golden, lock)): {differ}; regenerate it with "
        "`.venv/bin/python -m tests.golden.models` after `make lock`")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_golden_outputs_unchanged(name, tmp_path):
    if MODELS[name][0] == "king1990" and not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent")
    got = outputs(fit_model(name), tmp_path)
    drift = version_drift()
    try:
        compare(name, got)
    except AssertionError as error:
        if not drift:
            raise
        pytest.fail(
            "the draws changed and so did the libraries: the golden values were generated "
            f"with other versions (package: (golden, installed)): {drift}. A dependency, not "
            "necessarily the code, changed the numbers: install from constraints.txt "
            "(`make test` does), or after a deliberate `make lock` regenerate them with "
            f"`.venv/bin/python -m tests.golden.models`.\n{error}")


def compare(name: str, got: dict) -> None:
    """Assert that one model's outputs equal the stored ones."""
    want = EXPECTED[name]
    assert sorted(got) == sorted(want)
    assert sorted(got["summary"]) == sorted(want["summary"])
    for parameter, values in want["summary"].items():
        np.testing.assert_allclose(got["summary"][parameter], values, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: summary of {parameter}")
    for key in ("ratios", "survival", "cif"):
        if key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name}: {key}")
    assert got["loo"] == pytest.approx(want["loo"], rel=RTOL)
    assert got["roundtrip_survival_equal"] is True


def test_version_drift_names_the_changed_library(monkeypatch):
    """The message that blames a dependency names it, with both versions."""
    recorded = dict(RECORDED_VERSIONS, pymc="6.3.2")
    monkeypatch.setattr(f"{__name__}.RECORDED_VERSIONS", recorded)
    drift = version_drift()
    assert set(drift) == {"pymc"}
    assert drift["pymc"][0] == "6.3.2"
