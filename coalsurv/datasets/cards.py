"""Data cards of the data sets coalsurv can load: source, licence, derivation, exclusions, counts.

The cards are Markdown files shipped as package data (``coalsurv/datasets/cards/*.md``). Each
card ends with a ``## Measured counts`` table whose rows read ``| `key` | value | meaning |``;
:func:`card_counts` parses it, so the numbers are written down in one place and the tests check
the loaders against them.
"""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["data_card", "card_counts", "available_cards"]

_COUNTS_HEADING = "## Measured counts"
_ROW = re.compile(r"^\|\s*`(?P<key>[A-Za-z0-9_]+)`\s*\|\s*(?P<value>-?[0-9][0-9,]*)\s*\|")


def available_cards() -> tuple[str, ...]:
    """Names of the data cards shipped with the package, sorted."""
    folder = resources.files("coalsurv.datasets").joinpath("cards")
    return tuple(
        sorted(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".md"))
    )


def data_card(name: str) -> str:
    """Return the data card of a data set as Markdown text.

    Parameters
    ----------
    name : str
        Data set name, e.g. ``"parlgov"``, ``"coalgov"``, ``"atop"``, ``"king1990"``
        (case-insensitive; see :func:`available_cards`).

    Returns
    -------
    str
        The card: source, licence, citation, columns, how durations, censoring and endings were
        derived, what was excluded and why, and the counts measured on the real data.

    Raises
    ------
    KeyError
        For an unknown name, listing the available cards.

    Examples
    --------
    >>> from coalsurv.datasets import data_card
    >>> print(data_card("king1990").splitlines()[0])
    # King, Alt, Burns & Laver (1990): cabinet durations
    """
    key = str(name).strip().lower()
    names = available_cards()
    if key not in names:
        raise KeyError(f"no data card named {name!r}; available: {', '.join(names)}")
    card = resources.files("coalsurv.datasets").joinpath("cards", f"{key}.md")
    return card.read_text(encoding="utf-8")


def card_counts(name: str) -> dict[str, int]:
    """Return the counts stated in a card's ``## Measured counts`` table.

    Parameters
    ----------
    name : str
        Data set name (see :func:`data_card`).

    Returns
    -------
    dict
        ``key -> value`` in table order.

    Raises
    ------
    KeyError
        For an unknown card.
    ValueError
        When the card has no counts table or a key appears twice.
    """
    text = data_card(name)
    if _COUNTS_HEADING not in text:
        raise ValueError(f"data card {name!r} has no {_COUNTS_HEADING!r} section")
    section = text.split(_COUNTS_HEADING, 1)[1].split("\n## ", 1)[0]
    counts: dict[str, int] = {}
    for line in section.splitlines():
        m = _ROW.match(line.strip())
        if m is None:
            continue
        key = m.group("key")
        if key in counts:
            raise ValueError(f"data card {name!r}: count {key!r} appears twice")
        counts[key] = int(m.group("value").replace(",", ""))
    if not counts:
        raise ValueError(f"data card {name!r}: the {_COUNTS_HEADING!r} table has no rows")
    return counts
