"""Members nested in a frailty factor (parties in countries): forms of the two effects.

Issue 21: on coalgov (``majority + mm(finance + cohesion, weights=...) + (1 | cname)``,
Weibull PH) every party belongs to one country, and with weights summing to one a coalition's
``v_c + sum_k w_ik u_k`` is ``sum_k w_ik a_k`` with the member totals ``a_k = v_c(k) + u_k``:
the likelihood sees only ``a``, and ``v_c`` against its parties' ``u_k`` is a ridge. This
script fits the same model (plain PyMC graph, sampled with nutpie, 4 chains) in several exact
parameterisations of ``(v, u)`` and prints the bulk ESS of ``sd_cname``, ``sd_mm`` and the
minimum over the shared parameters, per seed:

* ``nc`` — today's form: ``v = sd_c z_c``, ``u = sd_mm z_k``, ``z ~ Normal(0, 1)``;
* ``acent`` — the member totals centred on the country: ``a_k ~ Normal(v_c(k), sd_mm)``,
  ``v = sd_c z_c`` (``u = a - v``);
* ``ccent`` — ``v_c ~ Normal(0, sd_c)`` and ``a_k ~ Normal(v_c(k), sd_mm)`` (both centred);
* ``rotc`` / ``rotn`` — country mean and within-country contrasts: with ``n_c`` parties in
  country ``c`` and ``z_k = zbar_c + e_k`` (``e`` summing to zero within each country),
  ``m_c = v_c + sd_mm zbar_c ~ Normal(0, S_c)``, ``S_c^2 = sd_c^2 + sd_mm^2 / n_c``, sampled
  centred (``rotc``) or as ``S_c`` times a standard normal (``rotn``); ``e`` as standard
  normal coordinates of an orthonormal basis of each country's zero-sum space; ``s_c ~
  Normal(0, 1)`` (the part of ``(z_c, sqrt(n_c) zbar_c)`` orthogonal to ``m_c``, a rotation
  by the angle ``atan(sd_mm / (sqrt(n_c) sd_c))``) gives back ``v_c = sd_c^2 m_c / S_c^2 -
  sd_c sd_mm s_c / (sqrt(n_c) S_c)``; ``a_k = m_c + sd_mm e_k``. Every map is linear with a
  unit Jacobian given the SDs (``rotc``: ``-log S_c`` per country), so all five forms are
  the same posterior.

Run: ``python benchmarks/member_nesting.py coalgov-equal rotc --seeds 1 2 3 4`` (one row and
form per call; ``--draws``, default 1000 draws + 1000 tuning steps). Prints one JSON line per
seed (``sample_s`` is nutpie's sampling time, without compilation) and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import members  # noqa: E402

FORMS = ("nc", "acent", "ccent", "rotc", "rotn")


def nesting(member: np.ndarray, coalition: np.ndarray, country: np.ndarray) -> np.ndarray:
    """Country of each member; SystemExit if a member sits in coalitions of two countries."""
    of = np.full(int(member.max()) + 1, -1)
    for m, c in zip(member, country[coalition], strict=True):
        if of[m] not in (-1, c):
            raise SystemExit(f"member {m} belongs to two countries: not nested")
        of[m] = c
    return of


def contrast_basis(of: np.ndarray, n_levels: int) -> np.ndarray:
    """(members, members - levels): orthonormal bases of each level's zero-sum space."""
    K = of.size
    E = np.zeros((K, K - n_levels))
    col = 0
    for c in range(n_levels):
        idx = np.flatnonzero(of == c)
        k = idx.size
        if k > 1:
            q, _ = np.linalg.qr(np.vstack([np.ones(k), np.eye(k)[:-1]]).T)
            E[np.ix_(idx, np.arange(col, col + k - 1))] = q[:, 1:]
            col += k - 1
    return E


def build(row: str, form: str):
    """Return the plain PyMC model of ``row`` (members.py's baseline) in ``form``."""
    import pandas as pd
    import pymc as pm
    import pytensor.tensor as pt

    weights = members.ROWS[row][0]
    data, _ = members.load_row(row)
    x = data.covariates["majority"].to_numpy(dtype=float)
    x = (x - x.mean()) / x.std()
    _, country = np.unique(data.groups["cname"].to_numpy(), return_inverse=True)
    t = np.asarray(data.time, dtype=float) / np.median(data.time)
    event = (np.asarray(data.status) == 1).astype(float)
    upper = np.where(event == 1, np.inf, t)
    mb = data.members
    coal = pd.Index(data.ids).get_indexer(mb["id"])
    member = pd.factorize(mb["member"].astype(str), sort=True)[0]
    of = nesting(member, coal, country)
    K, C = int(of.size), int(country.max()) + 1
    n_c = np.bincount(of, minlength=C)
    M = mb[["finance", "cohesion"]].to_numpy(dtype=float)
    M = (M - M.mean(0)) / M.std(0)
    share = mb["share"].to_numpy(dtype=float)
    n = len(t)
    names = ["beta", "intercept", "shape", "sd_cname", "sd_mm", "beta_mm"]
    with pm.Model() as model:
        beta = pm.Normal("beta", 0, 1)
        intercept = pm.Normal("intercept", np.log(event.sum() / t.sum()), 1)
        shape = pm.LogNormal("shape", 0, 0.5)
        sd_c = pm.HalfNormal("sd_cname", 1)
        sd_m = pm.HalfNormal("sd_mm", 1)
        if form == "nc":
            a = (sd_c * pm.Normal("z_cname", 0, 1, shape=C))[of] + sd_m * pm.Normal(
                "z_mm", 0, 1, shape=K)
        elif form == "acent":
            v = sd_c * pm.Normal("z_cname", 0, 1, shape=C)
            a = pm.Normal("a_mm", v[of], sd_m, shape=K)
        elif form == "ccent":
            v = pm.Normal("v_cname", 0, sd_c, shape=C)
            a = pm.Normal("a_mm", v[of], sd_m, shape=K)
        else:
            S = pt.sqrt(sd_c ** 2 + sd_m ** 2 / n_c)
            m = (pm.Normal("m_cname", 0, S, shape=C) if form == "rotc"
                 else S * pm.Normal("mt_cname", 0, 1, shape=C))
            s = pm.Normal("s_cname", 0, 1, shape=C)
            pm.Deterministic("v_cname", sd_c ** 2 * m / S ** 2
                             - sd_c * sd_m * s / (np.sqrt(n_c) * S))
            a = m[of] + sd_m * pt.dot(contrast_basis(of, C), pm.Normal("e_mm", 0, 1,
                                                                        shape=K - C))
        beta_m = pm.Normal("beta_mm", 0, 1, shape=2)
        if weights == "power":
            gamma = pm.HalfNormal("gamma", 1.5)
            names.append("gamma")
            raw = pt.exp(gamma * np.log(share))
        else:
            raw = pt.ones(len(share))
        w = raw / pt.zeros(n)[coal].inc(raw)[coal]
        theta = pt.zeros(n)[coal].inc(w * (pt.dot(M, beta_m) + a[member]))
        eta = intercept + beta * x + theta
        dist = pm.Weibull.dist(alpha=shape, beta=pt.exp(-eta / shape))
        pm.Censored("t", dist, lower=None, upper=upper, observed=t)
    return model, names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("row", choices=["coalgov-equal", "coalgov-power"])
    parser.add_argument("form", choices=FORMS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args(argv)
    import arviz_stats as azs
    import nutpie

    model, names = build(args.row, args.form)
    start = time.time()
    compiled = nutpie.compile_pymc_model(model)
    compile_s = time.time() - start
    for seed in args.seeds:
        start = time.time()
        idata = nutpie.sample(compiled, draws=args.draws, tune=args.draws, chains=4, seed=seed,
                              progress_bar=False)
        sample_s = time.time() - start
        ess = azs.ess(idata, method="bulk")
        each = {v: round(float(np.min(np.asarray(ess[v])))) for v in ess.data_vars}
        post = idata["posterior"]
        print(json.dumps({
            "row": args.row, "form": args.form, "seed": seed, "compile_s": round(compile_s, 1),
            "sample_s": round(sample_s, 1),
            "steps": round(float(np.asarray(idata["sample_stats"]["n_steps"]).mean()), 1),
            "divergences": int(np.asarray(idata["sample_stats"]["diverging"]).sum()),
            "ess_min_shared": min(each[n] for n in names), "ess_sd_cname": each["sd_cname"],
            "ess_sd_mm": each["sd_mm"], "lowest": min(each, key=each.get),
            "mean_sd_cname": round(float(post["sd_cname"].mean()), 3),
            "mean_sd_mm": round(float(post["sd_mm"].mean()), 3),
            "load": round(os.getloadavg()[0], 1)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
