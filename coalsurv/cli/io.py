"""Console, input and output files, and loading the data file of the ``coalsurv`` command."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from coalsurv.errors import CommandLineError

__all__ = [
    "EXIT_USER_ERROR",
    "EXIT_INTERNAL_ERROR",
    "Console",
    "is_tty",
    "input_file",
    "output_file",
    "read_csv",
    "load_data",
    "formula_columns",
]

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


class Console:
    """Progress lines on standard error; results on standard output."""

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self.start = time.perf_counter()

    def progress(self, message: str) -> None:
        """Print a progress line (with the seconds since start) unless quiet."""
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"coalsurv: {message} [{elapsed:.0f} s]", file=sys.stderr, flush=True)

    def result(self, message: str) -> None:
        """Print a result line on standard output."""
        print(message, flush=True)


def is_tty() -> bool:
    """Whether standard error is a terminal (for the sampler's progress bar)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # pragma: no cover
        return False


def input_file(path: str, what: str) -> Path:
    """Return ``path`` as an existing file (``what`` names it in the error otherwise)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    if p.is_dir():
        raise CommandLineError(f"{what} {path!r} is a folder, not a file")
    return p


def output_file(path: str, suffix: str, what: str) -> Path:
    """Return ``path`` as a writable file name ending in ``suffix``."""
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise CommandLineError(f"{what} {path!r} must end in {suffix}")
    if p.is_dir():
        raise CommandLineError(f"{what} {path!r} is a folder")
    parent = p.parent if str(p.parent) else Path(".")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise CommandLineError(
            f"cannot write {what} {path!r}: folder {str(parent)!r} is not writable"
        )
    return p


def read_csv(path: str):
    """Read a CSV data file; one-line errors for binary, empty, malformed or one-column files."""
    import pandas as pd

    p = input_file(path, "data file")
    try:
        frame = pd.read_csv(p)
    except UnicodeDecodeError:
        raise CommandLineError(
            f"data file {path!r} is not a text CSV file (binary content)"
        ) from None
    except pd.errors.EmptyDataError:
        raise CommandLineError(f"data file {path!r} is empty") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise CommandLineError(f"data file {path!r} is not a valid CSV file ({detail})") from None
    if frame.shape[1] < 2:
        raise CommandLineError(f"data file {path!r} has {frame.shape[1]} column(s) "
                               f"({list(frame.columns)[:3]}); a CSV of coalitions needs at "
                               "least a duration and an event column, separated by commas")
    return frame


def load_data(args: argparse.Namespace, *, spec=None):
    """Build CoalitionData from the CSV and the column options.

    Groups and covariates default to the formula's columns when a model is given.
    """
    from coalsurv.data.episodes import CoalitionData
    from coalsurv.data.validation import automatic_covariates

    frame = read_csv(args.data)
    groups, covariates = args.groups, args.covariates
    if spec is None and covariates is None:  # the rule of CoalitionData.from_frame
        roles = {args.duration, args.event, args.id, args.entry, args.lower, args.upper,
                 args.start, args.end, *(groups or [])}
        covariates, args.ignored_columns = automatic_covariates(frame, roles)
    if spec is not None:
        if groups is None:
            groups = list(dict.fromkeys(c for g in spec.group_terms for c in g.columns)) or None
        if covariates is None:
            covariates = formula_columns(spec, frame)
    if args.duration is None and (args.start is None or args.end is None):
        raise CommandLineError(
            "give the lifespan with --duration COL, or with --start COL --end COL"
        )
    if (args.lower is None) != (args.upper is None):
        raise CommandLineError("interval censoring needs both --lower COL and --upper COL")
    return CoalitionData.from_frame(
        frame, duration=args.duration, event=args.event, start=args.start, end=args.end,
        id=args.id, censored=args.censored, entry=args.entry, lower=args.lower,
        upper=args.upper, groups=groups, covariates=covariates, time_unit=args.time_unit,
        dropna=args.dropna, name=Path(args.data).stem, source=str(args.data))


def formula_columns(spec, frame) -> list[str]:
    """Return the data columns the fixed part of the formula uses (in frame order)."""
    from formulaic import Formula

    try:
        needed = set(Formula(spec.fixed_formula).required_variables)
    except Exception:  # noqa: BLE001 - let the model report the formula problem
        return []
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise CommandLineError(f"the model's formula {spec.formula!r} uses column(s) {missing} "
                               f"that the data file does not have; columns: {list(frame.columns)}")
    return [c for c in frame.columns if c in needed]
