"""The family table's plain PyMC baselines are coalsurv's models (benchmarks/plain_models.py).

The benchmark checks it on the posterior; these check it at points: the hand-written model's
log density equals coalsurv's built model's, variable for variable (the builders name their
free variables as coalsurv does).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench(shared_data):
    sys.path.insert(0, str(BENCH))
    import families
    import plain_models

    return families, plain_models


def _same_density(bench, row, tmp_path, *, seed=0):
    import pymc as pm

    families, plain_models = bench
    # the baselines are written non-centred; coalgov's frailty is centred by the auto rule
    model, _, info, _ = families.make_model(row, centring="noncentred").build(
        families.load_variant(families.ROWS[row][2])[0])
    path = tmp_path / "row.npz"
    plain_models.export(model, info, path)
    with np.load(path) as f:
        d = {k: f[k] for k in f.files}
    with pm.Model() as plain:
        plain_models.builder(families.ROWS[row][3])(d)
    rng = np.random.default_rng(seed)
    ours = {k: v + rng.normal(scale=0.3, size=np.shape(v)) for k, v in
            model.initial_point().items()}
    theirs = {k: np.reshape(ours[k], np.shape(v)) for k, v in plain.initial_point().items()}
    assert set(theirs) == set(ours), (sorted(theirs), sorted(ours))
    a, b = model.compile_logp()(ours), plain.compile_logp()(theirs)
    assert np.isfinite(a) and abs(a - b) < 1e-6 * max(1.0, abs(a)), (row, a, b)


def test_plain_baseline_has_coalsurv_log_density(bench, tmp_path):
    _same_density(bench, "weibull+cure", tmp_path)


@pytest.mark.slow  # the other 24 rows: 189 s for 16 at load 15-17 on 2 cores (57 s of CPU);
# weibull+tve and weibull+tve(pw) alone: 40 s at load 1.2 (16 s of CPU)
@pytest.mark.parametrize("row", ["weibull+interval", "piecewise", "exponential", "weibull",
                                 "weibull_aft", "lognormal", "loglogistic", "gompertz",
                                 "weibull+strata", "weibull+shape", "weibull+mm(power)",
                                 "weibull+mm(equal)", "weibull+tve(pw)", "gamma", "gengamma",
                                 "rp", "rp(odds)", "weibull+slopes", "piecewise+interval",
                                 "piecewise+cure", "lognormal+strata", "loglogistic+shape",
                                 "lognormal+cure(probit)", "weibull+tve"])
def test_every_plain_baseline_has_coalsurv_log_density(bench, row, tmp_path):
    _same_density(bench, row, tmp_path)


def test_agreement_names_the_largest_difference(bench):
    _, plain_models = bench
    ours = {"beta": [[0.0, 1.0], [1.0, 1.0]], "shape": [[2.0], [0.5]]}
    base = {"beta": [[0.1, 1.0], [1.0, 1.0]], "shape": [[2.3], [0.5]], "other": [[0.0], [1.0]]}
    worst, where = plain_models.agreement(ours, base)
    assert where == "shape[0]" and worst == pytest.approx(0.6)


def test_min_ess_counts_the_same_parameters_on_both_sides(bench, tmp_path):
    # the family table's ESS/s ratio compares min bulk ESS over families.ess_names on each side:
    # the weibull+slopes and rp rows' plain side once left out their slope SD / spline
    import pymc as pm

    families, plain_models = bench
    for row, extra in (("weibull+slopes", families.SLOPE_SD), ("rp", "rp_spline")):
        model, _, info, _ = families.make_model(row, centring="noncentred").build(
            families.load_variant(families.ROWS[row][2])[0])
        path = tmp_path / "row.npz"
        plain_models.export(model, info, path)
        with np.load(path) as f:
            d = {k: f[k] for k in f.files}
        with pm.Model() as plain:
            plain_models.builder(families.ROWS[row][3])(d)
        ours = families.ess_names(model.named_vars)
        assert ours == families.ess_names(plain.named_vars) and extra in ours, (row, ours)
