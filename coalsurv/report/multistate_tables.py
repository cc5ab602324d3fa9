"""Paper tables of a multi-state fit (``MultiStateFit.table``): one row block per transition.

Separate fits: each transition's :func:`coalsurv.report.export.display_table` with a leading
``transition`` column. A joint fit (shared effects or frailty): the one fit's table, each row
labelled by :meth:`coalsurv.fit.multistate_joint.JointLayout.relabel` (the transition, or
``shared (k1; k2)`` for an effect shared by several, ``all`` for the shared frailty and the
mean baseline), its columns written as their covariates.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from coalsurv.errors import ArgumentError
from coalsurv.report.export import FORMATS, display_table, render

__all__ = ["multistate_table", "MULTISTATE_KINDS"]

#: Table kinds of a multi-state fit.
MULTISTATE_KINDS = ("hazard_ratios", "summary")


def multistate_table(fit: Any, kind: str, *, format: str = "latex", ci_prob: float = 0.95,
                     label: str | None = None) -> str:
    """Compute :meth:`coalsurv.MultiStateFit.table` (see there)."""
    if kind not in MULTISTATE_KINDS:
        raise ArgumentError(f"table kind {kind!r} of a multi-state fit; expected one of "
                            f"{list(MULTISTATE_KINDS)}")
    if format not in FORMATS:
        raise ArgumentError(f"table format {format!r}; expected one of {list(FORMATS)}")
    column = "term" if kind == "hazard_ratios" else "parameter"
    if fit.is_joint:
        frame, caption = display_table(fit.joint, kind, ci_prob=ci_prob)
        frame = fit.layout.relabel(frame, column)
        caption += (" One joint graph of all transitions (each its own baseline); a row "
                    "labelled shared (...) is one effect entering every transition named.")
    else:
        frames = []
        for key, one in fit.fits.items():
            part, caption = display_table(one, kind, ci_prob=ci_prob)
            frames.append(part.drop(columns=[c for c in ("ending",) if c in part])
                          .assign(transition=key))
        frame = pd.concat(frames, ignore_index=True)
        frame = frame[["transition", *[c for c in frame.columns if c != "transition"]]]
        caption += " One block per transition (separate fits)."
    return render(frame, caption, format=format,
                  label=label or f"tab:multistate-{kind.replace('_', '-')}")
