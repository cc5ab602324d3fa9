"""One look for every coalsurv figure: palette, font sizes, labels and small shared helpers.

The palette is Okabe–Ito (colour-blind safe). :func:`coalsurv_style` is a context manager that
applies :data:`RC` (font sizes, grid, spines); every plotting function in :mod:`coalsurv.plots`
draws inside it, so figures look the same whether or not the caller uses it. Helpers here also
build the labels that the house rules require: every time axis carries its unit
(:func:`time_label`) and every band states its mass (:func:`interval_label`).

Examples
--------
>>> from coalsurv.plots.style import time_label, interval_label
>>> time_label("months")
'Time since formation (months)'
>>> interval_label(0.94)
'94% interval'
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib as mpl

from coalsurv._format import unit_singular

__all__ = [
    "PALETTE",
    "FONT_SIZES",
    "RC",
    "BAND_ALPHA",
    "coalsurv_style",
    "time_label",
    "per_time_label",
    "interval_label",
    "color",
]

#: Okabe–Ito palette (Okabe & Ito 2008), black moved last; safe for all common colour-vision
#: deficiencies and in greyscale print when combined with line styles.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Colour of empirical (non-parametric) references: Kaplan–Meier, Aalen–Johansen, uniform.
REFERENCE_COLOR = "#333333"

#: Opacity of posterior interval bands; empirical bands are lighter.
BAND_ALPHA = 0.25
LIGHT_BAND_ALPHA = 0.12

#: Line styles used when colour already encodes something else (e.g. rows within a cause).
LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))

FONT_SIZES: dict[str, float] = {
    "base": 10.0,
    "title": 11.0,
    "label": 10.0,
    "tick": 9.0,
    "legend": 8.5,
}

RC: dict[str, Any] = {
    "font.size": FONT_SIZES["base"],
    "axes.titlesize": FONT_SIZES["title"],
    "axes.labelsize": FONT_SIZES["label"],
    "xtick.labelsize": FONT_SIZES["tick"],
    "ytick.labelsize": FONT_SIZES["tick"],
    "legend.fontsize": FONT_SIZES["legend"],
    "legend.frameon": False,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
}


@contextlib.contextmanager
def coalsurv_style(**overrides: Any) -> Iterator[dict[str, Any]]:
    """Apply the coalsurv matplotlib style inside a ``with`` block.

    Parameters
    ----------
    **overrides
        rcParams to change on top of :data:`RC` (use the rcParams names, e.g.
        ``**{"font.size": 12}``).

    Yields
    ------
    dict
        The rc settings in force.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with coalsurv_style():
    ...     fig, ax = plt.subplots()
    >>> plt.close(fig)
    """
    rc = {**RC, **overrides}
    with mpl.rc_context(rc):
        yield rc


def styled[F: Callable[..., Any]](func: F) -> F:
    """Decorate a plotting function so that it draws inside :func:`coalsurv_style`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with coalsurv_style():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _check_unit(time_unit: str | None) -> str:
    if time_unit is None or not str(time_unit).strip():
        raise ValueError(
            "time_unit is required (e.g. 'days', 'months', 'years'): every time axis "
            "states its unit"
        )
    return str(time_unit).strip()


def time_label(time_unit: str, *, origin: str = "formation") -> str:
    """Axis label for time, always with its unit.

    Parameters
    ----------
    time_unit : str
        Unit of time, e.g. ``"months"``.
    origin : str, default "formation"
        What time is counted from.

    Returns
    -------
    str
        E.g. ``"Time since formation (months)"``.
    """
    return f"Time since {origin} ({_check_unit(time_unit)})"


def per_time_label(quantity: str, time_unit: str) -> str:
    """Label of a rate per unit of time, e.g. ``"Hazard (per month)"``.

    Parameters
    ----------
    quantity : str
        Name of the rate.
    time_unit : str
        Unit of time (plural or singular).

    Returns
    -------
    str
        The label.
    """
    unit = _check_unit(time_unit)
    return f"{quantity} (per {unit_singular(unit)})"


def interval_label(ci_prob: float, *, kind: str = "interval") -> str:
    """State an interval's mass, e.g. ``"94% interval"``.

    Parameters
    ----------
    ci_prob : float
        Probability mass in (0, 1).
    kind : str, default "interval"
        Noun after the percentage (``"interval"``, ``"CI"``, ``"simultaneous band"``).

    Returns
    -------
    str
        The label.
    """
    p = float(ci_prob)
    if not 0.0 < p < 1.0:
        raise ValueError(f"ci_prob must lie in (0, 1); got {ci_prob!r}")
    return f"{100 * p:.4g}% {kind}"


def color(i: int) -> str:
    """Colour number ``i`` of the palette (cycling).

    Parameters
    ----------
    i : int
        Index.

    Returns
    -------
    str
        Hex colour.
    """
    return PALETTE[i % len(PALETTE)]
