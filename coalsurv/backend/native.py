"""The native route: a PyMC model the kernel provably implements, sampled without PyTensor.

:func:`plan` reads the *built* PyMC model (the reference) and accepts it only when it is
exactly a structure :mod:`coalsurv.backend.kernel` implements: the exact set of named variables
(data, free, deterministic, observed), each free variable's distribution, constant
parameters, transform and dims, the family (with no options) and the kinds of ending present.
Anything else returns a reason and the fit takes the PyMC path. The kernel's data are the
model's own ``pm.Data`` values, so both paths see the same numbers.

Accepted: families in :data:`coalsurv.families.kernels.KERNEL_FAMILIES` (AFT ones with their
priors on eta/sigma, :data:`~coalsurv.families.kernels.SCALE_SIGN`); one or several
causes; exact, right- and interval-censored endings (not with the piecewise baseline), delayed
entry; frailty intercepts ``(1 | g)`` (any
number of factors); priors of :data:`coalsurv.backend.kernel.PRIOR_CODES`; the piecewise baseline
(its cut points, ``rw_sd`` and the random walk ``rw_step ~ Normal(0, rw_sd)``); frailty
intercepts sampled centred or not. Falls back: interval censoring with the piecewise baseline,
varying slopes, time-varying covariates and effects, strata, cure, other families and family
options, joint priors, per-cause or per-term priors (separate variables), anything unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coalsurv.backend.plan_priors import (
    CENTRED_PRIOR,
    HIER_CODE,
    STEP_PRIOR,
    centred_prior,
    hier_prior,
    positive_codes,
    prior_of,
    step_prior,
)
from coalsurv.families.kernels import KERNEL_FAMILIES, PER_BASELINE, SCALE_SIGN

__all__ = ["KernelPlan", "plan", "formulas_match", "make_buffer", "initial_point",
           "unconstrained_draws", "log_likelihood_group", "log_prior_group", "STEP_PRIOR"]

_DATA = ("X", "entry", "time_upper", "event_of", "interval_of", "time")


@dataclass(frozen=True)
class Block:
    """One free variable of the model: its slice of the unconstrained vector and its prior."""

    name: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    offset: int
    log_transformed: bool
    prior: tuple[int, float, float, float]

    @property
    def size(self) -> int:
        """Number of scalars."""
        return int(np.prod(self.shape)) if self.shape else 1


@dataclass(frozen=True)
class KernelPlan:
    """What the kernel computes for one accepted model structure."""

    family: str
    causes: int
    terms: int
    centred: bool
    theta: str | None
    groups: tuple[str, ...]
    levels: tuple[int, ...]
    blocks: tuple[Block, ...]
    deterministics: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...]
    coords: dict[str, Any] = field(compare=False)
    cuts: tuple[float, ...] | None = None  # piecewise: interior cut points (model time scale)
    std: int = 0  # AFT: sign of log theta in the scale of log T (priors on eta/sigma); else 0
    per_baseline: bool = False  # theta sampled per unit of the baseline hazard (Gompertz)
    centred_groups: tuple[str, ...] = ()  # frailty intercepts sampled as u ~ Normal(0, sd)
    hier_groups: tuple[str, ...] = ()  # ... as w ~ Normal(intercept, sd), u = w - intercept

    def level_block(self, group: str) -> Block:
        """Return the sampled levels of a frailty intercept: ``w_``, ``u_`` or ``z_<g>``."""
        if group in self.hier_groups:
            return self.block(f"w_{group}")
        return self.block(f"{'u' if group in self.centred_groups else 'z'}_{group}")

    def group_mode(self, group: str) -> int:
        """Kernel code of a frailty intercept: 0 non-centred, 1 centred, 2 on the intercept."""
        return 2 if group in self.hier_groups else int(group in self.centred_groups)

    @property
    def beta_name(self) -> str:
        """The sampled coefficients: ``beta_std`` (AFT, on eta/sigma) or ``beta``."""
        return "beta_std" if self.std else "beta"

    @property
    def ndim(self) -> int:
        """Length of the unconstrained vector."""
        return sum(b.size for b in self.blocks)

    @property
    def expanded(self) -> list[tuple[str, tuple[str, ...], tuple[int, ...]]]:
        """Traced variables (name, dims, shape) in :func:`kernel.expand` order."""
        return [(b.name, b.dims, b.shape) for b in self.blocks] + list(self.deterministics)

    @property
    def nexp(self) -> int:
        """Length of the expanded vector."""
        return sum(int(np.prod(s)) for _, _, s in self.expanded)

    def block(self, name: str) -> Block:
        """Return the block of a free variable by name."""
        return next(b for b in self.blocks if b.name == name)


def plan(model, info, family_options=None) -> tuple[KernelPlan | None, str]:
    """Accept ``model`` for the kernel or say why not.

    Parameters
    ----------
    model : pymc.Model
        Built by :func:`coalsurv.build.build_model` (the reference).
    info : ModelInfo
        Its record (family, causes, slopes, spells, cuts).
    family_options : dict, optional
        The spec's family options; only ``time_scale`` and ``standardise`` (which change
        data, not the model) are accepted.

    Returns
    -------
    plan : KernelPlan or None
    reason : str
        Empty when accepted; otherwise which part of the model the kernel does not implement.
    """
    if getattr(info, "members", None):
        return None, ("multiple-membership term mm() (member weights and random effects) is "
                      "not in the kernel; the PyMC graph runs it")
    extras = [name for name, present in (
        ("strata", getattr(info, "strata", "")), ("cure", getattr(info, "cure", "")),
        ("shape covariates", getattr(info, "shape_terms", ())),
        ("time-varying effects tve() (piecewise or smooth)", getattr(info, "tve", {})),
        ("a promotion-time cure or cure link", getattr(info, "cure_type", "mixture")
         != "mixture" or getattr(info, "cure_link", "logit") != "logit")) if present]
    if extras:
        return None, f"{', '.join(extras)}: not in the kernel"
    family = info.family_object()
    piecewise = family.name == "piecewise"
    if family.name not in KERNEL_FAMILIES or (
            family._identity() != (family.name,) and not piecewise):
        return None, f"family {family.name!r} is not in the kernel"
    if not formulas_match(family):
        return None, f"family {family.name!r}: its formulas differ from the kernel's"
    # time_scale and standardise change the data (times, X), not the model; the piecewise
    # cut points are the family's structure (in info.cuts and the buffer)
    # frailty_centring changes how the levels are sampled, which the plan reads from the graph
    allowed = ({"time_scale", "standardise", "frailty_centring"}
               | ({"cuts", "n_intervals"} if piecewise else set()))
    extra = sorted(set(family_options or {}) - allowed)
    if extra:
        return None, f"family options {extra} are not in the kernel"
    if info.spells or info.time_varying or (info.cuts and not piecewise) or info.slopes:
        return None, "time-varying covariates, cut points or varying slopes"
    named = model.named_vars
    if any(name not in named for name in _DATA):
        return None, "the model lacks the standard data containers"
    if piecewise and np.any(np.asarray(named["interval_of"].get_value()) > 0):
        return None, "interval-censored endings with the piecewise baseline"
    if not np.all(np.asarray(named["time"].get_value()) > 0):
        return None, "times at or below zero (the graph clips them; the kernel does not)"
    coords = {k: list(v) for k, v in model.coords.items() if v is not None}
    causes = len(coords.get("cause", ()))
    X = named["X"].get_value()
    terms = X.shape[1]
    groups = tuple(sorted(n[2:] for n in named if n.startswith("z_")))
    centred = "intercept_offset" in named
    theta = family.params[0] if family.params and not piecewise else None
    # Gompertz: the prior is on ageing = gamma / e^intercept; gamma is a deterministic
    per_baseline = family.name in PER_BASELINE
    if per_baseline:
        param = family.parameters[0]
        if not param.per_baseline:
            return None, f"family {family.name!r}: its parameter is not per baseline"
        theta, theta_det = param.sampled_name, param.posterior_name
    # AFT families sample intercept and coefficients on eta/sigma (graph._from_standardised)
    std = SCALE_SIGN.get(family.name, 0) if family.kind == "aft" else 0
    if family.kind == "aft" and not std:
        return None, f"family {family.name!r}: its scale of log T is not in the kernel"
    i_name, b_name = ("intercept_std", "beta_std") if std else ("intercept", "beta")
    # frailty intercepts sampled centred (u ~ Normal(0, sd), z = u / sd) or not (u = sd z)
    free_names = {v.name for v in model.free_RVs}
    centred_groups = tuple(g for g in groups if f"u_{g}" in free_names)
    hier_groups = tuple(g for g in groups if f"w_{g}" in free_names)
    level = {g: "w" if g in hier_groups else "u" if g in centred_groups else "z" for g in groups}
    free = (["intercept_offset" if centred else i_name] + ([b_name] if terms else [])
            + ([theta] if theta else []) + (["rw_sd", "rw_step"] if piecewise else [])
            + [f"{p}_{g}" for g in groups for p in ("sd", level[g])])
    dets = ((["intercept_std" if std else "intercept"] if centred else [])
            + ([theta_det] if per_baseline else [])
            + ((["intercept"] + (["beta"] if terms else [])) if std else [])
            + (["log_baseline_dev"] if piecewise else [])
            + [name for g in groups for name in {"w": (f"u_{g}", f"z_{g}"), "u": (f"z_{g}",),
                                                 "z": (f"u_{g}",)}[level[g]]])
    data = list(_DATA) + [f"idx_{g}" for g in groups] + (["intercept_centre"] if centred else [])
    expected = set(free) | set(dets) | set(data) | {"lifespan"}
    if set(named) != expected:
        odd = sorted(set(named) ^ expected)
        return None, f"variables {odd} are not in the kernel's structure"
    if ({v.name for v in model.free_RVs} != set(free)
            or {v.name for v in model.deterministics} != set(dets)
            or [v.name for v in model.observed_RVs] != ["lifespan"] or model.potentials):
        return None, "free / deterministic / observed variables differ from the kernel's"
    want_dims = {"intercept_offset": ("cause",), "intercept": ("cause",),
                 "beta": ("cause", "term"), "intercept_std": ("cause",),
                 "beta_std": ("cause", "term"), theta: ("cause",), "rw_sd": ("cause",),
                 **({theta_det: ("cause",)} if per_baseline else {}),
                 "rw_step": ("cause", "interval_step"),
                 "log_baseline_dev": ("cause", "interval")}
    for g in groups:
        want_dims.update({f"sd_{g}": ("cause",), f"z_{g}": ("cause", f"level_{g}"),
                          f"u_{g}": ("cause", f"level_{g}"),
                          f"w_{g}": ("cause", f"level_{g}")})
    blocks, offset = [], 0
    for rv in model.free_RVs:
        dims = tuple(model.named_vars_to_dims.get(rv.name) or ())
        if dims != want_dims[rv.name] or any(d not in coords for d in dims):
            return None, f"{rv.name}: dims {dims} differ from the kernel's"
        if rv.name == "rw_step":
            prior = step_prior(model, rv)
        elif rv.name.startswith("u_"):
            prior = centred_prior(model, rv, rv.name[2:])
        elif rv.name.startswith("w_"):
            prior = hier_prior(model, rv, rv.name[2:])
        else:
            prior = prior_of(model, rv)
        if isinstance(prior, str):
            return None, prior
        if rv.name.startswith("z_") and prior != (0, 0.0, 1.0, 0.0):
            return None, f"{rv.name}: not a standard normal"
        shape = tuple(len(coords[d]) for d in dims)
        blocks.append(Block(rv.name, dims, shape, offset, prior[0] in positive_codes(), prior))
        offset += blocks[-1].size
    if per_baseline and any(b.name == theta and b.log_transformed for b in blocks):
        return None, f"{theta}: a prior on the positive reals (the kernel samples it on all reals)"
    deterministics = tuple((name, want_dims[name], tuple(len(coords[d]) for d in want_dims[name]))
                           for name in dets)
    if hier_groups:  # the levels start where the intercept starts (eta scale)
        start = _support(blocks[0])
        if centred:
            start += float(np.mean(named["intercept_centre"].get_value()))
        if std:
            start *= float(np.exp(std * _support(next(b for b in blocks if b.name == theta))))
        blocks = [Block(b.name, b.dims, b.shape, b.offset, b.log_transformed,
                        (HIER_CODE, start, 0.0, 0.0)) if b.name.startswith("w_") else b
                  for b in blocks]
    levels = tuple(len(coords[f"level_{g}"]) for g in groups)
    cuts = tuple(float(c) for c in info.cuts) if piecewise else None
    return KernelPlan(family.name, causes, terms, centred, theta, groups, levels, tuple(blocks),
                      deterministics, coords, cuts, std=std, centred_groups=centred_groups,
                      hier_groups=hier_groups, per_baseline=per_baseline), ""


def formulas_match(family) -> bool:
    """Whether the family's own log hazard and log survival equal the kernel's (a grid).

    Guards against a family's formula (or parameterisation) changing under the kernel.
    """
    from coalsurv.families.kernels import family_terms

    if family.name == "piecewise":
        return _piecewise_formulas_match(family)
    code = KERNEL_FAMILIES[family.name]
    sign = SCALE_SIGN.get(family.name, 0)
    if family.kind == "aft":  # the scale of log T the kernel assumes: exp(sign * log theta)
        for theta in (0.6, 1.0, 2.2):
            scale = float(family.log_time_scale(**{family.params[0]: theta}))
            if not sign or not np.isclose(scale, theta ** sign, rtol=1e-12):
                return False
    for t in (0.05, 0.7, 3.0):
        for eta in (-1.3, 0.0, 0.9):
            for theta in ((0.6, 1.0, 2.2) if family.params else (0.0,)):
                params = {family.params[0]: theta} if family.params else {}
                want = (float(family.log_hazard(t, eta, **params)),
                        float(family.log_survival(t, eta, **params)))
                got = family_terms(code, t, float(np.log(t)), eta, theta,
                                   float(np.log(theta)) if theta > 0 else 0.0)
                if not np.allclose(want, (got[0], got[3]), rtol=1e-10, atol=1e-12):
                    return False
    return True


def _piecewise_formulas_match(family) -> bool:
    """Check the kernel's piecewise terms against the family's formulas on a grid.

    The kernel assumes ``log h = r[j(t)] + eta`` and ``log S = -e^eta sum_j e^r[j] E_j(t)``.
    """
    rates = np.resize(np.array([-0.4, 0.3, -1.1, 0.8]), family.n_intervals)
    cuts = family.cuts
    times = np.concatenate([cuts, cuts * 0.5, cuts * 1.5, [0.05, 2.0 * (cuts[-1] if cuts.size
                                                                           else 1.0)]])
    for eta in (-1.3, 0.0, 0.9):
        want_h = family.log_hazard(times, eta, log_rates=rates)
        want_s = family.log_survival(times, eta, log_rates=rates)
        got_h = rates[family.interval_index(times)] + eta
        got_s = -np.exp(eta) * (family.exposure_matrix(times) * np.exp(rates)).sum(axis=-1)
        if not (np.allclose(want_h, got_h, rtol=1e-10, atol=1e-12)
                and np.allclose(want_s, got_s, rtol=1e-10, atol=1e-12)):
            return False
    return True


def make_buffer(kplan: KernelPlan, model) -> np.ndarray:
    """Pack the kernel's float64 buffer: header and the model's own data values."""
    from coalsurv.backend import kernel as K

    named = model.named_vars
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
    head = np.zeros(K.H_GROUPS + K.GROUP_WIDTH * G)
    head[K.H_FAM] = KERNEL_FAMILIES[kplan.family]
    head[K.H_N], head[K.H_C], head[K.H_P], head[K.H_G] = n, C, P, G
    head[K.H_NDIM], head[K.H_NEXP], head[K.H_CENTRED] = kplan.ndim, kplan.nexp, kplan.centred
    first = kplan.blocks[0]
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
    head[K.H_DATA] = head.size
    buf = np.concatenate([head, *parts])
    buf[K.H_LEN] = buf.size
    return np.ascontiguousarray(buf)


def _support(block: Block) -> float:
    """Return a central point of the block's prior on the unconstrained scale."""
    code, p1, p2, _ = block.prior
    if code in (STEP_PRIOR[0], CENTRED_PRIOR[0]):  # random-walk steps, centred levels: zero
        return 0.0
    if code == HIER_CODE:  # levels centred on the intercept: the intercept's start
        return float(p1)
    if code in (0, 2, 6):  # Normal, LogNormal (of log x), Cauchy: their location
        return float(p1)
    if code == 5:  # StudentT(nu, mu, sigma)
        return float(p2)
    # HalfNormal / HalfCauchy (loc, scale), Exponential (scale), Gamma (alpha, scale)
    return float(np.log({1: p2, 7: p2, 3: p1, 4: p1 * p2}[code]))


def initial_point(kplan: KernelPlan):
    """``seed -> x0``: each block's prior centre plus uniform(-1, 1) jitter (as PyMC/nutpie)."""
    centre = np.concatenate([np.full(b.size, _support(b)) for b in kplan.blocks])

    def make(seed):
        rng = np.random.default_rng(seed)
        return centre + rng.uniform(-1.0, 1.0, size=centre.size)

    return make


def unconstrained_draws(kplan: KernelPlan, posterior) -> np.ndarray:
    """``(chain * draw, ndim)`` unconstrained points of the posterior draws."""
    parts = []
    for b in kplan.blocks:
        values = np.asarray(posterior[b.name].transpose("chain", "draw", *b.dims))
        values = values.reshape(values.shape[0] * values.shape[1], -1)
        parts.append(np.log(values) if b.log_transformed else values)
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def log_likelihood_group(kplan: KernelPlan, buf: np.ndarray, posterior, obs_coords):
    """``log_likelihood`` dataset: pointwise ``lifespan`` from the kernel itself."""
    import xarray as xr

    from coalsurv.backend.kernel import pointwise

    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    values = pointwise(buf, unconstrained_draws(kplan, posterior))
    da = xr.DataArray(values.reshape(n_chain, n_draw, -1), dims=("chain", "draw", "obs"),
                      coords={"chain": posterior["chain"].values,
                              "draw": posterior["draw"].values, "obs": obs_coords})
    return xr.Dataset({"lifespan": da})


def log_prior_group(kplan: KernelPlan, posterior):
    """``log_prior`` dataset: each free variable's prior log density (no Jacobian)."""
    import xarray as xr

    from coalsurv.backend.kernel import prior_pointwise

    out = {}
    for b in kplan.blocks:
        da = posterior[b.name]
        if b.prior == STEP_PRIOR:  # Normal(0, rw_sd) of each step, rw_sd of the same draw
            sd = posterior["rw_sd"]
            out[b.name] = -0.5 * (da / sd) ** 2 - np.log(sd) - 0.5 * np.log(2.0 * np.pi)
            continue
        if b.prior == CENTRED_PRIOR or b.prior[0] == HIER_CODE:  # Normal(0 or intercept, sd)
            sd = posterior[f"sd_{b.name[2:]}"]
            mean = posterior["intercept"] if b.prior[0] == HIER_CODE else 0.0
            out[b.name] = (-0.5 * ((da - mean) / sd) ** 2 - np.log(sd)
                           - 0.5 * np.log(2.0 * np.pi))
            continue
        out[b.name] = da.copy(data=prior_pointwise(*b.prior, np.asarray(da, dtype=float)))
    return xr.Dataset(out)
