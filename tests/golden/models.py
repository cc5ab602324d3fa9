"""The models whose outputs the golden test fixes (shared by the test and its generator).

Three models on the bundled synthetic data and one on King et al. (1990); each is fitted with
a fixed seed and small draws, and its summary, hazard ratios, survival, cumulative incidence,
LOO and saved-fit round trip are compared with the values stored in ``golden.json``.
Regenerate (only for a deliberate change of numbers, stated in the commit) with
``.venv/bin/python -m tests.golden.models``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).with_name("golden.json")
SETTINGS = {"draws": 200, "tune": 200, "chains": 2, "random_seed": 20261201,
            "progressbar": False}
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

#: the key of ``golden.json`` recording the library versions the values were generated with
VERSIONS_KEY = "_versions"
#: libraries whose versions can change the draws of a fixed seed (sampler, graph, kernels)
DRAW_PACKAGES = ("pymc", "pytensor", "nutpie", "numba", "numpy", "scipy", "arviz-base",
                 "arviz-stats", "pandas", "xarray", "formulaic")


def draw_versions() -> dict[str, str]:
    """Installed versions of the libraries in ``DRAW_PACKAGES`` (and Python)."""
    import sys
    from importlib.metadata import version

    out = {"python": ".".join(map(str, sys.version_info[:2]))}
    out.update({pkg: version(pkg) for pkg in DRAW_PACKAGES})
    return out


#: name -> (data set, formula, family, causes)
MODELS = {
    "synthetic_weibull_causes": ("synthetic", "breadth + power_hhi + (1 | group)", "weibull",
                                 ["dissolution", "goal_reached", "alliance"]),
    "synthetic_piecewise": ("synthetic", "breadth + power_hhi", "piecewise", None),
    "synthetic_lognormal": ("synthetic", "breadth + power_hhi + (1 | group)", "lognormal",
                            ["dissolution"]),
    "king_weibull_aft": ("king1990", "invest + polar + numst2 + fract", "weibull_aft", None),
}


def load_data(which: str):
    """The bundled synthetic data or King 1990 from ``../shared/data``."""
    import coalsurv

    if which == "synthetic":
        return coalsurv.datasets.load_synthetic()
    return coalsurv.datasets.load_king1990(SHARED_DATA / "king1990" / "coalition.txt")


def profiles(data) -> pd.DataFrame:
    """Two covariate profiles at the 25th and 75th percentiles of every covariate."""
    cov = data.covariates
    return pd.DataFrame({c: [float(cov[c].quantile(0.25)), float(cov[c].quantile(0.75))]
                         for c in cov.columns})


def outputs(fit, tmp: Path) -> dict:
    """Every number the golden test fixes for one fit."""
    data = fit.data
    new = profiles(data)
    times = [float(np.quantile(data.time, q)) for q in (0.25, 0.5, 0.75)]
    summary = fit.summary()
    ratios = fit.hazard_ratios()
    surv = fit.survival(times, new)
    out = {
        "summary": {r.parameter: [r.mean, r.sd, r.lower, r.upper, r.r_hat, r.ess_bulk]
                    for r in summary.itertuples()},
        "ratios": ratios[["mean", "median", "lower", "upper", "prob_above_1"]].to_numpy().tolist(),
        "survival": surv[["mean", "lower", "upper"]].to_numpy().tolist(),
        "loo": float(fit.loo().elpd),
    }
    if len(fit.info.causes) > 1:
        cif = fit.cumulative_incidence(times, new)
        out["cif"] = cif[["mean", "lower", "upper"]].to_numpy().tolist()
    path = fit.save(tmp / "golden_fit.nc")
    import coalsurv

    again = coalsurv.load_fit(path)
    out["roundtrip_survival_equal"] = bool(np.array_equal(
        again.survival(times, new)[["mean", "lower", "upper"]].to_numpy(),
        surv[["mean", "lower", "upper"]].to_numpy()))
    return out


def fit_model(name: str):
    """Fit one golden model."""
    import coalsurv

    which, formula, family, causes = MODELS[name]
    model = coalsurv.SurvivalModel(formula, family=family, causes=causes)
    return model.fit(load_data(which), **SETTINGS)


def main() -> None:  # pragma: no cover - regenerates the stored values
    """Fit every model and write ``golden.json``."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        values = {name: outputs(fit_model(name), Path(tmp)) for name in MODELS}
    values[VERSIONS_KEY] = draw_versions()
    GOLDEN.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":  # pragma: no cover
    main()
