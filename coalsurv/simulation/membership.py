"""Member-level histories for multiple-membership models (``mm()``, issue 21).

A pool of recurring members (parties, states), each with its own frailty ``u_k ~ Normal(0,
sigma_m)`` and trait ``trait_k ~ Normal(0, 1)``, forms coalitions of 2..``max_size`` members
(drawn without replacement, popular members more often); shares are Dirichlet(1). A member's
covariate in a coalition is its trait plus membership noise (SD ``noise``), so it varies
across the member's coalitions. The member term is

    theta_i = sum_k w_ik (x_ik beta_m + u_k),   w_ik = share_ik^gamma / sum_j share_ij^gamma

(power weights with a known ``gamma``) and lifetimes are Weibull PH with
``eta_i = intercept + beta * z_i + theta_i`` (``z_i`` a coalition covariate), censored at
``censor_time`` (a quantile of the uncensored times by default).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["simulate_membership"]


def simulate_membership(
    n_coalitions: int = 300,
    n_members: int = 80,
    *,
    beta_m: float = 0.5,
    sigma_m: float = 0.5,
    gamma: float = 1.0,
    beta: float = -0.3,
    intercept: float = -1.0,
    shape: float = 1.2,
    max_size: int = 5,
    noise: float = 0.5,
    censor_quantile: float = 0.8,
    seed: int = 0,
) -> tuple[Any, dict[str, Any]]:
    """Simulate coalitions formed from recurring members; return (CoalitionData, truth).

    The data have covariate ``z`` and a members table (``id``, ``member``, ``share``,
    ``x``); cause ``"end"``. ``truth`` holds the parameters, each member's ``u`` and each
    coalition's ``theta``.
    """
    from coalsurv.data.episodes import CoalitionData

    rng = np.random.default_rng(seed)
    u = rng.normal(0.0, sigma_m, n_members)
    trait = rng.normal(0.0, 1.0, n_members)
    popularity = rng.dirichlet(np.full(n_members, 2.0))
    sizes = rng.integers(2, max_size + 1, n_coalitions)
    rows = []
    theta = np.zeros(n_coalitions)
    for i, n in enumerate(sizes):
        who = rng.choice(n_members, size=n, replace=False, p=popularity)
        share = rng.dirichlet(np.ones(n))
        x = trait[who] + rng.normal(0.0, noise, n)
        w = share**gamma / np.sum(share**gamma)
        theta[i] = np.sum(w * (x * beta_m + u[who]))
        rows += [{"id": f"c{i}", "member": f"m{k}", "share": s, "x": xk}
                 for k, s, xk in zip(who, share, x, strict=True)]
    z = rng.normal(0.0, 1.0, n_coalitions)
    eta = intercept + beta * z + theta
    t = (rng.exponential(1.0, n_coalitions) / np.exp(eta)) ** (1.0 / shape)
    cut = float(np.quantile(t, censor_quantile))
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(n_coalitions)],
                          "duration": np.minimum(t, cut),
                          "ending": np.where(t <= cut, "end", "censored"), "z": z})
    data = CoalitionData.from_frame(frame, duration="duration", event="ending", id="id",
                                    covariates=["z"], members=pd.DataFrame(rows),
                                    time_unit="days", name="simulated membership")
    truth = {"beta_m": beta_m, "sigma_m": sigma_m, "gamma": gamma, "beta": beta,
             "intercept": intercept, "shape": shape, "censor_time": cut,
             "u": dict(zip([f"m{k}" for k in range(n_members)], u, strict=True)),
             "theta": dict(zip(frame["id"], theta, strict=True))}
    return data, truth
