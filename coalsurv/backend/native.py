"""The native route: a PyMC model the kernel provably implements, sampled without PyTensor.

:func:`plan` reads the *built* PyMC model (the reference) and accepts it only when it is
exactly a structure :mod:`coalsurv.backend.kernel` implements: the exact set of named variables
(data, free, deterministic, observed), each free variable's distribution, constant
parameters, transform and dims, the family (with no options) and the kinds of ending present.
Anything else returns a reason and the fit takes the PyMC path. The kernel's data are the
model's own ``pm.Data`` values, so both paths see the same numbers.

Accepted: families in :data:`coalsurv.families.kernels.KERNEL_FAMILIES` (AFT ones with their
priors on eta/sigma, :data:`~coalsurv.families.kernels.SCALE_SIGN`); one or several causes;
exact, right- and interval-censored endings, delayed entry; frailty intercepts ``(1 | g)``
(any number of factors, crossed or nested, sampled centred or not) and varying slopes
``(x | g)`` (``sd_<g>_<x>``, ``z_<g>_<x>``; :mod:`~coalsurv.backend.kernel_slopes`); priors of
:data:`coalsurv.backend.kernel.PRIOR_CODES`; the piecewise baseline (its cut points, ``rw_sd``
and the random walk ``rw_step ~ Normal(0, rw_sd)``; with interval censoring and cure,
:mod:`~coalsurv.backend.kernel_piecewise`); the Royston-Parmar spline ``rp`` (hazard and odds
scales, its knots, ``rp_slope``, ``rp_spline`` and the potential ``rp_monotone``;
:mod:`~coalsurv.backend.kernel_spline`); strata (``strata_dev`` as PyMC's ``ZeroSumNormal``, a
family parameter per stratum, every ``strata_parts``); shape covariates (``beta_shape``,
``Z_shape``); the ``mm()`` members blocks (fixed, power or logistic weights, ``sum_to_one`` or
not, ``beta_mm``, ``sd_mm`` with ``z_mm`` or, centred, ``u_mm`` or ``w_mm`` on the intercept);
cure (mixture with the logit, probit or cloglog link,
promotion time; ``cure_intercept``, ``cure_beta``); per-cause or per-term priors (the graph's
separate variables ``intercept_<cause>``, ``beta_<term>``, ``shape_<cause>``..., stacked into
one block with a prior per value: ``KernelPlan.stacked``, ``plan_ext.stacked_parts``);
time-varying effects ``tve(x)`` with every proportional-hazards kernel family (exponential,
Weibull PH, Gompertz, the piecewise baseline, rp on the hazard scale; the graph refuses AFT
families), piecewise (``type="pw"``) and smooth (``type="bs"``, natural or B-spline, on the
graph's quadrature grid), with causes, frailties, varying slopes, delayed entry, strata, shape
covariates and spells (:mod:`coalsurv.backend.plan_tve`, :mod:`coalsurv.backend.kernel_tve`);
time-varying covariates (spells) with every kernel family (rp on both scales),
frailties, varying slopes, causes, interval censoring and cure
(:mod:`coalsurv.backend.native_spells`, :mod:`coalsurv.backend.kernel_spells`); joint and
mixture priors (``beta_unit[*]``: the carried parameters' blocks after ``x``, filled by an
affine map read off the graph; :mod:`coalsurv.backend.plan_joint`,
:mod:`coalsurv.backend.kernel_joint`). Falls back: family options, anything unknown.
The gamma and generalised gamma (issue 23, :mod:`coalsurv.families.kernels_gamma`) with every
feature the graph gives them (both are AFT: no tve(), which the spec refuses), the
generalised gamma's stratified shapes with time-varying covariates included
(:mod:`~coalsurv.backend.plan_gamma`).
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend.formulas_memo import memoised
from coalsurv.backend.native_buffer import (
    initial_point,
    log_likelihood_group,
    log_prior_group,
    make_buffer,
    support,
    unconstrained_draws,
)
from coalsurv.backend.native_spells import SPELL_DATA, spell_buffer, spell_mode, spell_problem
from coalsurv.backend.plan_ext import (
    SPLINE_OPTIONS,
    slope_names,
    slope_terms,
    spline_formulas_match,
    stacked_parts,
)
from coalsurv.backend.plan_gamma import gengamma_formulas_match
from coalsurv.backend.plan_joint import (
    MIXTURE_CODE,
    NONE_CODE,
    carried_names,
    joint_layout,
    joint_names,
    loose_names,
    mixture_prior,
)
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
from coalsurv.backend.plan_rotation import rotate_blocks, rotation_free
from coalsurv.backend.plan_tve import (
    plan_bounds,
    tve_arrays,
    tve_names,
    tve_refusal,
    tve_step_dims,
    tve_terms,
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
    mm = dict(getattr(info, "members", None) or {})
    cure = getattr(info, "cure", "")
    cure_terms = tuple(getattr(info, "cure_terms", ()) or ()) if cure else ()
    family = info.family_object()
    piecewise = family.name == "piecewise"
    if cure and (getattr(info, "cure_link", "logit") not in CURE_LINK_CODES
                 or getattr(info, "cure_type", "mixture") not in ("mixture", "promotion")):
        return None, "cure with an unknown link or type: not in the kernel"
    spline = family.name == "rp"
    if family.name not in KERNEL_FAMILIES or (
            family._identity() != (family.name,) and not (piecewise or spline)):
        return None, f"family {family.name!r} is not in the kernel"
    if not formulas_match(family):
        return None, f"family {family.name!r}: its formulas differ from the kernel's"
    tve = tve_terms(info) if getattr(info, "tve", None) else ()
    if tve and tve_refusal(info, family):
        return None, tve_refusal(info, family)
    grid = bool(tve) and bool(info.tve_splines)
    t_free, t_dets, t_data, t_dims = tve_names(tve, grid) if tve else ([], [], [], {})
    parts = tuple(getattr(info, "strata_parts", ()) or ()) if info.strata else ()
    shape_terms = tuple(getattr(info, "shape_terms", ()) or ())
    if shape_terms and (piecewise or family.shape_parameter != (family.params or [None])[0]):
        return None, f"shape covariates of family {family.name!r} are not in the kernel"
    # time_scale and standardise change the data (times, X), not the model; the piecewise
    # cut points are the family's structure (in info.cuts and the buffer)
    # frailty_centring changes how the levels are sampled, which the plan reads from the graph
    allowed = ({"time_scale", "standardise", "frailty_centring"}
               | ({"cuts", "n_intervals"} if piecewise else set())
               | ({"tve_cuts", "tve_knots"} if tve else set())
               | (SPLINE_OPTIONS if spline else set()))
    extra = sorted(set(family_options or {}) - allowed)
    if extra:
        return None, f"family options {extra} are not in the kernel"
    if info.cuts and not piecewise:
        return None, "cut points"
    named = model.named_vars
    spell_data = SPELL_DATA if info.spells else ()
    if any(name not in named for name in (*_DATA, *spell_data)):
        return None, "the model lacks the standard data containers"
    if info.spells and spell_problem(named):
        return None, spell_problem(named)
    if tve and info.spells and spell_mode(family, info, named) != 1:  # the graph's tve rows
        return None, "tve() with spells outside proportional hazards: not in the kernel"
    if not np.all(np.asarray(named["time"].get_value()) > 0):
        return None, "times at or below zero (the graph clips them; the kernel does not)"
    coords = {k: list(v) for k, v in model.coords.items() if v is not None}
    causes = len(coords.get("cause", ()))
    X = named["X"].get_value()
    terms = X.shape[1]
    slopes = slope_terms(info, list(coords.get("term", ())))  # (x | g): sd_, z_, v_<g>_<x>
    slope_z = {f"z_{name}" for _, name, _ in slopes}
    groups = tuple(sorted(n[2:] for n in named if n.startswith("z_") and n != "z_mm"
                          and n not in slope_z))
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
    free_names = {v.name for v in model.free_RVs}
    jnames = joint_names(free_names, coords.get("cause", []))  # joint priors (plan_joint)
    # AFT families sample intercept and coefficients on eta/sigma (graph._from_standardised),
    # unless a joint prior carries them (on eta itself)
    std = SCALE_SIGN.get(family.name, 0) if family.kind == "aft" and not jnames else 0
    if family.kind == "aft" and not std and not jnames:
        return None, f"family {family.name!r}: its scale of log T is not in the kernel"
    i_name, b_name = ("intercept_std", "beta_std") if std else ("intercept", "beta")
    # frailty intercepts sampled centred (u ~ Normal(0, sd), z = u / sd) or not (u = sd z)
    if mm:  # member effects: w_mm (on the intercept), u_mm (centred) or z_mm: from the graph
        mm["centred"] = 2 if "w_mm" in free_names else int("u_mm" in free_names)
    rot = mm.get("rotation_group", "") if mm else ""  # mm(centring="rotation"): plan_rotation
    rot_free = rotation_free(rot, named) if rot else []
    centred_groups = tuple(g for g in groups if f"u_{g}" in free_names)
    hier_groups = tuple(g for g in groups if f"w_{g}" in free_names)
    level = {g: "w" if g in hier_groups else "u" if g in centred_groups else "r" if g == rot
             else "z" for g in groups}
    free = (["intercept_offset" if centred else i_name] + ([b_name] if terms else [])
            + ([theta] if theta else []) + (["rw_sd", "rw_step"] if piecewise else [])
            + (["beta_shape"] if shape_terms else []) + (["strata_dev"] if strata_level else [])
            + [n for n in _mm_names(mm, "free") if not (rot and n == "z_mm")] + rot_free
            + (["cure_intercept"] + (["cure_beta"] if cure_terms else []) if cure else [])
            + [f"{p}_{g}" for g in groups for p in ("sd", level[g]) if p != "r"] + t_free
            + (["rp_spline"] if spline and family.n_knots else []) + slope_names(slopes, "free")
            + (["Q"] if family.name == "gengamma" else []))  # Q: the spline's slot (plan_ext)
    dets = ((["intercept_std" if std else "intercept"] if centred else [])
            + ([theta_det] if per_baseline else [])
            + ((["intercept"] + (["beta"] if terms else [])) if std else [])
            + (["log_baseline_dev"] if piecewise else [])
            + [name for g in groups for name in {"w": (f"u_{g}", f"z_{g}"), "u": (f"z_{g}",),
                                                 "z": (f"u_{g}",),
                                                 "r": (f"u_{g}", f"z_{g}")}[level[g]]]
            + _mm_names(mm, "deterministic") + (["z_mm"] if rot else []) + t_dets
            + slope_names(slopes, "deterministic"))
    data = (list(_DATA) + list(spell_data) + [f"idx_{g}" for g in groups]
            + (["intercept_centre"] if centred else [])
            + (["idx_strata"] if info.strata else []) + (["Z_shape"] if shape_terms else [])
            + _mm_names(mm, "data") + (["Z_cure"] if cure_terms else []) + t_data
            + slope_names(slopes, "data"))
    # per-cause or per-term priors: separate variables stacked into a deterministic
    stacked = stacked_parts(model, coords, {"" if centred else i_name: "cause",
                                            b_name if terms else "": "term", theta: "cause"})
    free = [p for name in free for p in stacked.get(name, [name])]
    dets += list(stacked)
    carried = carried_names(model, free_names, {v.name for v in model.deterministics}, stacked,
                            centred=centred, terms=terms, theta=theta,
                            groups=groups) if jnames else []
    loose = loose_names(free_names, coords["cause"], coords.get("term", [])) if jnames else []
    free = [n for n in free if n not in carried] + jnames + loose
    core_dets = list(dets)  # the kernel's order; the carried parameters are traced last
    dets += carried
    potentials = ["rp_monotone"] if spline and family.n_knots else []
    expected = set(free) | set(dets) | set(data) | {"lifespan"} | set(potentials)
    if set(named) != expected:
        odd = sorted(set(named) ^ expected)
        return None, f"variables {odd} are not in the kernel's structure"
    if ({v.name for v in model.free_RVs} != set(free)
            or {v.name for v in model.deterministics} != set(dets)
            or [v.name for v in model.observed_RVs] != ["lifespan"]
            or [v.name for v in model.potentials] != potentials):
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
                 "w_mm": ("cause", "member"), "e_mm": ("cause", "mm_contrast"),
                 "cure_intercept": (), "cure_beta": ("cure_term",),
                 "rp_spline": ("cause", "knot"), "Q": theta_dims,
                 **{name: () for name in mm.get("weight_params", {}).values()}, **t_dims}
    for parts in (*stacked.values(), jnames, loose):
        want_dims.update({p: () for p in parts})
    for g, name, _ in slopes:
        want_dims.update({f"sd_{name}": ("cause",), f"z_{name}": ("cause", f"level_{g}"),
                          f"v_{name}": ("cause", f"level_{g}")})
    for g in groups:
        want_dims.update({f"sd_{g}": ("cause",), f"z_{g}": ("cause", f"level_{g}"),
                          f"u_{g}": ("cause", f"level_{g}"),
                          f"w_{g}": ("cause", f"level_{g}"), f"zm_{g}": ("cause", f"level_{g}"),
                          f"s_{g}": ("cause", f"level_{g}")})
    blocks, offset, mixtures = [], 0, []
    for rv in model.free_RVs:
        dims = tuple(model.named_vars_to_dims.get(rv.name) or ())
        if dims != want_dims[rv.name] or any(d not in coords for d in dims):
            return None, f"{rv.name}: dims {dims} differ from the kernel's"
        if rv.name.startswith("tve_step_"):  # no dims in the graph: (cause, J - 1)
            dims = tve_step_dims(tve, rv.name, rv, causes, coords)
            if isinstance(dims, str):
                return None, dims
        if rv.name == "rw_step":
            prior = step_prior(model, rv)
        elif rv.name.startswith("u_"):
            prior = centred_prior(model, rv, rv.name[2:])
        elif rv.name.startswith("w_"):
            prior = hier_prior(model, rv, rv.name[2:])
        elif rv.name == "strata_dev":
            prior = zerosum_prior(model, rv)
        elif rv.name in jnames and not rv.name.endswith("_z"):  # a mixture: v itself
            prior = mixture_prior(model, rv)
            if not isinstance(prior, str):
                mixtures.append((rv.name, *prior))
                prior = (MIXTURE_CODE, 0.0, 0.0, 0.0)
        else:
            prior = prior_of(model, rv)
        if isinstance(prior, str):
            return None, prior
        if (rv.name.startswith(("z_", "tve_step_")) or rv.name.endswith("joint_z")
                or rv.name in rot_free) and (
                prior != (0, 0.0, 1.0, 0.0)):
            return None, f"{rv.name}: not a standard normal"
        shape = tuple(len(coords[d]) for d in dims)
        if rv.name in jnames:  # (terms of the joint prior,): no dims in the graph, PyMC's name
            shape = tuple(int(v) for v in rv.shape.eval())
            dims = (f"{rv.name}_dim_0",)
            coords[dims[0]] = list(range(shape[0]))
        blocks.append(Block(rv.name, dims, shape, offset, prior[0] in positive_codes(), prior,
                            zerosum=rv.name == "strata_dev"))
        offset += blocks[-1].size
    theta_names = (theta, *stacked.get(theta, ()))
    for name, parts in stacked.items():  # consecutive, on the scale the kernel assumes
        first = next(b for b in blocks if b.name == parts[0])
        if [b.name for b in blocks[blocks.index(first):blocks.index(first) + len(parts)]] != parts:
            return None, f"{name}: its separate variables {parts} are not consecutive"
        if any(b.log_transformed != (name == theta and not per_baseline) for b in blocks
               if b.name in parts):
            return None, f"{name}: a part's prior is not on the scale the kernel assumes"
    if per_baseline and any(b.name in theta_names and b.log_transformed for b in blocks):
        return None, f"{theta}: a prior on the positive reals (the kernel samples it on all reals)"
    deterministics = tuple((name, want_dims[name], tuple(len(coords[d]) for d in want_dims[name]))
                           for name in core_dets + carried)
    ext, layout = (), None
    if jnames:  # the carried parameters' blocks after x and the map to them (plan_joint)
        for name in carried:
            shape = tuple(len(coords[d]) for d in want_dims[name])
            ext += (Block(name, want_dims[name], shape, offset + sum(b.size for b in ext),
                          name not in ("intercept", "beta") and not (
                              name == theta and per_baseline), (NONE_CODE, 0.0, 0.0, 0.0)),)
        layout = joint_layout(model, tuple(blocks), ext, jnames + loose, tuple(mixtures))
        if isinstance(layout, str):
            return None, layout
    if hier_groups or mm.get("centred") == 2:  # levels start where the intercept starts (eta)
        first = ("intercept_offset" if centred else stacked.get(i_name, [i_name])[0])
        start = (layout.a[0] if "intercept" in carried else
                 support(next(b for b in blocks if b.name == first)))
        if centred:
            start += float(np.mean(named["intercept_centre"].get_value()))
        if std:
            start *= float(np.exp(std * support(next(b for b in blocks
                                                      if b.name in theta_names))))
        blocks = [Block(b.name, b.dims, b.shape, b.offset, b.log_transformed,
                        (HIER_CODE, start, 0.0, 0.0)) if b.name.startswith("w_") else b
                  for b in blocks]
    rotation = None
    if rot:  # the kernel's non-centred blocks and the map from the graph's (plan_rotation)
        rotated = rotate_blocks(blocks, rot, named, coords, causes, jnames)
        if isinstance(rotated, str):
            return None, rotated
        blocks, rotation = rotated
        extras = {name for name, _, _ in rotation.extras}
        deterministics = tuple(d for d in deterministics if d[0] not in extras)
    levels = tuple(len(coords[f"level_{g}"]) for g in groups)
    cuts = tuple(float(c) for c in info.cuts) if piecewise else None
    kplan = KernelPlan(family.name, causes, terms, centred, theta, groups, levels, tuple(blocks),
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
                      cure_terms=len(cure_terms), tve=tve, tve_grid=grid,
                      tve_bounds=plan_bounds(info, tve, grid, cuts) if tve else (),
                      spline_knots=tuple(family.log_knots) if spline else None,
                      spline_scale=getattr(family, "scale", "hazard"),
                      slopes=tuple(slopes),
                      spells=spell_mode(family, info, named) if info.spells else 0,
                      stacked=tuple((n, tuple(p)) for n, p in stacked.items()),
                      ext_blocks=ext, joint=layout, rotation=rotation)
    if tve:  # the graph's grid and bases against the kernel's cells
        rows = spell_buffer(kplan, named)[0] if info.spells else named
        reason = tve_arrays(kplan, rows)[2]
        if reason:
            return None, reason
    return kplan, ""


def _mm_names(mm: dict, kind: str) -> list[str]:
    """Names the mm() term adds to the graph (:func:`coalsurv.build.members.member_theta`)."""
    if not mm:
        return []
    params = list(mm.get("weight_params", {}).values())
    sampled, traced = {0: ("z_mm", ["u_mm"]), 1: ("u_mm", ["z_mm"]),
                       2: ("w_mm", ["u_mm", "z_mm"])}[int(mm.get("centred", 0))]
    if kind == "free":
        return (params + (["beta_mm"] if mm["terms"] else [])
                + (["sd_mm", sampled] if mm["random"] else []))
    if kind == "deterministic":
        return traced if mm["random"] else []
    return (["mm_coalition"] + (["mm_share", "mm_size"] if params else ["mm_weight"])
            + (["mm_X"] if mm["terms"] else []) + (["mm_member"] if mm["random"] else []))


def formulas_match(family) -> bool:
    """Whether the family's own log hazard and log survival equal the kernel's (a grid).

    Guards against a family's formula (or parameterisation) changing under the kernel. The
    verdict is remembered on disk under a digest of the family's code and options, the
    kernel's sources and the library versions (:mod:`coalsurv.backend.formulas_memo`), so a
    fresh process loads the compiled terms only when one of them changed. The piecewise
    baseline's check is NumPy alone (under a millisecond, less than the memo's key): not kept.
    """
    if family.name == "piecewise":
        return _piecewise_formulas_match(family)
    return memoised(family, _formulas_match_now)


def _formulas_match_now(family) -> bool:
    """Check the family against the kernel on the grid (no memo)."""
    from coalsurv.families.kernels import family_terms_at

    if family.name == "rp":
        return spline_formulas_match(family)
    if family.name == "gengamma":
        return gengamma_formulas_match(family)
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
                got = family_terms_at(code, t, float(np.log(t)), eta, theta,
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
