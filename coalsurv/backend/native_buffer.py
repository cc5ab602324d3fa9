"""The native route's data and draws: the kernel's buffer, initial points, posterior groups.

:func:`make_buffer` packs the float64 buffer of :mod:`coalsurv.backend.kernel_layout` from the
model's own ``pm.Data`` values (both paths see the same numbers); the other functions map
between the kernel's unconstrained vector and the traced posterior (initial points, the
pointwise log likelihood and the log prior of each free variable).
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend.plan_ext import ext_size, fill_ext
from coalsurv.backend.plan_priors import CENTRED_PRIOR, HIER_CODE, STEP_PRIOR, ZEROSUM_CODE
from coalsurv.backend.plan_types import Block, KernelPlan
from coalsurv.families.kernels import KERNEL_FAMILIES

__all__ = ["make_buffer", "support", "initial_point", "START_BUDGET", "unconstrained_draws",
           "log_likelihood_group", "log_prior_group"]


def make_buffer(kplan: KernelPlan, model) -> np.ndarray:
    """Pack the kernel's float64 buffer: header and the model's own data values."""
    from coalsurv.backend import kernel_layout as K

    named, section = model.named_vars, []
    if kplan.spells:  # the rows are spell rows (coalsurv.backend.native_spells)
        from coalsurv.backend.native_spells import spell_buffer

        named, section = spell_buffer(kplan, named)
    C, P, G = kplan.causes, kplan.terms, len(kplan.groups)
    X = np.asarray(named["X"].get_value(), dtype=float).reshape(-1, P) if P else np.zeros((0,))
    t = np.asarray(named["time"].get_value(), dtype=float)
    entry = np.asarray(named["entry"].get_value(), dtype=float)
    n = t.size
    event = np.asarray(named["event_of"].get_value(), dtype=float).reshape(C, n)
    idx = (np.stack([np.asarray(named[f"idx_{g}"].get_value(), dtype=float) for g in kplan.groups])
           if G else np.zeros((0,)))
    centre = (np.asarray(named["intercept_centre"].get_value(), dtype=float) if kplan.centred
              else np.zeros(C))
    with np.errstate(divide="ignore"):
        log_t = np.log(np.maximum(t, 1e-300))
        log_entry = np.where(entry > 0, np.log(np.where(entry > 0, entry, 1.0)), 0.0)
    head = np.zeros(K.H_GROUPS + K.GROUP_WIDTH * G + ext_size(kplan))
    head[K.H_FAM] = KERNEL_FAMILIES[kplan.family]
    head[K.H_N], head[K.H_C], head[K.H_P], head[K.H_G] = n, C, P, G
    head[K.H_NDIM], head[K.H_NEXP], head[K.H_CENTRED] = kplan.ndim, kplan.nexp, kplan.centred
    first = kplan.intercept_block
    head[K.H_OFF_INT] = first.offset
    head[K.H_PRIOR_INT:K.H_PRIOR_INT + 4] = first.prior
    head[K.H_OFF_BETA] = kplan.block(kplan.beta_name).offset if P else -1
    if P:
        head[K.H_PRIOR_BETA:K.H_PRIOR_BETA + 4] = kplan.block(kplan.beta_name).prior
    head[K.H_STD] = kplan.std
    head[K.H_PER_BASELINE] = kplan.per_baseline
    head[K.H_OFF_THETA] = kplan.block(kplan.theta).offset if kplan.theta else -1
    if kplan.theta:
        head[K.H_PRIOR_THETA:K.H_PRIOR_THETA + 4] = kplan.block(kplan.theta).prior
    head[K.H_S] = kplan.strata
    head[K.H_THETA_S] = kplan.strata if kplan.strata_theta else 1
    head[K.H_OFF_SDEV] = kplan.block("strata_dev").offset if kplan.strata_level else -1
    if kplan.strata_level:
        head[K.H_SDEV_SIGMA] = kplan.block("strata_dev").prior[1]
    head[K.H_Q] = kplan.shape_terms
    head[K.H_OFF_BSHAPE] = kplan.block("beta_shape").offset if kplan.shape_terms else -1
    if kplan.shape_terms:
        head[K.H_PRIOR_BSHAPE:K.H_PRIOR_BSHAPE + 4] = kplan.block("beta_shape").prior
    if kplan.mm_weights:
        _mm_header(kplan, head, K)
    for g, (name, n_lev) in enumerate(zip(kplan.groups, kplan.levels, strict=True)):
        hb = K.H_GROUPS + K.GROUP_WIDTH * g
        sd = kplan.block(f"sd_{name}")
        head[hb:hb + 3] = sd.offset, kplan.level_block(name).offset, n_lev
        head[hb + 3:hb + 7] = sd.prior
        head[hb + 7] = kplan.group_mode(name)
    parts = [centre, X.ravel(), t, log_t, entry, log_entry, event.ravel(), idx.ravel()]
    if kplan.cuts is not None:  # exposure per interval from entry to t, interval of t
        from coalsurv.families import get_family

        family = get_family("piecewise", cuts=np.asarray(kplan.cuts))
        lower, upper = family.bounds
        j_t, j_entry = family.interval_index(t), family.interval_index(entry)
        head[K.H_K] = family.n_intervals
        head[K.H_OFF_RWSD] = kplan.block("rw_sd").offset
        head[K.H_OFF_STEP] = kplan.block("rw_step").offset
        head[K.H_PRIOR_RWSD:K.H_PRIOR_RWSD + 4] = kplan.block("rw_sd").prior
        # the interval of t and of the entry, the time spent in it; the widths (last: 0)
        parts += [j_t.astype(float), t - lower[j_t], j_entry.astype(float),
                  np.maximum(entry - lower[j_entry], 0.0),
                  np.where(np.isfinite(upper), upper - lower, 0.0)]
    interval = np.asarray(named["interval_of"].get_value(), dtype=float).reshape(C, n)
    if np.any(interval > 0):  # which cause ended in (t, upper], and the upper bounds
        upper = np.asarray(named["time_upper"].get_value(), dtype=float)
        head[K.H_INTERVAL] = 1
        with np.errstate(divide="ignore"):
            parts += [interval.ravel(), upper, np.log(upper)]
    if kplan.strata:  # each row's stratum
        parts.append(np.asarray(named["idx_strata"].get_value(), dtype=float).reshape(n))
    if kplan.shape_terms:
        parts.append(np.asarray(named["Z_shape"].get_value(), dtype=float).reshape(-1))
    head[K.H_DATA] = head.size
    if kplan.cure:
        head[K.H_CURE] = 1 if kplan.cure == "mixture" else 2
        head[K.H_CURE_LINK] = {"logit": 0, "probit": 1, "cloglog": 2}[kplan.cure_link]
        head[K.H_OFF_CINT] = kplan.block("cure_intercept").offset
        head[K.H_PRIOR_CINT:K.H_PRIOR_CINT + 4] = kplan.block("cure_intercept").prior
        head[K.H_CURE_Q] = kplan.cure_terms
        head[K.H_OFF_CBETA] = kplan.block("cure_beta").offset if kplan.cure_terms else -1
        if kplan.cure_terms:
            head[K.H_PRIOR_CBETA:K.H_PRIOR_CBETA + 4] = kplan.block("cure_beta").prior
            head[K.H_CURE_DATA] = head.size + sum(p.size for p in parts)
            from coalsurv.backend.kernel_ending import cure_patterns

            z_cure = np.asarray(named["Z_cure"].get_value(), dtype=float).reshape(n, -1)
            parts += [z_cure.reshape(-1), *cure_patterns(z_cure)]  # kernel_ending's patterns
    if kplan.mm_weights:
        head[K.H_MM_DATA] = head.size + sum(p.size for p in parts)
        head[K.H_MM_R] = np.asarray(named["mm_coalition"].get_value()).size
        parts += _mm_arrays(kplan, named, n)
    if kplan.tve:  # the tve table and arrays (coalsurv.backend.kernel_tve)
        from coalsurv.backend.plan_tve import tve_arrays

        arrays, table, reason = tve_arrays(kplan, named)
        if reason:
            raise ValueError(f"native kernel buffer: {reason}")
        head[K.H_TVE] = len(kplan.tve)
        head[K.H_TVE_DATA] = head.size + sum(p.size for p in parts)
        parts += [np.asarray(table), *arrays]
    if section:
        head[K.H_SPELLS] = head.size + sum(p.size for p in parts)
        parts += section
    parts += fill_ext(kplan, named, head, head.size + sum(p.size for p in parts))
    buf = np.concatenate([head, *parts])
    buf[K.H_LEN] = buf.size
    return np.ascontiguousarray(buf)


def _mm_header(kplan: KernelPlan, head: np.ndarray, K) -> None:
    """Header entries of the mm() term (:mod:`coalsurv.backend.kernel_members`)."""
    head[K.H_MM_WEIGHTS] = {"power": 1, "logistic": 2}.get(kplan.mm_weights, 0)
    head[K.H_MM_SUM] = kplan.mm_sum_to_one
    head[K.H_MM_Q] = kplan.mm_terms
    head[K.H_OFF_BMM] = head[K.H_OFF_SDMM] = head[K.H_OFF_ZMM] = -1
    head[K.H_OFF_W1] = head[K.H_OFF_W2] = -1
    names = {b.name for b in kplan.blocks}
    for name, off, prior in (("beta_mm", K.H_OFF_BMM, K.H_PRIOR_BMM),
                             ("sd_mm", K.H_OFF_SDMM, K.H_PRIOR_SDMM),
                             *zip(kplan.mm_params, (K.H_OFF_W1, K.H_OFF_W2),
                                  (K.H_PRIOR_W1, K.H_PRIOR_W2), strict=False)):
        if name in names:
            head[off] = kplan.block(name).offset
            head[prior:prior + 4] = kplan.block(name).prior
    # the sampled member levels: w_mm (on the intercept), u_mm (centred) or z_mm
    level = next((n for n in ("w_mm", "u_mm") if n in names), "z_mm")
    if level in names:
        head[K.H_OFF_ZMM] = kplan.block(level).offset
        head[K.H_MM_LEVELS] = kplan.block(level).shape[1]


def _mm_arrays(kplan: KernelPlan, named, n: int) -> list[np.ndarray]:
    """Return the centring flag, then the rows by coalition: pointers, member, share, size, X."""
    coalition = np.asarray(named["mm_coalition"].get_value()).astype(np.int64)
    order = np.argsort(coalition, kind="stable")
    start = np.concatenate([[0], np.cumsum(np.bincount(coalition, minlength=n))])
    R = coalition.size

    def column(name):
        return (np.asarray(named[name].get_value(), dtype=float)[order] if name in named
                else np.zeros(R))

    share = column("mm_share" if kplan.mm_params else "mm_weight")
    if kplan.mm_weights == "power":  # the kernel reads log share (kernel_members docstring)
        share = np.log(share)
    X = (np.asarray(named["mm_X"].get_value(), dtype=float)[order].reshape(-1)
         if kplan.mm_terms else np.zeros(0))
    names = {b.name for b in kplan.blocks}
    centred = np.array([2.0 if "w_mm" in names else float("u_mm" in names)])
    return [centred, start.astype(float), column("mm_member"), share, column("mm_size"), X]


def support(block: Block) -> float:
    """Return a central point of the block's prior on the unconstrained scale."""
    code, p1, p2, _ = block.prior
    if code in (STEP_PRIOR[0], CENTRED_PRIOR[0], ZEROSUM_CODE):  # zero-centred: zero
        return 0.0
    if code == HIER_CODE:  # levels centred on the intercept: the intercept's start
        return float(p1)
    if code in (0, 2, 6):  # Normal, LogNormal (of log x), Cauchy: their location
        return float(p1)
    if code == 5:  # StudentT(nu, mu, sigma)
        return float(p2)
    # HalfNormal / HalfCauchy (loc, scale), Exponential (scale), Gamma (alpha, scale): their
    # scale or mean, at most 1 (backend/init.py: a wide prior must not start far in its tail)
    return min(0.0, float(np.log({1: p2, 7: p2, 3: p1, 4: p1 * p2}[code])))


def _centre(kplan: KernelPlan, block: Block) -> np.ndarray:
    """Return a block's start: its prior's centre; a mixture block's overall mean."""
    from coalsurv.backend.plan_joint import MIXTURE_CODE

    if block.prior[0] != MIXTURE_CODE:
        return np.full(block.size, support(block))
    logw, mus = next((w, m) for n, w, m, _ in kplan.joint.mixtures if n == block.name)
    return np.exp(np.asarray(logw)) @ np.asarray(mus)


#: Largest fall of the log density (nats per row and per unconstrained value) a jittered start
#: may have below the undisturbed centre before its jitter is halved (:func:`initial_point`).
START_BUDGET = 20.0
#: Most halvings of a start's jitter (2^-10: the start is then the centre to 1e-3).
START_HALVINGS = 10


def initial_point(kplan: KernelPlan, buf: np.ndarray | None = None, *, logp=None):
    """``seed -> x0``: each block's prior centre plus uniform(-1, 1) jitter (as PyMC/nutpie).

    With the kernel's buffer ``buf``, a jittered start whose log density falls more than
    :data:`START_BUDGET` nats per row and per unconstrained value below the centre's (or is
    not finite) has its jitter halved until it does not (at most :data:`START_HALVINGS`
    times). A unit jitter can be astronomically far out: with shape covariates the Weibull
    term is ``exp(k e^{Z beta_shape} (log t - eta))``, and ``beta_shape = 0.7`` at a row
    4.4 SD out (coalgov's ``n_parties``) gave a start at log density -1e11 (the others about
    -3,000); that chain spent 300 tuning steps crawling back and then stayed stuck with a
    mass matrix adapted to the wrong region (issue 23). Starts stay over-dispersed (the
    budget is far above the few nats per row of an ordinary jitter) and the same seed gives
    the same start.

    ``logp``: ``(x, grad) -> log density`` of the model on ``buf``, the function the sampler
    will call (:func:`coalsurv.backend.nutpie_model.compile_native` passes its C callback, so
    the check loads no other compiled code); by default the generic kernel's
    :func:`~coalsurv.backend.kernel.logp_grad` on ``buf``. Any of them gives the same log
    density up to rounding.
    """
    centre = np.concatenate([_centre(kplan, b) for b in kplan.blocks])
    floor = None
    if buf is not None:
        from coalsurv.backend.kernel_layout import H_N

        if logp is None:
            from coalsurv.backend.kernel import logp_grad

            def logp(x, grad):
                return logp_grad(buf, x, grad)

        grad = np.empty(centre.size)
        base = float(logp(centre, grad))
        if np.isfinite(base):
            floor = base - START_BUDGET * (float(buf[H_N]) + centre.size)

    def make(seed):
        rng = np.random.default_rng(seed)
        jitter = rng.uniform(-1.0, 1.0, size=centre.size)
        if floor is None:
            return centre + jitter
        for _ in range(START_HALVINGS):
            value = float(logp(centre + jitter, grad))
            if np.isfinite(value) and value >= floor:
                break
            jitter *= 0.5
        return centre + jitter

    return make


def _zerosum_forward(values: np.ndarray) -> np.ndarray:
    """PyMC's ``ZeroSumTransform.forward`` over the last axis: S values to S - 1."""
    S = values.shape[-1]
    root = np.sqrt(S)
    norm = -values[..., -1:] * root / (root + S)
    return values[..., :-1] + norm


def unconstrained_draws(kplan: KernelPlan, posterior) -> np.ndarray:
    """``(chain * draw, ndim)`` unconstrained points of the posterior draws."""
    parts = []
    for b in kplan.blocks:
        values = np.asarray(posterior[b.name].transpose("chain", "draw", *b.dims, ...))
        if b.zerosum:
            values = _zerosum_forward(values)
        values = values.reshape(values.shape[0] * values.shape[1], -1)
        parts.append(np.log(values) if b.log_transformed else values)
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


#: ``log_likelihood_group``'s default ``fast``: look for the fast row loop's buffer.
FIND_FAST = "find"


def log_likelihood_group(kplan: KernelPlan, buf: np.ndarray, posterior, obs_coords,
                         dtype: str = "float64", *, fast=FIND_FAST):
    """``log_likelihood`` dataset: pointwise ``lifespan`` from the kernel itself (``dtype``).

    ``fast``: the fast row loop's buffer (:func:`coalsurv.backend.native_fast.fast_buffer`)
    or None, when the caller has it already; by default it is made here.
    """
    import xarray as xr

    from coalsurv.backend.kernel_pointwise import native_pointwise
    from coalsurv.backend.native_fast import fast_buffer

    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    if isinstance(fast, str) and fast == FIND_FAST:
        fast = fast_buffer(kplan, buf)  # the fast row loop when it fits
    values = native_pointwise(buf, unconstrained_draws(kplan, posterior), len(obs_coords), dtype,
                              fast=fast)
    da = xr.DataArray(values.reshape(n_chain, n_draw, -1), dims=("chain", "draw", "obs"),
                      coords={"chain": posterior["chain"].values,
                              "draw": posterior["draw"].values, "obs": obs_coords})
    return xr.Dataset({"lifespan": da})


def log_prior_group(kplan: KernelPlan, posterior):
    """``log_prior`` dataset: each free variable's prior log density (no Jacobian)."""
    import xarray as xr

    from coalsurv.backend.kernel import prior_pointwise
    from coalsurv.backend.plan_joint import MIXTURE_CODE, mixture_log_prior

    out = {}
    half_log_2pi = 0.5 * np.log(2.0 * np.pi)
    for b in kplan.blocks:
        da = posterior[b.name]
        if b.prior == STEP_PRIOR:  # Normal(0, rw_sd) of each step, rw_sd of the same draw
            sd = posterior["rw_sd"]
            out[b.name] = -0.5 * (da / sd) ** 2 - np.log(sd) - half_log_2pi
            continue
        if b.prior == CENTRED_PRIOR or b.prior[0] == HIER_CODE:  # Normal(0 or intercept, sd)
            sd = posterior[f"sd_{b.name[2:]}"]
            mean = posterior["intercept"] if b.prior[0] == HIER_CODE else 0.0
            out[b.name] = -0.5 * ((da - mean) / sd) ** 2 - np.log(sd) - half_log_2pi
            continue
        if b.prior[0] == MIXTURE_CODE:  # a mixture of multivariate normals: one value a draw
            values = np.asarray(da.transpose("chain", "draw", ...), dtype=float)
            out[b.name] = xr.DataArray(mixture_log_prior(kplan, b.name, values),
                                       dims=("chain", "draw"),
                                       coords={"chain": da["chain"], "draw": da["draw"]})
            continue
        if b.zerosum:  # ZeroSumNormal(sigma) over the last axis, as PyMC reduces it
            sigma, S = b.prior[1], b.shape[-1]
            out[b.name] = (-0.5 * (da / sigma) ** 2 - (half_log_2pi + np.log(sigma))
                           * (S - 1) / S).sum(b.dims[-1])
            continue
        # flat float64 values and float parameters: one compiled prior_pointwise for every
        # block's shape (issue 23's cold compile)
        code, p1, p2, p3 = b.prior
        flat = np.ascontiguousarray(da, dtype=float).ravel()
        out[b.name] = da.copy(data=prior_pointwise(int(code), float(p1), float(p2), float(p3),
                                                   flat).reshape(da.shape))
    return xr.Dataset(out)
