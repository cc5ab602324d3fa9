"""A no-covariate multi-state fit on each real transformation design agrees with Aalen-Johansen.

Per design (ATOP deepening and institutionalisation, ParlGov reformation and mergers): one
piecewise-exponential hazard per declared transition (``"1"``, 12 intervals, forward clock),
2 chains x 200 draws; the posterior mean state occupancy is within 0.03 of the Aalen-Johansen
estimate at the quartiles of follow-up (per unit, time of its last sojourn's end). Largest
differences measured (seed 3): 0.015, 0.024, 0.014, 0.002. Measured on the 2-core machine
shared with other sessions (``pytest -m slow --durations=0``): 37 s for the file with the
compiled kernels cached (15, 4, 5 and 8 s per design); with a fresh cache the first fit also
compiles them (about 50 s more).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import coalsurv
from coalsurv.datasets import load_atop_transformation, load_parlgov_transformation
from coalsurv.datasets.transformation_atop import TRANSITIONS as ATOP_TRANSITIONS
from coalsurv.datasets.transformation_parlgov import TRANSITIONS as PARLGOV_TRANSITIONS

pytestmark = pytest.mark.slow

SETTINGS = {"draws": 200, "tune": 200, "chains": 2, "progressbar": False, "random_seed": 3}


@pytest.mark.parametrize(("source", "design", "first"), [
    ("atop", "deepening", "shallow"), ("atop", "institutionalisation", "deep"),
    ("parlgov", "reformation", "coalition"), ("parlgov", "mergers", "partners"),
])
def test_no_covariate_fit_matches_aalen_johansen(shared_data: Path, source, design, first):
    if source == "atop":
        data = load_atop_transformation(shared_data / "atop", design=design)
        transitions = ATOP_TRANSITIONS[design]
    else:
        data = load_parlgov_transformation(shared_data / "parlgov", design=design)
        transitions = PARLGOV_TRANSITIONS[design]
    model = coalsurv.MultiStateModel({k: "1" for k in transitions}, family="piecewise",
                                     clock="forward", family_options={"n_intervals": 12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, **SETTINGS)
    stop = data.frame.groupby("id")["stop"].max()
    quartiles = np.quantile(stop, [0.25, 0.5, 0.75])
    aj = coalsurv.aalen_johansen(data, quartiles, start=first)
    ours = fit.state_occupancy(quartiles, None, start=first)
    both = ours.merge(aj, on=["time", "state"])
    assert len(both) == len(aj)
    assert np.max(np.abs(both["mean"] - both["occupancy"])) < 0.03, both
