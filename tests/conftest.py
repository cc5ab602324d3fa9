"""Shared fixtures: location of the real data sets beside the repository."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the real data sets (``../shared/data``); skip when genuinely absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (fresh clone without ../shared)")
    return SHARED_DATA


#: Settings of the tiny fits of the fast suite (statistical validation uses more, marked slow).
TINY = {"draws": 200, "tune": 200, "chains": 2, "progressbar": False}


@pytest.fixture(scope="session")
def tiny_fit():
    """Factory of tiny fits shared by the whole session.

    ``tiny_fit(data, formula, family="weibull", causes=None, seed=1, **options)`` fits once per
    distinct request (the same data object, formula, family, causes, seed and options) and
    returns the same :class:`coalsurv.Fit` to every test that asks again. Sampler warnings of
    these deliberately short chains are silenced.
    """
    import warnings

    import coalsurv

    cache: dict[tuple, object] = {}

    def make(data, formula, *, family="weibull", causes=None, seed=1, name="", priors=None,
             family_options=None, **settings):
        key = (id(data), formula, family, tuple(causes) if causes else None, seed, name,
               repr(priors), repr(family_options), tuple(sorted(settings.items())))
        if key not in cache:
            model = coalsurv.SurvivalModel(formula, family=family, causes=causes, priors=priors,
                                           family_options=family_options, name=name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cache[key] = model.fit(data, random_seed=seed, **{**TINY, **settings})
        return cache[key]

    return make


@pytest.fixture(scope="session")
def synthetic_small():
    """The first 120 episodes of the bundled synthetic data, one object per session.

    Tiny fits of it (``tiny_fit(synthetic_small, "breadth + (1 | group)")``) are shared by the
    bad-input and crash-during-save tests.
    """
    import numpy as np

    import coalsurv

    return coalsurv.datasets.load_synthetic().subset(np.arange(600) < 120)
