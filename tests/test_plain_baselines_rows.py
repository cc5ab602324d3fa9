"""The plain PyMC baselines of the family table's newer rows are coalsurv's models.

``benchmarks/plain_models_rows.py`` writes, by hand, the models of the rows that
``benchmarks/family_rows.py`` makes (two causes, crossed and nested frailties, delayed entry,
spells, replication priors, a multi-state transition); as ``test_plain_baselines.py`` does for
the others, these check that each one's log density equals coalsurv's built model's at random
points, variable for variable.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench(shared_data, tmp_path_factory):
    sys.path.insert(0, str(BENCH))
    import families
    import family_rows
    import plain_models

    # the joint rows' prior (a fit of half of coalgov) is made here, not in the user's cache
    family_rows.PRIOR_DIR = tmp_path_factory.mktemp("priors")
    return families, family_rows, plain_models


def _same_density(bench, row, tmp_path, *, seed=0):
    import pymc as pm

    families, family_rows, plain_models = bench
    path = tmp_path / "row.npz"
    families.export_row(row, path)
    # the baselines are written non-centred; coalgov's frailty is centred by the auto rule
    model, _, _ = family_rows.built(families.make_model(row, centring="noncentred"),
                                    families.load_variant(families.ROWS[row][2])[0])
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


@pytest.mark.slow  # 8 rows: 39 s at load 6-8 (14 s of CPU), 131 s at load 4-9 (the joint rows fit
# their prior once, 4 x 500 draws)
@pytest.mark.parametrize("row", ["weibull+causes", "weibull+crossed", "weibull+nested",
                                 "weibull+entry", "weibull+spells", "weibull+joint(mvn)",
                                 "weibull+joint(mixture)", "weibull+multistate"])
def test_row_baseline_has_coalsurv_log_density(bench, row, tmp_path):
    _same_density(bench, row, tmp_path)
