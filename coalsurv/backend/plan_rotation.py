"""The native plan of the rotated member effects (``mm(..., centring="rotation")``).

The graph (:mod:`coalsurv.build.member_rotation`) samples ``zm_<g>``, ``s_<g>`` (cause, level)
and ``e_mm`` (cause, mm_contrast), one after the other, and traces ``u_<g>``, ``z_<g>``,
``u_mm``, ``z_mm``. The kernel keeps its non-centred form: its plan (:func:`rotate_blocks`)
reads the slots of ``zm_<g>`` as ``z_<g>`` (``C`` values) and those of ``s_<g>`` and ``e_mm``
as ``z_mm`` (``K = C + (K - C)`` values), and a rotation section (:func:`rotation_section`,
appended after the buffer the log density reads) lets
:mod:`coalsurv.backend.kernel_rotation` map the sampled point to that form, call the kernel and
chain the gradient back (the angle's dependence on ``log sd_<g>`` and ``log sd_mm`` included).
The traced variables (:attr:`RotationPlan.traced`) are the graph's: the sampled blocks under
their own names, the kernel's deterministics, then ``z_<g>`` and ``z_mm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coalsurv.backend.plan_types import Block

__all__ = ["RotationPlan", "rotate_blocks", "rotation_free", "rotation_section"]

#: Header of the rotation section (kernel_rotation reads these indices).
R_HEAD = 11


@dataclass(frozen=True)
class RotationPlan:
    """The rotated blocks of one plan.

    Attributes
    ----------
    group : str
        The frailty factor the members nest in.
    of : ndarray of int
        Level of each member (``member`` order).
    outer : tuple
        ``(name, dims, shape)`` of every sampled block in ``x`` order (the graph's names).
    extras : tuple
        ``(name, dims, shape)`` of ``z_<g>`` and ``z_mm``, traced after the kernel's.
    """

    group: str
    of: np.ndarray
    outer: tuple
    extras: tuple


def rotation_free(group: str, named) -> list[str]:
    """Return the graph's sampled names of the rotation (``e_mm``: more members than levels)."""
    return [f"zm_{group}", f"s_{group}"] + (["e_mm"] if "e_mm" in named else [])


def rotate_blocks(blocks, group: str, named, coords, causes: int, jnames
                  ) -> tuple[tuple[Block, ...], RotationPlan] | str:
    """Return the kernel's blocks (``z_<g>``, ``z_mm`` non-centred) and the rotation, or why not."""
    if causes != 1:
        return "mm(centring='rotation') with several causes: not in the kernel"
    if jnames:
        return "mm(centring='rotation') with a joint prior: not in the kernel"
    by = {b.name: b for b in blocks}
    zm, s, e = by[f"zm_{group}"], by[f"s_{group}"], by.get("e_mm")
    if not (by[f"sd_{group}"].log_transformed and by["sd_mm"].log_transformed):
        return "mm(centring='rotation'): sd priors not on the positive reals"
    if e is not None and e.offset != s.offset + s.size:
        return "mm(centring='rotation'): s_ and e_mm are not consecutive"
    C, K = zm.size, len(coords["member"])
    if s.size + (e.size if e is not None else 0) != K:
        return "mm(centring='rotation'): the blocks do not span the members"
    level = np.asarray(named[f"idx_{group}"].get_value(), dtype=np.int64)
    coalition = np.asarray(named["mm_coalition"].get_value(), dtype=np.int64)
    member = np.asarray(named["mm_member"].get_value(), dtype=np.int64)
    of = np.full(K, -1, dtype=np.int64)
    of[member] = level[coalition]
    if np.any(of < 0) or np.any(of[member] != level[coalition]) or np.any(
            np.bincount(of, minlength=C) == 0):
        return "mm(centring='rotation'): the members do not nest in the factor's levels"
    inner = []
    for b in blocks:
        if b.name == zm.name:
            inner.append(Block(f"z_{group}", zm.dims, zm.shape, zm.offset, False, zm.prior))
        elif b.name == s.name:
            inner.append(Block("z_mm", ("cause", "member"), (1, K), s.offset, False, s.prior))
        elif e is None or b.name != e.name:
            inner.append(b)
    outer = tuple((b.name, b.dims, b.shape) for b in blocks)
    extras = ((f"z_{group}", zm.dims, zm.shape), ("z_mm", ("cause", "member"), (1, K)))
    return tuple(inner), RotationPlan(group, of, outer, extras)


def rotation_section(kplan) -> np.ndarray:
    """Return the rotation section read by :mod:`coalsurv.backend.kernel_rotation`.

    ``[length, C, K, off zm, off s, off sd_g, off sd_mm, traced position of zm, of s, the
    kernel's expanded length, ndim]``, then the members per level ``n_c`` (C), where each
    level's members start (C + 1) and the members in level order (K, increasing index within
    a level: the Helmert basis's order, :func:`coalsurv.build.member_rotation.helmert_basis`).
    """
    rot = kplan.rotation
    C, K = int(kplan.block(f"z_{rot.group}").size), int(rot.of.size)
    n_c = np.bincount(rot.of, minlength=C)
    start = np.concatenate([[0], np.cumsum(n_c)])
    members = np.argsort(rot.of, kind="stable")
    pos, at = {}, 0
    for name, _, shape in rot.outer:
        pos[name] = at
        at += int(np.prod(shape))
    head = [0.0, C, K, kplan.block(f"z_{rot.group}").offset, kplan.block("z_mm").offset,
            kplan.block(f"sd_{rot.group}").offset, kplan.block("sd_mm").offset,
            pos[f"zm_{rot.group}"], pos[f"s_{rot.group}"], kplan.nexp, kplan.ndim]
    assert len(head) == R_HEAD
    # the Helmert coefficients of each member's position i in its level: 1 / sqrt(i (i + 1))
    # (0 for the first), so that the kernel's loops need no square root or division
    position = np.arange(K) - np.repeat(start[:-1], n_c)
    q = np.where(position > 0, 1.0 / np.sqrt(np.maximum(position * (position + 1.0), 1.0)),
                 0.0)
    section = np.concatenate([np.asarray(head, dtype=float), n_c, start, members, q,
                              position * q]).astype(float)
    section[0] = section.size
    return section
