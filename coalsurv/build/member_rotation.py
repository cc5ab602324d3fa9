"""Members nested in a frailty factor: the two effects rotated (``centring="rotation"``).

With parties in countries (every member of the ``mm()`` term sits in coalitions of one level
``c(k)`` of a frailty factor ``(1 | g)``) and weights summing to one within each coalition,
``u_g[c] + sum_k w_ik u_mm[k] = sum_k w_ik a_k`` with the member totals ``a_k = v_c(k) + u_k``:
the likelihood sees only ``a``, and ``v`` against its members' ``u`` is a ridge. The rotated
form samples coordinates along and across that ridge. Non-centred originals ``v_c = sd_g zv_c``,
``u_k = sd_mm zu_k``; within level ``c`` (``n_c`` members) ``zu = zbar_c 1 + B_c e_c`` with
``B_c`` the Helmert basis of the zero-sum space (:func:`helmert_basis`). The pair
``(zv_c, sqrt(n_c) zbar_c)`` is rotated by the angle with ``cos = sd_g / S_c``,
``sin = (sd_mm / sqrt(n_c)) / S_c``, ``S_c = sqrt(sd_g^2 + sd_mm^2 / n_c)``::

    zv_c = cos zm_c - sin s_c,   sqrt(n_c) zbar_c = sin zm_c + cos s_c
    a_k = S_c zm_c + sd_mm (B_c e_c)_k

``zm_<g>``, ``s_<g>`` (cause, level) and ``e_mm`` (cause, mm_contrast: ``K - C`` values) are
sampled ``Normal(0, 1)``: an orthogonal map of iid standard normals is iid standard normal
whatever its (parameter-dependent) angle, so the posterior is exactly the non-centred one
(no Jacobian). ``u_<g>``, ``z_<g>``, ``u_mm``, ``z_mm`` are traced as before. ``s_c`` does not
enter the likelihood.

Used when every member nests in one level of the factor, every level has a member, the
weights sum to one within each coalition and the member effects are random
(:func:`rotation_group`); ``centring="rotation"`` where that fails is a ``SpecError``.
"""

from __future__ import annotations

import numpy as np

from coalsurv.errors import SpecError

__all__ = ["helmert_basis", "member_levels", "refuse_rotation", "rotated_effects",
           "rotation_group"]


def member_levels(rows, group) -> tuple[np.ndarray, list[str]]:
    """Level of ``group`` of each member (``rows.levels`` order) and the problems, if any.

    A problem names a member in coalitions of two levels, or a level without members.
    """
    level = np.asarray(group.index)[rows.coalition]
    K, C = len(rows.levels), len(group.levels)
    of = np.full(K, -1, dtype=np.int64)
    problems: list[str] = []
    seen = np.zeros((K, C), dtype=bool)
    seen[rows.member, level] = True
    several = np.flatnonzero(seen.sum(axis=1) > 1)
    for k in several[:5]:
        names = [group.levels[c] for c in np.flatnonzero(seen[k])][:3]
        problems.append(f"member {rows.levels[k]!r} sits in coalitions of levels {names} of "
                        f"{group.term.factor!r}")
    if several.size > 5:
        problems.append(f"... and {several.size - 5} more members in several levels")
    of[seen.sum(axis=1) == 1] = np.argmax(seen, axis=1)[seen.sum(axis=1) == 1]
    empty = np.flatnonzero(~seen.any(axis=0))
    if empty.size:
        problems.append(f"levels {[group.levels[c] for c in empty[:5]]} of "
                        f"{group.term.factor!r} have no members")
    return of, problems


def rotation_group(rows, groups) -> tuple[str, list[str]]:
    """Name of the frailty factor the member effects rotate with ('' when none) and why not.

    The first factor with a frailty intercept in which the members nest (:func:`member_levels`);
    the member effects must be random and their weights sum to one within each coalition.
    """
    term = rows.term
    problems: list[str] = []
    if not term.random:
        problems.append("mm(..., random=False) has no member effects to rotate")
    if not term.sum_to_one:
        problems.append("mm(..., sum_to_one=False): the member term does not shift with the "
                        "factor's level, so the rotation is not exact")
    intercepts = [g for g in groups if g.term.intercept]
    if not intercepts:
        problems.append("the formula has no frailty intercept (1 | g) for the members to nest in")
    if problems:
        return "", problems
    for g in intercepts:
        found = member_levels(rows, g)[1]
        if not found:
            return g.name, []
        problems.extend(found)
    return "", problems


def refuse_rotation(formula: str, term, problems: list[str]) -> SpecError:
    """Return the error of ``centring="rotation"`` where the rotation does not hold."""
    return SpecError(f"formula {formula!r}: {term}: centring='rotation' needs members nested "
                     "in the levels of a frailty factor (1 | g) and weights summing to one",
                     problems)


def helmert_basis(of: np.ndarray, n_levels: int) -> np.ndarray:
    """``(K, K - C)``: each level's Helmert basis of the zero-sum space of its members.

    Level ``c``'s members in increasing index ``i_0 < i_1 < ...``; its columns ``j = 1..n_c - 1``
    (in level order, then ``j``) are ``(1, ..., 1, -j, 0, ...) / sqrt(j (j + 1))`` with ``j``
    ones: orthonormal and summing to zero.
    """
    K = of.size
    B = np.zeros((K, K - n_levels))
    col = 0
    for c in range(n_levels):
        idx = np.flatnonzero(of == c)
        for j in range(1, idx.size):
            B[idx[:j], col] = 1.0 / np.sqrt(j * (j + 1.0))
            B[idx[j], col] = -j / np.sqrt(j * (j + 1.0))
            col += 1
    return B


def rotated_effects(rows, group, sd_g, sd_mm):
    """Sample the rotated form in the model context; return ``(u_mm, u_g)`` (cause, ...).

    Adds the coordinate ``mm_contrast``, the RVs ``zm_<g>``, ``s_<g>`` and (members beyond one
    per level) ``e_mm``, created one after the other (the native kernel reads ``s_<g>`` and
    ``e_mm`` as one block), and the deterministics ``u_<g>``, ``z_<g>``, ``z_mm``, ``u_mm``.
    """
    import pymc as pm
    import pytensor.tensor as pt

    of, problems = member_levels(rows, group)
    if problems:  # rotation_group checked this; a coding error otherwise
        raise SpecError("mm(): the members do not nest in the rotation's factor", problems)
    C, K = len(group.levels), len(rows.levels)
    n_c = np.bincount(of, minlength=C).astype(float)
    dims = ("cause", f"level_{group.name}")
    zm = pm.Normal(f"zm_{group.name}", 0.0, 1.0, dims=dims)
    s = pm.Normal(f"s_{group.name}", 0.0, 1.0, dims=dims)
    S = pt.sqrt(sd_g[:, None] ** 2 + sd_mm[:, None] ** 2 / n_c[None, :])
    cos = sd_g[:, None] / S
    sin = sd_mm[:, None] / np.sqrt(n_c)[None, :] / S
    zv = cos * zm - sin * s
    zbar = (sin * zm + cos * s) / np.sqrt(n_c)[None, :]
    zu = zbar[:, of]
    if K > C:
        pm.modelcontext(None).add_coord("mm_contrast", np.arange(K - C))
        e = pm.Normal("e_mm", 0.0, 1.0, dims=("cause", "mm_contrast"))
        zu = zu + pt.dot(e, helmert_basis(of, C).T)
    u_g = pm.Deterministic(f"u_{group.name}", sd_g[:, None] * zv, dims=dims)
    pm.Deterministic(f"z_{group.name}", zv, dims=dims)
    pm.Deterministic("z_mm", zu, dims=("cause", "member"))
    u_mm = pm.Deterministic("u_mm", sd_mm[:, None] * zu, dims=("cause", "member"))
    return u_mm, u_g
