"""Geometry of a family-table fit: the posterior's covariance against nutpie's mass matrix.

Why the ``mm()`` rows take 15 leapfrog steps a draw (BENCHMARKS "mm() rows: what sets the
leapfrog steps"). Fits a family-table row (coalgov, ``(1 | cname)``; :mod:`families`) with
nutpie told to keep the unconstrained draws and its adapted diagonal mass matrix, then
reports, from the 4 x ``--draws`` draws:

* leapfrog steps per draw, step size, tree depth, min bulk ESS per variable, posterior means;
* the posterior covariance ``Sigma`` of the unconstrained draws scaled by the adapted
  inverse mass matrix ``D`` (``D^-1/2 Sigma D^-1/2``, the identity for a perfect diagonal
  preconditioner of a Gaussian): its extreme eigenvalues and condition number, the blocks
  that load on the extreme eigenvectors, ``Sigma_ii / D_i`` per block and the largest
  correlations. NUTS's step size is bounded by the smallest scaled scale and by the
  dimension (about ``d^-1/4``, :mod:`mm_steps_iid`), its trajectory must span the largest.

``--adaptation`` / ``--option k=v`` pass nutpie settings (e.g. ``--option target_accept=0.7``,
``--option maxdepth=3``, ``--adaptation draw_diag``) so that their effect on the same fit can
be measured; ``--kernel pymc`` fits the PyMC graph instead of the native kernel.

Run: ``PYTHONPATH=$PWD python benchmarks/mm_geometry.py "weibull+mm(power)" --seed 1``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import families  # noqa: E402
import family_rows  # noqa: E402


class _Shim:
    """nutpie with extra keyword arguments for ``sample``."""

    def __init__(self, mod, extra):
        self._mod, self._extra = mod, extra

    def __getattr__(self, name):
        return getattr(self._mod, name)

    def sample(self, *args, **kwargs):
        return self._mod.sample(*args, **{**kwargs, **self._extra})


def _install(extra: dict) -> None:
    from coalsurv.backend import sampling
    from coalsurv.backend.nutpie_import import import_nutpie

    real = import_nutpie()
    sampling.import_nutpie = lambda: _Shim(real, extra)
    plan = sampling._plan

    def recording(model, native):
        kplan, reason = plan(model, native)
        _PLANS.append(kplan)
        return kplan, reason

    sampling._plan = recording


_PLANS: list = []


def _labels() -> list[str]:
    """Name of each unconstrained coordinate: the native plan's blocks (the graph's names)."""
    kplan = _PLANS[-1] if _PLANS else None
    if kplan is None:
        return []
    rot = getattr(kplan, "rotation", None)
    if rot is not None:
        named = [(n, int(np.prod(s))) for n, _, s in rot.outer]
    else:
        named = [(b.name, b.size) for b in sorted(kplan.blocks, key=lambda b: b.offset)]
    out = []
    for name, size in named:
        out += [f"{name}[{i}]" for i in range(size)]
    return out


def final_inverse_mass(idata) -> np.ndarray:
    """(chain, ndim): the scale (square root of the inverse mass) each chain ended tuning with.

    nutpie's ``mass_matrix_inv`` statistic holds its diagonal transformation's standard
    deviations (checked: the square root of ``sqrt(Var(x) / Var(grad))`` of the draws), only
    at the draws where it changed (NaN elsewhere; none after tuning).
    """
    inv = np.asarray(idata["warmup_sample_stats"]["mass_matrix_inv"])
    out = []
    for chain in inv:
        set_at = np.flatnonzero(~np.isnan(chain).any(axis=1))
        out.append(chain[set_at[-1]])
    return np.array(out)


def analyse(idata, top: int = 8) -> dict:
    """Geometry summary of one fit (see the module docstring)."""
    import arviz_stats as azs

    ss = idata["sample_stats"]
    draws = np.asarray(ss["unconstrained_draw"])  # (chain, draw, ndim)
    C, N, d = draws.shape
    flat = draws.reshape(C * N, d)
    D = (final_inverse_mass(idata) ** 2).mean(axis=0)
    cov = np.cov(flat, rowvar=False)
    scaled = cov / np.sqrt(np.outer(D, D))
    ev, vec = np.linalg.eigh(scaled)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    labels = _labels()
    if len(labels) != d:
        labels = [f"x[{i}]" for i in range(d)]
    blocks = [lab.split("[")[0] for lab in labels]

    def loading(v):
        w = {}
        for b, x in zip(blocks, v, strict=True):
            w[b] = w.get(b, 0.0) + float(x * x)
        return dict(sorted(w.items(), key=lambda kv: -kv[1])[:4])

    iu = np.triu_indices(d, 1)
    order = np.argsort(-np.abs(corr[iu]))[:top]
    ess = azs.ess(idata["posterior"].to_dataset(), method="bulk")
    ess_min = {n: float(np.min(ess[n].values)) for n in ess.data_vars}
    diag_ratio = np.diag(scaled)
    per_block = {}
    for b in dict.fromkeys(blocks):
        r = diag_ratio[[i for i, x in enumerate(blocks) if x == b]]
        per_block[b] = (round(float(np.median(r)), 2), round(float(r.min()), 2),
                        round(float(r.max()), 2))
    return {
        "ndim": d,
        "n_steps": float(np.asarray(ss["n_steps"]).mean()),
        "step_size": float(np.asarray(ss["step_size"]).mean()),
        "divergences": int(np.asarray(ss["diverging"]).sum()) if "diverging" in ss else -1,
        "depth": float(np.asarray(ss["depth"]).mean()) if "depth" in ss else float("nan"),
        "eig_top": [round(float(x), 3) for x in ev[::-1][:5]],
        "eig_bottom": [round(float(x), 4) for x in ev[:5]],
        "condition": float(ev[-1] / ev[0]),
        "top_vectors": [loading(vec[:, -k]) for k in (1, 2, 3)],
        "bottom_vectors": [loading(vec[:, k]) for k in (0, 1, 2)],
        "var/D per block (median, min, max)": per_block,
        "var/D worst": sorted(((labels[i], round(float(diag_ratio[i]), 3))
                                     for i in np.argsort(-np.abs(np.log(diag_ratio)))[:top]),
                                    key=lambda t: -abs(np.log(t[1]))),
        "top correlations": [(labels[iu[0][k]], labels[iu[1][k]],
                              round(float(corr[iu][k]), 3)) for k in order],
        "ess_min": dict(sorted(ess_min.items(), key=lambda kv: kv[1])[:8]),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("row")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--adaptation", default=None)
    ap.add_argument("--option", action="append", default=[],
                    help="nutpie sample keyword k=v (v evaluated as a Python literal)")
    ap.add_argument("--kernel", default="auto", help="fit(kernel=...): auto or pymc")
    ap.add_argument("--save", default=None, help="npz of the draws and mass matrices")
    args = ap.parse_args(argv)
    import ast

    extra = {"store_unconstrained": True, "store_mass_matrix": True}
    if args.adaptation:
        extra["adaptation"] = args.adaptation
    for kv in args.option:
        k, v = kv.split("=", 1)
        extra[k] = ast.literal_eval(v)
    _install(extra)
    model = families.make_model(args.row)
    data, _ = families.load_variant(families.ROWS[args.row][2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        fit = family_rows.fit_row(model, data, random_seed=args.seed, draws=args.draws,
                                  tune=args.draws, chains=4, progressbar=False, kernel=args.kernel)
        wall = time.perf_counter() - t
    post = fit.idata["posterior"]
    print(f"row {args.row} seed {args.seed} extra {extra} wall {wall:.2f} s "
          f"sampling {post.attrs.get('sampling_time')} load {os.getloadavg()[0]:.2f}")
    if args.save:
        ss = fit.idata["sample_stats"]
        np.savez(args.save, draws=np.asarray(ss["unconstrained_draw"]),
                 inv=final_inverse_mass(fit.idata), labels=np.array(_labels()),
                 n_steps=np.asarray(ss["n_steps"]))
    for k, v in analyse(fit.idata).items():
        print(f"  {k}: {v}")
    means = {n: np.round(np.asarray(post[n].mean(("chain", "draw"))).ravel()[:6], 3).tolist()
             for n in ("intercept", "beta", "shape", "sd_cname", "sd_mm", "beta_mm", "gamma")
             if n in post}
    print("  means:", means)


if __name__ == "__main__":
    main()
