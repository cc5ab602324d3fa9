"""The Royston-Parmar spline baseline (family ``rp``) in fits: one tiny fit, every prediction.

Competing causes, frailty, the native kernel, monotone posterior draws, the saved fit's knots
and predictions. Slow statistical checks: tests/fit/test_spline_slow.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import coalsurv


# Measured: 35-90 s on the shared 2-core machine when it compiled the graph (now native).
def test_tiny_spline_fit_predicts_and_round_trips(tiny_fit, synthetic_small, tmp_path):
    fit = tiny_fit(synthetic_small, "breadth + (1 | group)", family="rp",
                   family_options={"k": 1})
    assert fit.sampler["kernel"] == "native", fit.sampler  # backend/kernel_spline.py
    assert len(fit.info.knots) == 3 and fit.info.spline_scale == "hazard"
    post = fit.idata["posterior"]
    assert post["rp_spline"].dims[-2:] == ("cause", "knot")
    assert post["rp_spline"].shape[-2:] == (len(fit.info.causes), 1)
    fam = fit.family
    lowest = fam.min_slope(post["rp_slope"].values, post["rp_spline"].values)
    assert np.all(lowest > 0)  # every draw is an increasing spline (the monotone bound)
    labels = set(fit.summary()["parameter"])
    assert any(lab.startswith("rp_slope") for lab in labels)
    assert any(lab.startswith("rp_spline") for lab in labels)
    new = pd.DataFrame({"breadth": [0.2, 0.8]})
    times = [0.5, 2.0, 10.0, 40.0]
    surv = fit.survival(times, new)
    assert np.all(np.diff(surv.pivot(index="time", columns="row", values="mean").to_numpy(),
                          axis=0) < 0)
    cif = fit.cumulative_incidence(times, new)
    total = cif.groupby(["row", "time"])["mean"].sum().to_numpy()
    # incidences integrate the hazards numerically: they sum to 1 - S to quadrature accuracy
    np.testing.assert_allclose(total, 1 - surv.sort_values(["row", "time"])["mean"], atol=2e-3)
    assert np.all(np.isfinite(fit.hazard(times, new)["mean"]))
    median = fit.median_lifespan(new)["mean"].to_numpy()
    assert np.all(np.isfinite(median) & (median > 0))
    rmst = fit.rmst(10.0, new)["mean"].to_numpy()
    assert np.all((rmst > 0) & (rmst <= 10.0))
    saved = fit.save(tmp_path / "rp.nc")
    back = coalsurv.load_fit(saved)
    assert back.info.knots == fit.info.knots and back.family == fit.family
    pd.testing.assert_frame_equal(back.survival(times, new), surv)
    priors = coalsurv.PriorSet.from_fit(fit, joint=False)
    exported = {key.split("[")[0] for key in priors.priors}
    # the slope carries over; the spline coefficients belong to this data's knots (as the
    # piecewise baseline's steps belong to its cuts) and are not exported
    assert "rp_slope" in exported and "rp_spline" not in exported
