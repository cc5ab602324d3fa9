"""Write models/king1990_posterior_prior.toml: the posterior of a King et al. (1990) fit as a prior.

Run from the repository root (needs ../shared/data/king1990/coalition.txt)::

    python models/make_king_prior.py

Model: Weibull proportional hazards of cabinet failure on the published covariates ``invest``
(investiture requirement), ``polar`` (polarisation), ``numst2`` (majority government),
``fract`` (fractionalisation) and ``crisis`` (formation-crisis days), with a country frailty;
4 chains x 1000 draws, target_accept 0.95, seed 1990. The export is
``PriorSet.from_fit(fit, discount=1.0, components=1)``: one multivariate normal over the
per-unit coefficients, log shape and log frailty SD (their correlations kept) — the readable
form shipped here; ``components="auto"`` (the default of ``from_fit``) would fit a mixture where
the posterior is not normal. The baseline (intercept) is not carried (a new study has its own).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORMULA = "invest + polar + numst2 + fract + crisis + (1 | country)"
OUT = ROOT / "models" / "king1990_posterior_prior.toml"


def main() -> int:
    """Fit King (1990) and write the exported prior set."""
    import coalsurv
    from coalsurv.datasets import load_king1990

    data = load_king1990(ROOT.parent / "shared" / "data" / "king1990" / "coalition.txt")
    model = coalsurv.SurvivalModel(FORMULA, family="weibull", name="king1990")
    fit = model.fit(data, draws=1000, tune=1000, chains=4, random_seed=1990, target_accept=0.95,
                    progressbar=False,
                    command="python models/make_king_prior.py")
    priors = coalsurv.PriorSet.from_fit(fit, discount=1.0, components=1,
                                        name="king1990 posterior")
    priors = coalsurv.PriorSet(priors.priors, priors.name,
                               "Posterior of a Weibull PH fit with country frailty on King et al. "
                               "(1990) cabinet durations (months), as a joint prior per original "
                               "unit (written by models/make_king_prior.py).",
                               {**priors.provenance, "script": "models/make_king_prior.py"})
    priors.save(OUT)
    print(f"wrote {OUT}: fit {fit.fit_id}")
    print(fit.hazard_ratios().query("scale == 'per unit'").to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
