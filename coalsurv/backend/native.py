"""The native route: a PyMC model the kernel provably implements, sampled without PyTensor.

:func:`plan` reads the *built* PyMC model (the reference) and accepts it only when it is
exactly a structure :mod:`coalsurv.backend.kernel` implements: the exact set of named variables
(data, free, deterministic, observed), each free variable's distribution, constant
parameters, transform and dims, the family (with no options) and the kinds of ending present.
Anything else returns a reason and the fit takes the PyMC path. The kernel's data are the
model's own ``pm.Data`` values, so both paths see the same numbers.

Accepted: families in :data:`coalsurv.families.kernels.KERNEL_FAMILIES` (AFT ones with their
priors on eta/sigma, :data:`~coalsurv.families.kernels.SCALE_SIGN`); one or several causes;
exact, right- and interval-censored endings (not with the piecewise baseline), delayed entry;
frailty intercepts ``(1 | g)`` (any number of factors, sampled centred or not); priors of
:data:`coalsurv.backend.kernel.PRIOR_CODES`; the piecewise baseline (its cut points, ``rw_sd``
and the random walk ``rw_step ~ Normal(0, rw_sd)``); strata (``strata_dev`` as PyMC's
``ZeroSumNormal``, a family parameter per stratum, every ``strata_parts``); shape covariates
(``beta_shape``, ``Z_shape``); the ``mm()`` members blocks (fixed, power or logistic weights,
``sum_to_one`` or not, ``beta_mm``, ``sd_mm``/``z_mm``); cure (mixture with the logit, probit
or cloglog link, promotion time; ``cure_intercept``, ``cure_beta``); time-varying covariates
(spells: the graph's spell containers, :data:`~coalsurv.backend.native_spells.SPELL_DATA`) with
every kernel family and all of the above: a kernel row per spell under proportional hazards
without cure or interval rows, else each episode's curve over its spells (the AFT equivalent
time; :mod:`coalsurv.backend.kernel_spells`). Falls back: interval censoring or cure with the
piecewise baseline, varying slopes, time-varying effects (tve, with or without spells), other
families and family options, joint priors, per-cause or per-term priors (separate variables),
anything unknown.
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend.native_buffer import (
    initial_point,
    log_likelihood_group,
    log_prior_group,
    make_buffer,
    support,
    unconstrained_draws,
)
from coalsurv.backend.native_spells import SPELL_DATA, spell_mode, spell_problem
from coalsurv.backend.plan_priors import (
    HIER_CODE,
    STEP_PRIOR,
    centred_prior,
    hier_prior,
    positive_codes,
    prior_of,
    step_prior,
    zerosum_prior,
)
from coalsurv.backend.plan_types import Block, KernelPlan
from coalsurv.families.kernels import KERNEL_FAMILIES, PER_BASELINE, SCALE_SIGN

#: Cure link -> kernel code (coalsurv.backend.kernel_cure.cure_shares).
CURE_LINK_CODES = {"logit": 0, "probit": 1, "cloglog": 2}

__all__ = ["CURE_LINK_CODES", "Block", "KernelPlan", "plan", "formulas_match", "make_buffer",
           "initial_point", "unconstrained_draws", "log_likelihood_group", "log_prior_group",
           "STEP_PRIOR"]

_DATA = ("X", "entry", "time_upper", "event_of", "interval_of", "time")


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
    if getattr(info, "tve", None):
        return None, "time-varying effects tve() (piecewise or smooth): not in the kernel"
    mm = dict(getattr(info, "members", None) or {})
    cure = getattr(info, "cure", "")
    cure_terms = tuple(getattr(info, "cure_terms", ()) or ()) if cure else ()
    family = info.family_object()
    piecewise = family.name == "piecewise"
    if cure and (piecewise or getattr(info, "cure_link", "logit") not in CURE_LINK_CODES
                 or getattr(info, "cure_type", "mixture") not in ("mixture", "promotion")):
        return None, "cure with the piecewise baseline (or an unknown link): not in the kernel"
    if family.name not in KERNEL_FAMILIES or (
            family._identity() != (family.name,) and not piecewise):
        return None, f"family {family.name!r} is not in the kernel"
    if not formulas_match(family):
        return None, f"family {family.name!r}: its formulas differ from the kernel's"
    parts = tuple(getattr(info, "strata_parts", ()) or ()) if info.strata else ()
    shape_terms = tuple(getattr(info, "shape_terms", ()) or ())
    if shape_terms and (piecewise or family.shape_parameter != (family.params or [None])[0]):
        return None, f"shape covariates of family {family.name!r} are not in the kernel"
    # time_scale and standardise change the data (times, X), not the model; the piecewise
    # cut points are the family's structure (in info.cuts and the buffer)
    # frailty_centring changes how the levels are sampled, which the plan reads from the graph
    allowed = ({"time_scale", "standardise", "frailty_centring"}
               | ({"cuts", "n_intervals"} if piecewise else set()))
    extra = sorted(set(family_options or {}) - allowed)
    if extra:
        return None, f"family options {extra} are not in the kernel"
    if (info.cuts and not piecewise) or info.slopes:
        return None, "cut points or varying slopes"
    named = model.named_vars
    spell_data = SPELL_DATA if info.spells else ()
    if any(name not in named for name in (*_DATA, *spell_data)):
        return None, "the model lacks the standard data containers"
    if info.spells and spell_problem(named):
        return None, spell_problem(named)
    if piecewise and np.any(np.asarray(named["interval_of"].get_value()) > 0):
        return None, "interval-censored endings with the piecewise baseline"
    if not np.all(np.asarray(named["time"].get_value()) > 0):
        return None, "times at or below zero (the graph clips them; the kernel does not)"
    coords = {k: list(v) for k, v in model.coords.items() if v is not None}
    causes = len(coords.get("cause", ()))
    X = named["X"].get_value()
    terms = X.shape[1]
    groups = tuple(sorted(n[2:] for n in named if n.startswith("z_") and n != "z_mm"))
    centred = "intercept_offset" in named
    theta = family.params[0] if family.params and not piecewise else None
    # Gompertz: the prior is on ageing = gamma / e^intercept; gamma is a deterministic
    per_baseline = family.name in PER_BASELINE
    strata_level = "level" in parts
    strata_theta = "shape" in parts and theta is not None
    theta_dims = ("cause", "stratum") if strata_theta else ("cause",)
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
            + (["beta_shape"] if shape_terms else []) + (["strata_dev"] if strata_level else [])
            + _mm_names(mm, "free")
            + (["cure_intercept"] + (["cure_beta"] if cure_terms else []) if cure else [])
            + [f"{p}_{g}" for g in groups for p in ("sd", level[g])])
    dets = ((["intercept_std" if std else "intercept"] if centred else [])
            + ([theta_det] if per_baseline else [])
            + ((["intercept"] + (["beta"] if terms else [])) if std else [])
            + (["log_baseline_dev"] if piecewise else [])
            + [name for g in groups for name in {"w": (f"u_{g}", f"z_{g}"), "u": (f"z_{g}",),
                                                 "z": (f"u_{g}",)}[level[g]]]
            + _mm_names(mm, "deterministic"))
    data = (list(_DATA) + list(spell_data) + [f"idx_{g}" for g in groups]
            + (["intercept_centre"] if centred else [])
            + (["idx_strata"] if info.strata else []) + (["Z_shape"] if shape_terms else [])
            + _mm_names(mm, "data") + (["Z_cure"] if cure_terms else []))
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
                 "beta_std": ("cause", "term"), theta: theta_dims, "rw_sd": ("cause",),
                 **({theta_det: theta_dims} if per_baseline else {}),
                 "beta_shape": ("cause", "shape_term"), "strata_dev": ("cause", "stratum"),
                 "rw_step": ("cause", "interval_step"),
                 "log_baseline_dev": ("cause", "interval"),
                 "beta_mm": ("cause", "mm_term"), "sd_mm": ("cause",),
                 "z_mm": ("cause", "member"), "u_mm": ("cause", "member"),
                 "cure_intercept": (), "cure_beta": ("cure_term",),
                 **{name: () for name in mm.get("weight_params", {}).values()}}
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
        elif rv.name == "strata_dev":
            prior = zerosum_prior(model, rv)
        else:
            prior = prior_of(model, rv)
        if isinstance(prior, str):
            return None, prior
        if rv.name.startswith("z_") and prior != (0, 0.0, 1.0, 0.0):
            return None, f"{rv.name}: not a standard normal"
        shape = tuple(len(coords[d]) for d in dims)
        blocks.append(Block(rv.name, dims, shape, offset, prior[0] in positive_codes(), prior,
                            zerosum=rv.name == "strata_dev"))
        offset += blocks[-1].size
    if per_baseline and any(b.name == theta and b.log_transformed for b in blocks):
        return None, f"{theta}: a prior on the positive reals (the kernel samples it on all reals)"
    deterministics = tuple((name, want_dims[name], tuple(len(coords[d]) for d in want_dims[name]))
                           for name in dets)
    if hier_groups:  # the levels start where the intercept starts (eta scale)
        start = support(blocks[0])
        if centred:
            start += float(np.mean(named["intercept_centre"].get_value()))
        if std:
            start *= float(np.exp(std * support(next(b for b in blocks if b.name == theta))))
        blocks = [Block(b.name, b.dims, b.shape, b.offset, b.log_transformed,
                        (HIER_CODE, start, 0.0, 0.0)) if b.name.startswith("w_") else b
                  for b in blocks]
    levels = tuple(len(coords[f"level_{g}"]) for g in groups)
    cuts = tuple(float(c) for c in info.cuts) if piecewise else None
    return KernelPlan(family.name, causes, terms, centred, theta, groups, levels, tuple(blocks),
                      deterministics, coords, cuts, std=std, centred_groups=centred_groups,
                      hier_groups=hier_groups, per_baseline=per_baseline,
                      strata=len(coords["stratum"]) if info.strata else 0,
                      strata_level=strata_level, strata_theta=strata_theta,
                      shape_terms=len(shape_terms), mm_weights=mm.get("weights", ""),
                      mm_sum_to_one=bool(mm.get("sum_to_one", True)),
                      mm_terms=len(mm.get("terms", ())),
                      mm_params=tuple(mm.get("weight_params", {}).values()),
                      cure=("" if not cure else getattr(info, "cure_type", "mixture")),
                      cure_link=getattr(info, "cure_link", "logit"),
                      cure_terms=len(cure_terms),
                      spells=spell_mode(family, info, named) if info.spells else 0), ""


def _mm_names(mm: dict, kind: str) -> list[str]:
    """Names the mm() term adds to the graph (:func:`coalsurv.build.members.member_theta`)."""
    if not mm:
        return []
    params = list(mm.get("weight_params", {}).values())
    if kind == "free":
        return (params + (["beta_mm"] if mm["terms"] else [])
                + (["sd_mm", "z_mm"] if mm["random"] else []))
    if kind == "deterministic":
        return ["u_mm"] if mm["random"] else []
    return (["mm_coalition"] + (["mm_share", "mm_size"] if params else ["mm_weight"])
            + (["mm_X"] if mm["terms"] else []) + (["mm_member"] if mm["random"] else []))


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
