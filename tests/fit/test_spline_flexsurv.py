"""Royston-Parmar spline against flexsurv's published results on its ``bc`` data (slow).

Source: chjackson/flexsurv, ``tests/testthat/test_spline.R`` (commit 59c42677c08e): with
``bc$recyrs = rectime / 365`` (this reproduces the file's Weibull log-likelihood
-873.207054864145 exactly),

* ``flexsurvspline(Surv(recyrs, censrec) ~ group, data=bc, k=1, scale="odds")``: gamma0,
  gamma1, gamma2 = -3.451, 2.915, 0.191 ("results from the paper", Royston & Parmar 2002),
  SEs 0.203, 0.298, 0.044;
* ``flexsurvspline(Surv(recyrs, censrec) ~ group, data=bc, k=0)``: gamma0, gamma1,
  groupMedium, groupPoor = -3.360303, 1.379652, 0.8465394, 1.672433 (Stata's stpm).

The data are flexsurv's ``data/bc.txt`` (686 rows: censrec, rectime, group), read from
``<shared data>/flexsurv/bc.txt`` or a local mirror of the flexsurv repository; the test skips
when neither is there (the data are not copied into this repository).
"""

from __future__ import annotations

import io
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.spec.priors import Prior, PriorSet

MIRROR = Path("/work/.mirror/chjackson+flexsurv/repo")
WEAK = PriorSet({"beta": Prior("Normal", mu=0.0, sigma=10.0),
                 "intercept": Prior("Normal", mu="auto", sigma=10.0),
                 "rp_slope": Prior("LogNormal", mu=0.0, sigma=3.0),
                 "rp_spline": Prior("Normal", mu=0.0, sigma=30.0)})


def _bc(shared_data_dir: Path | None) -> pd.DataFrame:
    path = shared_data_dir / "flexsurv" / "bc.txt" if shared_data_dir else None
    if path is not None and path.is_file():
        text = path.read_text()
    elif MIRROR.is_dir():
        text = subprocess.run(["git", "-C", str(MIRROR), "show", "HEAD:data/bc.txt"],
                              capture_output=True, text=True, check=True).stdout
    else:
        pytest.skip("flexsurv's bc data are not on this machine")
    df = pd.read_csv(io.StringIO(text), sep=r"\s+")
    df["recyrs"] = df["rectime"] / 365.0
    df["medium"] = (df["group"] == "Medium").astype(float)
    df["poor"] = (df["group"] == "Poor").astype(float)
    return df.reset_index(names="id")


def _flexsurv_draws(fit):
    """Posterior draws of flexsurv's (gamma0, gamma1, gamma2.., beta per unit)."""
    post = fit.idata["posterior"].to_dataset().stack(s=("chain", "draw"))
    info = fit.info
    beta = post["beta"].values[0].T / np.array(info.sds)
    eta0 = post["intercept"].values[0] - beta @ np.array(info.means)
    spline = post["rp_spline"].values[0].T if "rp_spline" in post else None
    gamma = fit.family.flexsurv_gamma(eta0, post["rp_slope"].values[0], spline)
    gamma[:, 0] -= gamma[:, 1] * np.log(info.time_scale)  # model time -> years
    return np.column_stack([gamma, beta])


# Measured: 31 s for both on the shared 2-core machine (686 rows, 2 x 1000 draws). Last run:
# k=1 odds median gaps -0.03, 0.02, 0.04 SD, posterior SDs 0.195, 0.296, 0.044 (flexsurv SEs
# 0.203, 0.298, 0.044); k=0 gaps 0.02, -0.07, -0.05, -0.09 SD.
@pytest.mark.slow
@pytest.mark.parametrize(("options", "published", "which"), [
    ({"k": 1, "scale": "odds"}, [-3.451, 2.915, 0.191], slice(0, 3)),
    ({"k": 0}, [-3.360303, 1.379652, 0.8465394, 1.672433], slice(0, 4)),
], ids=["k1-odds-paper", "k0-hazard-stpm"])
def test_reproduces_flexsurvs_published_coefficients(options, published, which):
    """Posterior medians under weak priors lie within 0.2 posterior SD of flexsurv's MLEs."""
    import os

    shared = Path(os.environ.get("COALSURV_SHARED_DATA", "/work/shared/data"))
    df = _bc(shared if shared.is_dir() else None)
    data = coalsurv.CoalitionData.from_frame(df, duration="recyrs", event="censrec", id="id",
                                             covariates=["medium", "poor"], time_unit="years")
    model = coalsurv.SurvivalModel("medium + poor", family="rp", priors=WEAK,
                                   family_options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=1000, tune=1000, chains=2, random_seed=1,
                        progressbar=False, target_accept=0.95)
    t, d = df["recyrs"].to_numpy(), df["censrec"].to_numpy() == 1
    knots = np.quantile(np.log(t[d]), np.linspace(0, 1, options["k"] + 2))  # flexsurv's
    np.testing.assert_allclose(np.array(fit.info.knots) + np.log(fit.info.time_scale), knots)
    draws = _flexsurv_draws(fit)[:, which]
    gap = (np.median(draws, axis=0) - np.array(published)) / draws.std(axis=0)
    print(options, "median gap / SD:", np.round(gap, 3), "posterior SD:",
          np.round(draws.std(axis=0), 3))
    assert np.all(np.abs(gap) < 0.2), np.round(gap, 3)
