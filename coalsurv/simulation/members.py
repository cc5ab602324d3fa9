"""Member tables of simulated coalitions and the coalition-level covariates derived from them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from coalsurv.data.covariates import coalition_covariates

__all__ = ["draw_members", "member_covariates"]


def draw_members(rng: np.random.Generator, m: int, p: dict[str, Any]) -> pd.DataFrame:
    """Member table for ``m`` coalitions numbered 0..m-1."""
    n = rng.integers(p["min_members"], p["max_members"] + 1, size=m)
    k = int(p["n_issues"])
    rows = int(n.sum())
    cid = np.repeat(np.arange(m), n)
    # Dirichlet shares via normalised gammas
    g = rng.gamma(p["share_concentration"], size=rows)
    share = g / np.bincount(cid, weights=g)[cid]
    # positions around a coalition centre with a coalition-specific spread
    centre = rng.uniform(2.0, 8.0, size=m)
    spread = p["position_spread"] * np.exp(0.5 * rng.standard_normal(m))
    position = np.clip(centre[cid] + spread[cid] * rng.standard_normal(rows), 0.0, 10.0)
    # issue portfolios: coalition cohesion and core agenda
    cohesion = rng.beta(p["cohesion_a"], p["cohesion_b"], size=m)
    core = rng.random((m, k)) < p["issue_prevalence"]
    none = ~core.any(axis=1)
    core[none, rng.integers(0, k, size=int(none.sum()))] = True
    prob = np.where(core[cid], 0.35 + 0.6 * cohesion[cid, None], 0.35 * (1 - cohesion[cid, None]))
    held = rng.random((rows, k)) < prob
    empty = np.flatnonzero(~held.any(axis=1))
    for r in empty:  # each member holds at least one area: a random core area
        held[r, rng.choice(np.flatnonzero(core[cid[r]]))] = True
    member = np.arange(rows) - np.repeat(np.cumsum(n) - n, n) + 1
    out = pd.DataFrame({"cid": cid, "member": [f"M{j}" for j in member], "share": share,
                        "position": position})
    for j in range(k):
        out[f"issue_{j + 1}"] = held[:, j].astype(np.int64)
    return out


def member_covariates(members: pd.DataFrame, k: int) -> pd.DataFrame:
    """Compute the simulator's covariates (``COVARIATES``), one row per coalition."""
    cov = coalition_covariates(
        members, id="cid", share="share", position="position",
        issues=[f"issue_{j + 1}" for j in range(k)], quota="majority",
    )
    return pd.DataFrame({
        "n_members": cov["n_members"].astype(float),
        "power_hhi": cov["power_hhi"],
        "power_hhi_sq": cov["power_hhi"] ** 2,
        "leader_share": cov["leader_share"],
        "banzhaf_max": cov["banzhaf_max"],
        "breadth": cov["interest_jaccard"],
        "ideological_breadth": cov["breadth_sd"],
    })
