"""Private helpers shared by the plotting modules.

Axes creation, input checks on tidy frames, legend proxies stating interval mass, and adapters
that turn lifelines fitters (Kaplan–Meier, Aalen–Johansen) or plain frames into step arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from coalsurv.plots.style import BAND_ALPHA, LIGHT_BAND_ALPHA, interval_label


def get_ax(ax: Any = None, *, figsize: tuple[float, float] = (6.0, 4.0)) -> Any:
    """Return ``ax`` or a fresh Axes on a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    return new


def set_time_limits(ax: Any, times: Any) -> None:
    """Time axis from 0 to the last predicted time (empirical steps beyond it are cut)."""
    t = np.asarray(times, dtype=float)
    t = t[np.isfinite(t)]
    right = float(t.max()) if t.size else 0.0
    if right > 0:
        ax.set_xlim(0.0, right)
    else:
        ax.set_xlim(left=0.0)


def log_ticks(ax: Any, lo: float, hi: float, *, axis: str = "x") -> None:
    """Readable ticks on a log axis: 0.5, 1, 2 rather than 5 x 10^-1, 10^0, 2 x 10^0."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

    ticks: list[float] = []
    if lo > 0 and hi > lo:
        decades = range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
        for mantissas in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)):
            cand = [m * 10.0**d for d in decades for m in mantissas]
            ticks = [v for v in cand if lo <= v <= hi]
            if len(ticks) >= 3:
                break
        if len(ticks) < 3:  # a narrow range: round steps, so 1 (no effect) is a tick
            ticks = [v for v in MaxNLocator(5, steps=[1, 2, 5, 10]).tick_values(lo, hi)
                     if lo <= v <= hi and v > 0]
        if len(ticks) > 9:
            ticks = ticks[:: int(np.ceil(len(ticks) / 9))]
    which = ax.xaxis if axis == "x" else ax.yaxis
    if ticks:
        which.set_major_locator(FixedLocator(ticks))
    which.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    which.set_minor_formatter(NullFormatter())


def require_columns(frame: Any, columns: Sequence[str], *, what: str) -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame with ``columns``; raise one ValueError naming all."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} lacks column(s) {missing}; expected {list(columns)} "
            f"(has {list(frame.columns)})"
        )
    if frame.empty:
        raise ValueError(f"{what} has no rows")
    return frame


def ci_prob_of(frame: pd.DataFrame, *, what: str) -> float:
    """Return the one interval mass stated in a tidy frame's ``ci_prob`` column (or attrs)."""
    if "ci_prob" in frame.columns:
        values = pd.unique(frame["ci_prob"].dropna())
        if len(values) != 1:
            raise ValueError(
                f"{what}: column 'ci_prob' must hold one value; found {sorted(values)}"
            )
        return float(values[0])
    if "ci_prob" in frame.attrs:
        return float(frame.attrs["ci_prob"])
    raise ValueError(f"{what} states no interval mass: add a 'ci_prob' column")


def ordered_unique(values: Any) -> list[Any]:
    """Return unique values in order of appearance (categories in their order)."""
    s = pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna())
        return [c for c in s.cat.categories if c in present]
    return list(pd.unique(s))


def format_value(value: Any) -> str:
    """Short text for a covariate value in a legend."""
    if isinstance(value, float | np.floating):
        return f"{value:.3g}"
    return str(value)


def row_labels(frame: pd.DataFrame, rows: Sequence[Any], label_by: Any) -> dict[Any, str]:
    """Legend label per ``row``: ``"col=value, ..."`` from ``label_by`` columns, else ``row N``.

    A single column of text labels (``ending``: "dissolution") gives the labels themselves.
    """
    if label_by is None:
        return {r: f"row {r}" for r in rows}
    cols = [label_by] if isinstance(label_by, str) else list(label_by)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"label_by names column(s) {missing} absent from the frame")
    first = frame.drop_duplicates("row").set_index("row")
    if len(cols) == 1 and all(isinstance(first.at[r, cols[0]], str) for r in rows):
        return {r: first.at[r, cols[0]] for r in rows}
    out = {}
    for r in rows:
        out[r] = ", ".join(f"{c}={format_value(first.at[r, c])}" for c in cols)
    return out


def band_handle(ci_prob: float, *, kind: str = "interval", color_: str | None = None) -> Any:
    """Legend entry saying what the shaded bands are, labelled with their mass.

    Without ``color_`` the entry has no swatch of its own (each curve's legend entry already
    shows its band in its own colour, see :func:`legend_with`); with one it is a swatch.
    """
    from matplotlib.patches import Patch

    label = f"shaded: {interval_label(ci_prob, kind=kind)}"
    if color_ is None:
        return Patch(facecolor="none", edgecolor="none", label=label)
    return Patch(facecolor=color_, alpha=BAND_ALPHA + 0.1, label=label)


def _band_colours(ax: Any) -> list[tuple[float, float, float]]:
    from matplotlib.collections import PolyCollection

    out = []
    for coll in ax.collections:
        if isinstance(coll, PolyCollection) and len(coll.get_facecolor()):
            out.append(tuple(float(c) for c in coll.get_facecolor()[0][:3]))
    return out


def legend_with(ax: Any, extra: Sequence[Any] = (), *, outside: bool = False,
                **kwargs: Any) -> Any:
    """Legend of the labelled artists on ``ax`` plus proxy ``extra`` handles.

    A line drawn over a band of its own colour gets a legend entry showing both (the band's
    swatch in that colour under the line), so the legend matches what is drawn.
    ``outside=True`` places it beside the axes (right, top-aligned), where it cannot cover
    the shaded bands (saved with ``bbox_inches="tight"`` or a constrained layout).
    """
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    bands = _band_colours(ax)
    paired = []
    for h in handles:
        if isinstance(h, Line2D) and bands:
            rgb = to_rgb(h.get_color())
            if any(np.allclose(rgb, b, atol=1e-3) for b in bands):
                h = (Patch(facecolor=h.get_color(), alpha=BAND_ALPHA + 0.1, linewidth=0), h)
        paired.append(h)
    handles = paired
    for h in extra:
        handles.append(h)
        labels.append(h.get_label())
    if outside:
        kwargs.update(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    kwargs.setdefault("loc", "best")
    legend = ax.legend(handles, labels, **kwargs)
    legend._coalsurv_handles = handles  # the paired handles, for a figure-level legend
    return legend


@dataclass(frozen=True)
class Steps:
    """A non-parametric step function with an optional pointwise band."""

    time: np.ndarray
    value: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None
    ci_prob: float | None
    label: str

    def at(self, t: np.ndarray) -> np.ndarray:
        """Right-continuous step value at times ``t`` (value before the first time: first)."""
        idx = np.searchsorted(self.time, np.asarray(t, dtype=float), side="right") - 1
        return self.value[np.clip(idx, 0, len(self.value) - 1)]


def empirical_steps(
    obj: Any, *, estimate: str, value_columns: Sequence[str], default_label: str
) -> Steps:
    """Return steps from a lifelines fitter (``estimate``) or a frame with ``time``.

    A frame needs ``time`` and one of ``value_columns``; ``lower``/``upper`` and ``ci_prob``
    (column or ``attrs``) are optional. A fitter's band is its ``confidence_interval_``
    with mass ``1 - alpha``.
    """
    if isinstance(obj, pd.DataFrame):
        value_col = next((c for c in value_columns if c in obj.columns), None)
        if "time" not in obj.columns or value_col is None:
            raise ValueError(
                f"an empirical estimate frame needs columns 'time' and one of "
                f"{list(value_columns)}; has {list(obj.columns)}"
            )
        frame = obj.sort_values("time")
        time = frame["time"].to_numpy(float)
        value = frame[value_col].to_numpy(float)
        lower = upper = None
        ci_prob = None
        if {"lower", "upper"} <= set(frame.columns):
            lower = frame["lower"].to_numpy(float)
            upper = frame["upper"].to_numpy(float)
            ci_prob = ci_prob_of(frame, what="empirical estimate frame")
        label = str(obj.attrs.get("label", default_label))
        return Steps(time, value, lower, upper, ci_prob, label)
    est = getattr(obj, estimate, None)
    if est is None:
        raise TypeError(
            f"expected a fitted lifelines estimator with {estimate!r} or a DataFrame; "
            f"got {type(obj).__name__} (is it fitted?)"
        )
    time = est.index.to_numpy(float)
    value = est.iloc[:, 0].to_numpy(float)
    lower = upper = None
    ci_prob = None
    ci = getattr(obj, "confidence_interval_", None)
    if ci is not None and ci.shape[1] >= 2 and len(ci) == len(est):
        a = ci.iloc[:, 0].to_numpy(float)
        b = ci.iloc[:, 1].to_numpy(float)
        # lifelines' Aalen-Johansen labels its bounds the wrong way round: order them here
        lower = np.where(np.isnan(a) | np.isnan(b), value, np.fmin(a, b))
        upper = np.where(np.isnan(a) | np.isnan(b), value, np.fmax(a, b))
        ci_prob = 1.0 - float(getattr(obj, "alpha", 0.05))
    label = getattr(obj, "_label", None)
    if not label or label in {"KM_estimate", "AJ_estimate"}:
        label = default_label
    return Steps(time, value, lower, upper, ci_prob, str(label))


def draw_steps(
    ax: Any,
    steps: Steps,
    *,
    color: str,
    linestyle: Any = "-",
    band: bool = True,
    label: str | None = None,
    offset: np.ndarray | float = 0.0,
) -> str:
    """Draw ``steps`` as a post-step line with its band; return the legend label used."""
    text = label or steps.label
    if band and steps.lower is not None and steps.ci_prob is not None:
        text = f"{text} ({interval_label(steps.ci_prob, kind='CI')})"
        ax.fill_between(
            steps.time, steps.lower, steps.upper, step="post", color=color,
            alpha=LIGHT_BAND_ALPHA, linewidth=0,
        )
    ax.step(
        steps.time, steps.value + offset, where="post", color=color, linestyle=linestyle,
        linewidth=1.3, label=text,
    )
    return text
