"""The native plan's half of ``tve(x)``: the graph's tve variables and the kernel's tve arrays.

:func:`tve_terms` names what :mod:`coalsurv.build.time_terms` adds to the graph for each term
(``tve_sd_<x>``, ``tve_step_<x>``, ``tve_dev_<x>``, ``X_tve`` and either ``tve_index_<q>`` (only
piecewise terms) or the smooth terms' quadrature grid ``tve_points``, ``tve_basis_time_<q>``,
``tve_basis_cells_<q>``, ``tve_index_time_<q>``, ``tve_index_cells_<q>``). :func:`tve_arrays`
turns the model's own data into the sparse row-cell form of :mod:`coalsurv.backend.kernel_tve`
and checks it against the graph (the grid's points, the full cells' basis shared by the rows),
returning a reason when they differ.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from coalsurv.build.time_splines import tve_bounds
from coalsurv.build.time_terms import tve_safe_name

__all__ = ["TveTerm", "tve_refusal", "tve_terms", "tve_names", "tve_step_dims", "tve_arrays"]


class TveTerm(NamedTuple):
    """One tve term of the plan (graph order)."""

    name: str
    safe: str  # its name in the graph's variables
    J: int  # coefficients (smooth) or intervals (piecewise)
    spline: bool
    cuts: tuple  # piecewise: interior cuts (model time)
    centre: tuple  # dev = d - sum_j centre_j d_j


def tve_refusal(info, family) -> str:
    """Why the kernel does not implement this model's tve terms ("" when it does)."""
    if family.kind != "ph":
        return f"tve() with family {family.name!r} (not proportional hazards): not in the kernel"
    return ""


def tve_terms(info) -> tuple[TveTerm, ...]:
    """Return the model's tve terms, in the graph's order (``info.tve``)."""
    out = []
    for name, values in info.tve.items():
        spline = info.tve_splines.get(name)
        J = int(spline["df"]) + 1 if spline else len(values) + 1
        centre = spline["centre"] if spline else [1.0 / J] * J
        out.append(TveTerm(name, tve_safe_name(name), J, spline is not None,
                           () if spline else tuple(float(c) for c in values),
                           tuple(float(c) for c in centre)))
    return tuple(out)


def tve_names(terms, grid: bool) -> tuple[list[str], list[str], list[str], dict]:
    """Free, deterministic and data names the graph has for ``terms``; dims of each."""
    free = [f"{p}_{t.safe}" for t in terms for p in ("tve_sd", "tve_step")]
    dets = [f"tve_dev_{t.safe}" for t in terms]
    data = ["X_tve"]
    for q, t in enumerate(terms):
        if not grid:
            data.append(f"tve_index_{q}")
        elif t.spline:
            data += [f"tve_basis_time_{q}", f"tve_basis_cells_{q}"]
        else:
            data += [f"tve_index_time_{q}", f"tve_index_cells_{q}"]
    if grid:
        data.append("tve_points")
    dims = {}
    for t in terms:
        dims[f"tve_sd_{t.safe}"] = ("cause",)
        dims[f"tve_step_{t.safe}"] = ()
        dims[f"tve_dev_{t.safe}"] = ("cause", f"tve_{'coef' if t.spline else 'interval'}_"
                                              f"{t.safe}")
    return free, dets, data, dims


def tve_step_dims(terms, name: str, rv, causes: int, coords: dict) -> tuple | str:
    """``tve_step_<x>`` has no dims in the graph: check its shape (cause, J - 1), name them."""
    term = next(t for t in terms if f"tve_step_{t.safe}" == name)
    shape = tuple(int(s) for s in rv.shape.eval())
    if shape != (causes, term.J - 1):
        return f"{name}: shape {shape}, not (cause, {term.J - 1})"
    dims = (f"{name}_dim_0", f"{name}_dim_1")
    coords[dims[0]], coords[dims[1]] = list(range(causes)), list(range(term.J - 1))
    return dims


def plan_bounds(info, terms, grid: bool, piecewise_cuts) -> tuple[float, ...]:
    """Interior cell bounds: the graph's grid, or the piecewise terms' and baseline's cuts."""
    if grid:
        return tuple(float(b) for b in tve_bounds(info))
    cuts = [c for t in terms for c in t.cuts] + list(piecewise_cuts or ())
    return tuple(float(b) for b in np.unique(np.asarray(cuts, dtype=float)))


def tve_arrays(kplan, named) -> tuple[list[np.ndarray], list[float], str]:
    """Return the tve part of the buffer (:mod:`coalsurv.backend.kernel_tve`) from the data.

    ``named``: the model's named variables, or with spells the kernel's spell rows
    (:func:`coalsurv.backend.native_spells.spell_buffer`: ``time``, ``entry``, ``X_tve`` and
    ``tve_index_<q>`` of each spell row, the graph's rows of :func:`tve_loglik` on spells).
    Returns the arrays after the table, the table itself (``nb``, ``Jm``, ``shared`` and per
    term its ``TERM_WIDTH`` values) and a reason ("" when the data agree with the kernel's form).
    """
    terms = kplan.tve
    t = np.asarray(named["time"].get_value(), dtype=float)
    entry = np.asarray(named["entry"].get_value(), dtype=float)
    n = t.size
    bounds = np.asarray(kplan.tve_bounds, dtype=float)
    nb, nc = bounds.size, bounds.size + 1
    full = np.concatenate([[0.0], bounds, [np.inf]])
    c0 = np.searchsorted(bounds, entry, side="right")
    c1 = np.searchsorted(bounds, t, side="left")
    rows = np.arange(n)
    inner = (np.arange(nc)[None, :] > c0[:, None]) & (np.arange(nc)[None, :] < c1[:, None])
    if kplan.tve_grid:
        points = np.asarray(named["tve_points"].get_value(), dtype=float)
        want = np.clip(full[None, :], entry[:, None], t[:, None])
        if points.shape != want.shape or not np.array_equal(points, want):
            return [], [], "tve(): the graph's quadrature points differ from the kernel's cells"
    jm = max(term.J for term in terms)
    centre = np.zeros((len(terms), jm))
    cell = np.zeros((len(terms), nc, jm))
    at_t, first, last = (np.zeros((len(terms), n, jm)) for _ in range(3))
    upper = np.concatenate([bounds, [np.inf]])
    for q, term in enumerate(terms):
        J = term.J
        centre[q, :J] = term.centre
        eye = np.eye(J)
        if kplan.tve_grid and term.spline:
            at_t[q, :, :J] = np.asarray(named[f"tve_basis_time_{q}"].get_value(), dtype=float)
            values = np.asarray(named[f"tve_basis_cells_{q}"].get_value(), dtype=float)
            first[q, :, :J], last[q, :, :J] = values[rows, c0], values[rows, c1]
            pick = np.argmax(inner, axis=0)  # a row where the cell is full (if any)
            cell[q, :, :J] = np.where(inner.any(axis=0)[:, None], values[pick, np.arange(nc)],
                                      0.0)
            if not np.allclose(values[inner], np.broadcast_to(cell[q, :, :J], values.shape)[
                    inner], rtol=1e-12, atol=1e-14):
                return [], [], f"tve({term.name}): the basis of a full cell differs by row"
            continue
        if kplan.tve_grid:
            index_t = np.asarray(named[f"tve_index_time_{q}"].get_value()).astype(int)
            index_c = np.asarray(named[f"tve_index_cells_{q}"].get_value()).astype(int)
        else:
            index_t = np.asarray(named[f"tve_index_{q}"].get_value()).astype(int)
            index_c = np.where(np.isfinite(upper), np.searchsorted(
                np.asarray(term.cuts, dtype=float), upper, side="left"), len(term.cuts))
        if index_c.shape != (nc,) or index_t.min() < 0 or max(index_t.max(), index_c.max()) >= J:
            return [], [], f"tve({term.name}): interval indices outside its {J} intervals"
        at_t[q, :, :J] = eye[index_t]
        cell[q, :, :J] = eye[index_c]
        first[q], last[q] = cell[q][c0], cell[q][c1]
    jb = np.zeros(nc)
    if kplan.cuts is not None:  # the piecewise baseline's interval of each cell
        cuts = np.asarray(kplan.cuts, dtype=float)
        if not np.all(np.isin(cuts, bounds)):
            return [], [], "tve(): cells across the piecewise baseline's cut points"
        mid = np.where(np.isfinite(upper), 0.5 * (full[:-1] + upper), 2.0 * full[-2] + 1.0)
        jb = np.searchsorted(cuts, mid, side="left").astype(float)
    x_tve = np.asarray(named["X_tve"].get_value(), dtype=float).reshape(n, len(terms))
    with np.errstate(divide="ignore"):
        log_bounds = np.log(bounds)
    # the rows' own bases at t and on their end cells, times x (data only: per step a dot
    # product each), unless they are the cells' own (only piecewise terms: "shared")
    shared = all(np.array_equal(at_t[q], cell[q][c1]) and np.array_equal(first[q], cell[q][c0])
                 and np.array_equal(last[q], cell[q][c1]) for q in range(len(terms)))
    xb = np.zeros((3, 0 if shared else n, len(terms) * jm))
    if not shared:
        for r, basis in enumerate((at_t, first, last)):
            xb[r] = (x_tve.T[:, :, None] * basis).transpose(1, 0, 2).reshape(n, -1)
    table = [float(nb), float(jm), float(shared)]
    for term in terms:
        sd, step = kplan.block(f"tve_sd_{term.safe}"), kplan.block(f"tve_step_{term.safe}")
        table += [float(term.J), float(sd.offset), float(step.offset), *map(float, sd.prior), 0.0]
    arrays = [bounds, log_bounds, jb, c0.astype(float), c1.astype(float), x_tve.ravel(),
              centre.ravel(), cell.ravel(), xb.ravel()]
    return arrays, table, ""
