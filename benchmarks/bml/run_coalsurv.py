"""bml's coalition-survival vignette models fitted with coalsurv, side by side with bml's JAGS.

``bml_jags.R`` runs the JAGS models bml 0.9.0 generates for its vignette (``mod1``: equal
weights, ``mod2``: bml's logistic weights on the seat share) and writes ``jags_mod1.csv`` /
``jags_mod2.csv``. This script fits the same models with coalsurv (``family="weibull_aft"``,
the priors set to bml's), converts coalsurv's posterior to bml's parameterisation, and writes
``coalsurv_mod1.csv`` / ``coalsurv_mod2.csv`` and ``comparison.csv`` (and prints the table).

What is the same: data (coalgov, 628 governments; mod2 on the 2,070 memberships with
``pseat > 0``, as the R script), likelihood (Weibull AFT, log T = mu + epsilon / shape, right
censoring at ``dur_wkb`` when ``event_wkb == 0``), linear predictor ``1 + majority +
sum_k w_ik (finance_ik beta + u_k)``, ``u_k ~ Normal(0, sigma_mm)``, the weight functions
(``1/n``; ``1 / (1 + (n - 1) exp(-(b0 + b1 pseat)))`` normalised within the government) and the
priors as distributions: coefficients Normal(0, 100) (``dnorm(0, 1e-4)``), shape
Exponential(0.001), sigma_mm half-Cauchy(25) (``tau ~ dscaled.gamma(25, 1)``), b0, b1
Normal(0, 1).

What differs, and how it is handled:

* coalsurv standardises ``majority`` (over governments) and ``finance`` (over membership rows)
  and divides time by its median follow-up; its draws are converted back here: per original
  unit, log days, and the intercept at raw covariates 0 (``b[1]``):
  ``b1 = intercept + log(time_scale) - beta_maj * mean_maj / sd_maj - beta_fin * mean_fin /
  sd_fin`` (the weights sum to 1, so the centring of finance is a constant).
* coalsurv's AFT intercept and ``majority`` priors are on ``eta / sigma`` = ``eta * shape``
  (DEVELOPING.md, "AFT priors on eta/sigma"), bml's on log time; with SD-100 normal priors both
  are flat where the likelihood is, but the change of variables multiplies coalsurv's
  posterior by ``shape^2`` relative to bml's (one power per coefficient on that scale): it
  moves log shape up by about ``2 var(log shape)``, about a tenth of the shape's posterior SD
  here. The table also gives coalsurv's means reweighted by ``shape^-2`` (importance
  weights), which remove exactly that factor.
  The finance coefficient is on log time in both (``beta_unit[mm(finance)]``).
* Starting values: bml gives JAGS ``shape = 1``. coalsurv used to start these wide priors far
  in their tails (shape 1,000, sigma_mm 25: chains stuck, or every initial point failed on
  the native kernel); positive variables now start at PyMC's support point capped at 1
  (``backend/init.py``, ``native_buffer.support``), where bml starts shape.
* JAGS (slice / conjugate Gibbs, data-augmented censored times) against NUTS: both are exact
  in the limit; the Monte Carlo error is in the table (``z_mcse``: difference over the
  combined Monte Carlo standard error).

Run (after ``bml_jags.R``; from the repository root)::

    python benchmarks/bml/run_coalsurv.py              # both models, 4 x 2000 draws
    python benchmarks/bml/run_coalsurv.py --models mod1 --draws 500
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"

PRIORS = {
    "intercept": {"dist": "Normal", "mu": "auto", "sigma": 100.0},
    "beta": {"dist": "Normal", "mu": 0.0, "sigma": 100.0},
    "beta_unit[mm(finance)]": {"dist": "Normal", "mu": 0.0, "sigma": 100.0},
    "shape": {"dist": "Exponential", "lam": 0.001},
    "mm_sd": {"dist": "HalfCauchy", "beta": 25.0},
    "mm_b0": {"dist": "Normal", "mu": 0.0, "sigma": 1.0},
    "mm_b1": {"dist": "Normal", "mu": 0.0, "sigma": 1.0},
}
WEIGHTS = {"mod1": "equal", "mod2": "logistic"}


def coalgov_data(model: str):
    """Return coalgov as a CoalitionData; for ``mod2`` only the memberships with ``pseat > 0``."""
    import coalsurv as cs
    from coalsurv.datasets.coalgov import coalgov_governments

    gov, members = coalgov_governments(SHARED / "coalgov", return_members=True)
    if model == "mod2":
        members = members[members["share"] > 0]
    frame = gov.reset_index()[["gid", "dur_wkb", "ending", "majority"]]
    return cs.CoalitionData.from_frame(
        frame, duration="dur_wkb", event="ending", id="gid", censored="censored",
        causes=["conflict"], covariates=["majority"], members=members, time_unit="days")


def fit_model(model: str, *, draws: int, seed: int):
    import coalsurv as cs

    data = coalgov_data(model)
    formula = f"majority + mm(finance, weights='{WEIGHTS[model]}')"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = cs.SurvivalModel(formula, family="weibull_aft", priors=PRIORS).fit(
            data, draws=draws, tune=draws, chains=4, random_seed=seed, progressbar=False)
    return fit, time.perf_counter() - start


def bml_draws(fit) -> dict[str, np.ndarray]:
    """Return the posterior in bml's names and units, each ``(chain, draw)``."""
    post, info = fit.idata["posterior"], fit.info
    pick = {v: np.asarray(post[v]) for v in post.data_vars}
    j = list(info.terms).index("majority")
    m_maj, s_maj = info.means[j], info.sds[j]
    m_fin, s_fin = info.members["means"][0], info.members["sds"][0]
    b_maj = pick["beta"][..., 0, j] / s_maj
    b_fin = pick["beta_mm"][..., 0, 0] / s_fin
    out = {
        "b[1]": pick["intercept"][..., 0] + np.log(info.time_scale) - b_maj * m_maj
        - b_fin * m_fin,
        "b[2]": b_maj,
        "b.mm.1": b_fin,
        "shape": pick["shape"][..., 0],
        "sigma.mm.1": pick["sd_mm"][..., 0],
    }
    if "b0" in pick:
        out["b.w.1[1]"] = pick["b0"]
        out["b.w.1[2]"] = pick["b1"]
    return out


def summarise(draws: dict[str, np.ndarray], seconds: float) -> pd.DataFrame:
    """Posterior summaries; ``mean_reweighted`` undoes the ``shape^2`` of the AFT priors.

    coalsurv's (nearly flat) intercept and majority priors are on ``eta * shape``; bml's on
    ``eta``. The change of variables makes coalsurv's posterior bml's times ``shape^2``, so
    self-normalised importance weights ``shape^-2`` turn coalsurv's draws into draws of bml's
    posterior: if the models are the same, ``mean_reweighted`` matches bml's mean.
    """
    from coalsurv._stats import rank_diagnostics

    weight = draws["shape"].ravel() ** -2.0
    weight = weight / weight.sum()
    rows = []
    for name, x in draws.items():
        rhat, ess = rank_diagnostics(x, ess=True)
        flat = x.ravel()
        rows.append({"parameter": name, "mean": flat.mean(), "sd": flat.std(ddof=1),
                     "mean_reweighted": float(np.sum(weight * flat)),
                     "q05": np.quantile(flat, 0.05), "q95": np.quantile(flat, 0.95),
                     "ess": float(ess), "rhat": float(rhat), "draws": flat.size,
                     "seconds": round(seconds, 1)})
    return pd.DataFrame(rows)


def compare(model: str, ours: pd.DataFrame, jags: pd.DataFrame) -> pd.DataFrame:
    both = jags.merge(ours, on="parameter", suffixes=("_bml", "_coalsurv"))
    diff = both["mean_coalsurv"] - both["mean_bml"]
    mcse = np.sqrt(both["sd_bml"] ** 2 / both["ess_bml"]
                   + both["sd_coalsurv"] ** 2 / both["ess_coalsurv"])
    return pd.DataFrame({
        "model": model, "parameter": both["parameter"],
        "bml_mean": both["mean_bml"], "bml_sd": both["sd_bml"], "bml_ess": both["ess_bml"],
        "coalsurv_mean": both["mean_coalsurv"], "coalsurv_sd": both["sd_coalsurv"],
        "coalsurv_ess": both["ess_coalsurv"],
        "absdiff_over_sd": np.abs(diff) / both["sd_bml"],
        "sd_ratio": both["sd_coalsurv"] / both["sd_bml"],
        "z_mcse": diff / mcse,
        "coalsurv_mean_reweighted": both["mean_reweighted"],
        "absdiff_reweighted_over_sd": np.abs(both["mean_reweighted"] - both["mean_bml"])
        / both["sd_bml"],
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["mod1", "mod2"], choices=list(WEIGHTS))
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args(argv)
    out = Path(args.out)
    tables = []
    for model in args.models:
        fit, seconds = fit_model(model, draws=args.draws, seed=args.seed)
        ours = summarise(bml_draws(fit), seconds)
        ours.to_csv(out / f"coalsurv_{model}.csv", index=False)
        div = int(np.asarray(fit.idata["sample_stats"]["diverging"]).sum())
        print(f"{model}: coalsurv {seconds:.0f} s ({fit.sampler.get('kernel')}), "
              f"{div} divergences")
        jags_file = out / f"jags_{model}.csv"
        if not jags_file.exists():
            print(f"  {jags_file} missing: run bml_jags.R first; coalsurv alone:")
            print(ours.to_string(index=False))
            continue
        jags = pd.read_csv(jags_file)
        print(f"  bml/JAGS: {int(jags['draws'].iloc[0])} draws, {jags['seconds'].iloc[0]} s")
        tables.append(compare(model, ours, jags))
    if tables:
        table = pd.concat(tables, ignore_index=True)
        table.to_csv(out / "comparison.csv", index=False, float_format="%.6g")
        with pd.option_context("display.width", 200):
            print(table.round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
