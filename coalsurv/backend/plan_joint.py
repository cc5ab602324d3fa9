"""The plan's side of joint and mixture coefficient priors (issue 23).

A joint prior (:func:`coalsurv.build.joint_terms.joint_parts`) adds one free block per cause,
``beta_joint_z`` / ``beta_<cause>_joint_z`` (standard normal, the values ``T mu + L z``) or, for
a mixture, ``beta_joint`` / ``beta_<cause>_joint`` (a ``pm.Mixture`` of ``MvNormal``), and
turns the parameters it carries into deterministics: ``intercept`` (when carried), ``beta``
(with separate ``beta_<term>`` variables for terms outside it), the family parameter and the
frailty SDs ``sd_<g>``. :func:`joint_names` finds those blocks and :func:`carried_names` the
carried parameters; :func:`joint_layout` reads the affine map from the free values to the
kernel's blocks of the carried parameters off the graph (one compiled function, evaluated at
zero and at the unit vectors of the joint and separate blocks, and checked at a random
point) and each mixture's weights, means and Cholesky factors; :func:`fill_joint` writes the
buffer's joint section (:mod:`coalsurv.backend.kernel_joint`); :func:`mixture_log_prior`
gives the ``log_prior`` group's value of a mixture block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coalsurv.backend.plan_types import Block

__all__ = ["MIXTURE_CODE", "NONE_CODE", "JointLayout", "joint_names", "carried_names",
           "loose_names", "mixture_prior",
           "joint_layout", "fill_joint", "mixture_log_prior"]

#: Prior "code" of a mixture block in the plan (its data are in the joint section).
MIXTURE_CODE = -7
#: :data:`coalsurv.backend.kernel_priors.NONE_CODE` (no numba import here): the carried blocks.
NONE_CODE = -6


@dataclass(frozen=True)
class JointLayout:
    """The affine map ``x_ext = a + M x`` (sparse rows), loose blocks and mixtures."""

    a: tuple[float, ...]
    rows: tuple[tuple[tuple[int, float], ...], ...]  # per carried value: (column, coefficient)
    loose: tuple[str, ...]  # free blocks whose priors kernel_joint adds (joint z, beta_<term>)
    # per mixture block: (name, log weights, means (K, p), Cholesky factors (K, p, p))
    mixtures: tuple[tuple[str, tuple, tuple, tuple], ...]


def joint_names(free: set[str], causes: list) -> list[str]:
    """Names of the joint blocks among the free variables, in cause order."""
    from coalsurv.build.info import var_name

    prefixes = ["beta_"] + [f"beta_{var_name(str(c))}_" for c in causes]
    return [f"{p}joint{z}" for p in prefixes for z in ("_z", "") if f"{p}joint{z}" in free]


def carried_names(model, free: set[str], dets: set[str], stacked: dict, *, centred: bool,
                  terms: int, theta: str | None, groups) -> list[str]:
    """Return the kernel's parameters computed from a joint prior, in the kernel's order."""
    out = []
    if not centred and "intercept" in dets and "intercept" not in stacked:
        out.append("intercept")
    if terms and "beta" in dets and "beta" not in stacked:
        out.append("beta")
    if theta and theta in dets and theta not in stacked and theta not in free:
        out.append(theta)
    out += [f"sd_{g}" for g in groups if f"sd_{g}" in dets]
    return out


def loose_names(free: set[str], causes: list, terms: list) -> list[str]:
    """Separate coefficients ``beta_<term>`` (``beta_<cause>_<term>``) next to a joint prior."""
    from coalsurv.build.info import var_name

    several = len(causes) > 1
    names = [f"beta_{var_name(str(c))}_{var_name(t)}" if several else f"beta_{var_name(t)}"
             for c in causes for t in terms]
    return [n for n in names if n in free]


def mixture_prior(model, rv) -> tuple[tuple, tuple, tuple] | str:
    """Log weights, means and Cholesky factors of a mixture block, or why it is refused."""
    import pytensor
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import graph_inputs

    if type(rv.owner.op).__name__ != "MixtureRV" or model.rvs_to_transforms.get(rv) is not None:
        return f"{rv.name}: not an untransformed mixture"
    weights, *comps = rv.owner.op.dist_params(rv.owner)
    if not comps or any(c.owner is None or type(c.owner.op).__name__ != "MvNormalRV"
                        for c in comps):
        return f"{rv.name}: its components are not multivariate normals"
    params = [weights] + [p for c in comps for p in c.owner.op.dist_params(c.owner)]
    if not all(isinstance(v, Constant) for v in graph_inputs(params)):
        return f"{rv.name}: its weights, means or covariances are not constants"
    values = pytensor.function([], params, mode="FAST_COMPILE")()
    w = np.asarray(values[0], dtype=float)
    mus = np.array([np.asarray(values[1 + 2 * k], dtype=float) for k in range(len(comps))])
    covs = np.array([np.asarray(values[2 + 2 * k], dtype=float) for k in range(len(comps))])
    p = int(np.asarray(rv.shape.eval())[-1])
    if w.shape != (len(comps),) or mus.shape[1:] != (p,) or covs.shape[1:] != (p, p):
        return f"{rv.name}: weights, means or covariances of unexpected shape"
    try:
        chol = np.linalg.cholesky((covs + covs.transpose(0, 2, 1)) / 2.0)
    except np.linalg.LinAlgError:
        return f"{rv.name}: a component's covariance is not positive definite"
    return tuple(np.log(w)), tuple(map(tuple, mus)), tuple(chol.ravel())


def joint_layout(model, blocks: tuple[Block, ...], ext: tuple[Block, ...], feeding: list[str],
                 mixtures: tuple) -> JointLayout | str:
    """Read ``x_ext = a + M x`` off the graph; ``feeding``: the blocks it may depend on.

    The carried parameters (``ext``, on the kernel's scale: log of a log-transformed block)
    are evaluated at zero and at each unit vector of the ``feeding`` blocks; the map must
    reproduce them at a random point (else the graph is not what the kernel assumes).
    """
    import pytensor.tensor as pt
    from pymc.pytensorf import compile as compile_pymc

    values = [model.rvs_to_values[rv] for rv in model.free_RVs]
    outs = []
    for b in ext:
        (det,) = model.replace_rvs_by_values([model[b.name]])
        outs.append(pt.flatten(pt.log(det) if b.log_transformed else det))
    fn = compile_pymc(values, pt.concatenate(outs), mode="FAST_COMPILE",
                      on_unused_input="ignore")
    ndim = sum(b.size for b in blocks)

    def at(x):
        return np.asarray(fn(*[x[b.offset:b.offset + b.size].reshape(b.free_shape)
                               for b in blocks]), dtype=float)

    zero = np.zeros(ndim)
    a = at(zero)
    cols = [i for b in blocks if b.name in feeding for i in range(b.offset, b.offset + b.size)]
    M = np.zeros((a.size, ndim))
    for i in cols:
        unit = zero.copy()
        unit[i] = 1.0
        M[:, i] = at(unit) - a
    x = np.random.default_rng(11).normal(scale=0.7, size=ndim)
    if not np.allclose(at(x), a + M @ x, rtol=1e-9, atol=1e-10):
        return "the joint prior's parameters are not the affine map of its block the kernel assumes"
    rows = tuple(tuple((int(j), float(M[e, j])) for j in np.flatnonzero(M[e])) for e in
                 range(a.size))
    loose = tuple(name for name in feeding if name not in {m[0] for m in mixtures})
    return JointLayout(tuple(float(v) for v in a), rows, loose, mixtures)


def fill_joint(kplan, head: np.ndarray, e: int, at: int, parts: list) -> None:
    """Write the joint section (:mod:`coalsurv.backend.kernel_joint`) and its header slot."""
    from coalsurv.backend import kernel_layout as K

    head[e + K.E_JOINT] = -1
    lay = kplan.joint
    if lay is None:
        return
    n0 = kplan.ndim
    n1 = n0 + sum(b.size for b in kplan.ext_blocks)
    head[K.H_NDIM] = n1  # the generic kernel's vector: x, then the carried blocks
    nb = n0 + (kplan.causes if kplan.strata_level else 0)
    ne = n1 - n0
    nd = kplan.nexp - nb - ne
    nnz = sum(len(r) for r in lay.rows)
    pointers = np.concatenate([[0], np.cumsum([len(r) for r in lay.rows])])
    cols = np.array([j for r in lay.rows for j, _ in r], dtype=float)
    coefs = np.array([c for r in lay.rows for _, c in r], dtype=float)
    loose = []
    for name in lay.loose:
        b = kplan.block(name)
        loose += [b.offset, b.size, float(b.log_transformed), *b.prior]
    mix = []
    for name, logw, mus, chol in lay.mixtures:
        b = kplan.block(name)
        K_, p = len(logw), b.size
        L = np.asarray(chol, dtype=float).reshape(K_, p, p)
        logdet = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        mix += [b.offset, p, K_, *logw, *np.ravel(mus), *L.ravel(), *logdet]
    head[e + K.E_JOINT] = at + sum(p.size for p in parts)
    parts.append(np.concatenate([
        [n0, n1, len(lay.loose), len(lay.mixtures), nnz, nb, ne, nd], lay.a, pointers, cols,
        coefs, np.asarray(loose, dtype=float), np.asarray(mix, dtype=float)]).astype(float))


def mixture_log_prior(kplan, name: str, values: np.ndarray) -> np.ndarray:
    """Log density of a mixture block at ``values`` (``(..., p)``), as PyMC's ``Mixture``."""
    logw, mus, chol = next((w, m, c) for n, w, m, c in kplan.joint.mixtures if n == name)
    mus = np.asarray(mus)
    K_, p = mus.shape
    L = np.asarray(chol).reshape(K_, p, p)
    flat = values.reshape(-1, p)
    comps = []
    for k in range(K_):
        u = np.linalg.solve(L[k], (flat - mus[k]).T)
        comps.append(logw[k] - 0.5 * np.sum(u * u, axis=0) - np.log(np.diag(L[k])).sum()
                     - 0.5 * p * np.log(2 * np.pi))
    comps = np.array(comps)
    top = comps.max(axis=0)
    return (top + np.log(np.exp(comps - top).sum(axis=0))).reshape(values.shape[:-1])

