"""Default piecewise fits are free of divergences (issue 13): Rossi and Stanford heart spells."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.backend.sampling import CoalsurvSamplingWarning


def _rossi():
    from lifelines.datasets import load_rossi

    df = load_rossi().reset_index(names="id")
    return (coalsurv.CoalitionData.from_frame(df, duration="week", event="arrest", id="id",
                                              time_unit="days"),
            "fin + age + race + wexp + mar + paro + prio")


def _stanford():
    from lifelines.datasets import load_stanford_heart_transplants

    sp = load_stanford_heart_transplants()
    sp.loc[sp.start == sp.stop, "stop"] += 0.5  # lifelines' own zero-length spells
    ep = sp.groupby("id").agg(time=("stop", "max"), event=("event", "max"),
                              age=("age", "first"), year=("year", "first"),
                              surgery=("surgery", "first")).reset_index()
    data = coalsurv.CoalitionData.from_frame(
        ep, duration="time", event="event", id="id", covariates=["age", "year", "surgery"],
        time_unit="days", spells=sp[["id", "start", "stop", "transplant"]])
    return data, "age + year + surgery + transplant"


@pytest.mark.slow
@pytest.mark.parametrize("which", [_rossi, _stanford])
def test_default_piecewise_fit_has_no_divergences(which):
    """Default settings (1,000 draws x 4 chains). Before: Rossi 1-6, Stanford 6-14 divergences.

    Measured 2026-12-02: 64 s (Rossi) and 59 s (Stanford) on a shared 2-core machine.
    """
    data, formula = which()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoalsurvSamplingWarning)
        fit = coalsurv.SurvivalModel(formula, family="piecewise").fit(
            data, random_seed=2, progressbar=False)
    assert int(np.asarray(fit.idata["sample_stats"]["diverging"]).sum()) == 0
    assert fit.summary()["r_hat"].max() < 1.01
