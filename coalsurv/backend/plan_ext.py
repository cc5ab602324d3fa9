"""The plan's side of the Royston-Parmar spline and the varying slopes (issue 23).

:func:`slope_terms` names the graph's variables of every varying slope ``(x | g)``
(:mod:`coalsurv.build.graph`: ``sd_<g>_<x>``, ``z_<g>_<x>``, ``v_<g>_<x>``, the index
``idx_<g>``); :func:`spline_formulas_match` checks the kernel's spline
(:mod:`coalsurv.backend.kernel_spline`) against the family's own NumPy formulas on a grid;
:func:`ext_size` and :func:`fill_ext` write the extension header of the buffer
(:func:`coalsurv.backend.kernel_layout.ext_base`) and return its data arrays (the spline's
constants, the piecewise baseline's upper-bound intervals, the slopes' level indices).
"""

from __future__ import annotations

import numpy as np

from coalsurv.backend.plan_gamma import fill_gengamma
from coalsurv.backend.plan_joint import fill_joint
from coalsurv.backend.plan_types import KernelPlan

__all__ = ["SPLINE_OPTIONS", "slope_terms", "slope_names", "stacked_parts",
           "spline_formulas_match", "ext_size", "fill_ext"]

#: Family options of ``rp`` that only choose the knots and the scale (read from the family).
SPLINE_OPTIONS = {"k", "knots", "bknots", "scale"}


def slope_terms(info, terms: list[str]) -> list[tuple[str, str, int]]:
    """``(group, <g>_<x>, column of X)`` of every varying slope, in the graph's order."""
    from coalsurv.build.info import var_name

    out = []
    for factor, slopes in (getattr(info, "slopes", None) or {}).items():
        group = factor.replace(":", "__")
        out += [(group, f"{group}_{var_name(x)}", terms.index(x)) for x in slopes]
    return out


def slope_names(slopes, kind: str) -> list[str]:
    """Return the graph's free, deterministic or data names of the varying slopes."""
    if kind == "free":
        return [f"{p}_{name}" for _, name, _ in slopes for p in ("sd", "z")]
    if kind == "deterministic":
        return [f"v_{name}" for _, name, _ in slopes]
    return sorted({f"idx_{g}" for g, _, _ in slopes})


def stacked_parts(model, coords: dict, names: dict) -> dict[str, list[str]]:
    """Separate variables the graph stacks into ``name`` (per-cause or per-term priors).

    ``names``: candidate name -> ``"cause"`` (``build.graph._cause_vector``: one variable
    ``<name>_<cause>`` per cause) or ``"term"`` (``build.graph._coefficients``:
    ``<name>_<cause>_<term>``, or ``<name>_<term>`` with one cause). A candidate counts only
    when it is a deterministic of the graph and every part a free variable.
    """
    from coalsurv.build.info import var_name

    free = {v.name for v in model.free_RVs}
    dets = {v.name for v in model.deterministics}
    causes, terms = list(coords.get("cause", ())), list(coords.get("term", ()))
    out = {}
    for name, kind in names.items():
        if not name or name in free or name not in dets:
            continue
        if kind == "cause":
            parts = [f"{name}_{var_name(str(c))}" for c in causes]
        else:
            parts = [f"{name}_{var_name(str(c))}_{var_name(t)}" if len(causes) > 1
                     else f"{name}_{var_name(t)}" for c in causes for t in terms]
        if parts and all(p in free for p in parts):
            out[name] = parts
    return out


def spline_formulas_match(family) -> bool:
    """Whether the kernel's spline terms equal the family's log hazard and log survival."""
    from coalsurv.backend.kernel_spline import min_slope, rp_terms, spline_constants

    spl = spline_constants(family)
    K = family.n_knots
    knots = family.log_knots
    xs = np.concatenate([knots, 0.5 * (knots[:-1] + knots[1:]), [knots[0] - 0.7,
                                                                    knots[-1] + 0.9]])
    for b in (np.zeros(K), np.resize([0.3, -0.2, 0.15], K)):
        for slope in (0.8, 1.7):
            for eta in (-1.3, 0.4):
                params = {"rp_slope": slope, **({"rp_spline": b} if K else {})}
                t = np.exp(xs)
                want_h = family.log_hazard(t, eta, **params)
                want_s = family.log_survival(t, eta, **params)
                got = np.array([rp_terms(float(x), eta, slope, spl, b, -1) for x in xs])
                if not (np.allclose(want_h, got[:, 0], rtol=1e-10, atol=1e-12)
                        and np.allclose(want_s, got[:, 3], rtol=1e-10, atol=1e-12)):
                    return False
                if K and not np.isclose(family.min_slope(slope, b), min_slope(spl, b, slope),
                                        rtol=1e-10, atol=1e-12):
                    return False
    return True


def ext_size(kplan: KernelPlan) -> int:
    """Length of the extension header (spline, then the slopes' blocks)."""
    from coalsurv.backend import kernel_layout as K

    return K.E_SLOPE_BLOCKS + K.SLOPE_WIDTH * len(kplan.slopes)


def fill_ext(kplan: KernelPlan, named, head: np.ndarray, at: int) -> list[np.ndarray]:
    """Write the extension header into ``head``; return its arrays (starting at ``at``)."""
    from coalsurv.backend import kernel_layout as K
    from coalsurv.backend.kernel_spline import spline_constants, spline_rows

    e = K.H_GROUPS + K.GROUP_WIDTH * len(kplan.groups)
    head[e + K.E_SPLINE_OFF] = head[e + K.E_SPLINE_DATA] = -1
    head[e + K.E_SLOPES] = len(kplan.slopes)
    parts: list[np.ndarray] = []
    names = {b.name for b in kplan.blocks}
    if kplan.spline_knots is not None:
        from coalsurv.families import get_family

        family = get_family("rp", log_knots=np.asarray(kplan.spline_knots),
                            scale=kplan.spline_scale)
        head[e + K.E_SPLINE_DATA] = at
        parts.append(spline_constants(family))
        interval = np.asarray(named["interval_of"].get_value()).reshape(kplan.causes, -1)
        upper = (np.asarray(named["time_upper"].get_value(), dtype=float)
                 if np.any(interval > 0) else np.zeros(interval.shape[1]))
        parts.append(spline_rows(family, named["time"].get_value(), named["entry"].get_value(),
                                 upper).ravel())  # the rows' basis (data)
        if "rp_spline" in names:
            block = kplan.block("rp_spline")
            head[e + K.E_SPLINE_OFF] = block.offset
            head[e + K.E_SPLINE_K] = block.shape[-1]
            head[e + K.E_SPLINE_PRIOR:e + K.E_SPLINE_PRIOR + 4] = block.prior
    fill_gengamma(kplan, head, e, at, parts)  # the generalised gamma's Q in the same slot
    head[e + K.E_PW_UPPER] = -1
    interval = np.asarray(named["interval_of"].get_value())
    if kplan.cuts is not None and np.any(interval > 0):  # coalsurv.backend.kernel_piecewise
        from coalsurv.families import get_family

        family = get_family("piecewise", cuts=np.asarray(kplan.cuts))
        upper = np.asarray(named["time_upper"].get_value(), dtype=float)
        j_u = family.interval_index(upper)
        head[e + K.E_PW_UPPER] = at + sum(p.size for p in parts)
        parts += [j_u.astype(float), upper - family.bounds[0][j_u]]
    _stacked_tables(kplan, head, e, at, parts)
    head[e + K.E_SLOPE_DATA] = at + sum(p.size for p in parts)
    for s, (group, name, col) in enumerate(kplan.slopes):
        hb = e + K.E_SLOPE_BLOCKS + K.SLOPE_WIDTH * s
        sd, z = kplan.block(f"sd_{name}"), kplan.block(f"z_{name}")
        head[hb:hb + 3] = sd.offset, z.offset, z.shape[-1]
        head[hb + 3:hb + 7] = sd.prior
        head[hb + 7] = col
        parts.append(np.asarray(named[f"idx_{group}"].get_value(), dtype=float).reshape(-1))
    fill_joint(kplan, head, e, at, parts)  # joint and mixture priors (plan_joint)
    return parts


def _stacked_tables(kplan: KernelPlan, head: np.ndarray, e: int, at: int, parts: list) -> None:
    """Priors of each stacked block's parts (a table) and its expansion entry."""
    from coalsurv.backend import kernel_layout as K
    from coalsurv.backend.kernel_priors import TABLE_CODE

    head[e + K.E_STACKED] = len(kplan.stacked)
    entries = []
    for name, names in kplan.stacked:
        slot = {kplan.beta_name: K.H_PRIOR_BETA, kplan.theta: K.H_PRIOR_THETA}.get(
            name, K.H_PRIOR_INT)
        head[slot:slot + 2] = TABLE_CODE, at + sum(p.size for p in parts)
        parts.append(np.concatenate([np.asarray(kplan.block(p).prior, dtype=float)
                                     for p in names]))
        first = kplan.block(names[0])
        entries += [first.offset, len(names), float(name == kplan.theta
                                                    and not kplan.per_baseline)]
    head[e + K.E_STACKED_DATA] = at + sum(p.size for p in parts)
    parts.append(np.asarray(entries, dtype=float))
