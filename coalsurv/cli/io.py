"""Console, input and output files, and loading the data file of the ``coalsurv`` command."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import tomllib
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
    "resolve_time_unit",
    "duplicate_rows",
    "unused_role_columns",
]

TIME_UNIT_CHOICES = ("days", "months", "years")

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


def output_file(path: str, suffix: str, what: str, *, create_folder: bool = False) -> Path:
    """Return ``path`` as a writable file name ending in ``suffix``.

    A missing folder is refused (a typo would otherwise scatter files into new folders) unless
    ``create_folder`` (the demo's default ``reports/``).
    """
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise CommandLineError(f"{what} {path!r} must end in {suffix}")
    if p.is_dir():
        raise CommandLineError(f"{what} {path!r} is a folder")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists() and not create_folder:
        raise CommandLineError(f"cannot write {what} {path!r}: folder {str(parent)!r} does not "
                               "exist (create it first)")
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


def _card_unit(data_path: Path) -> tuple[str, str] | None:
    """Time unit stated in the data card beside the CSV (``DATA.md``, "Time unit: months")."""
    card = data_path.with_suffix(".md")
    if not card.is_file():
        return None
    try:
        text = card.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    hit = re.search(r"time unit:?\**:?\s*(days|months|years)\b", text, re.IGNORECASE)
    return (hit.group(1).lower(), f"data card {str(card)!r}") if hit else None


def _model_unit(model_path: Path | None) -> tuple[str, str] | None:
    """Time unit of a model file's ``[data]`` table (``time_unit = "months"``)."""
    if model_path is None:
        return None
    try:
        doc = tomllib.loads(model_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # SurvivalModel.load reports the file's problem
    unit = doc.get("data", {}).get("time_unit") if isinstance(doc.get("data"), dict) else None
    if unit is None:
        return None
    if unit not in TIME_UNIT_CHOICES:
        raise CommandLineError(f"model file {str(model_path)!r}: [data] time_unit = {unit!r}; "
                               f"expected one of {list(TIME_UNIT_CHOICES)}")
    return unit, f"model file {str(model_path)!r}"


def resolve_time_unit(args: argparse.Namespace, *, model_path: Path | None = None) -> str:
    """Return the time unit of the data file and set ``args.time_unit_source``.

    ``--time-unit`` when given, else the ``[data] time_unit`` of the model file, else the
    "Time unit:" line of the data card beside the CSV (``DATA.md``). An inferred unit that
    disagrees with ``--time-unit``, or no unit at all, is an error: durations read in the
    wrong unit would give wrong answers with no warning.
    """
    inferred = [u for u in (_model_unit(model_path), _card_unit(Path(args.data))) if u]
    if len({u for u, _ in inferred}) > 1:
        raise CommandLineError("the time unit is stated differently: " + "; ".join(
            f"{where} says {unit}" for unit, where in inferred) + "; give --time-unit")
    if args.time_unit is not None:
        clash = [(u, w) for u, w in inferred if u != args.time_unit]
        if clash:
            raise CommandLineError(f"--time-unit {args.time_unit} disagrees with "
                                   f"{clash[0][1]}, which says {clash[0][0]}")
        args.time_unit_source = "--time-unit"
        return args.time_unit
    if not inferred:
        raise CommandLineError(
            f"give --time-unit (days, months or years): the unit of the durations in "
            f"{args.data!r}; it is not stated in a [data] table of the model file nor in a "
            f"data card {str(Path(args.data).with_suffix('.md'))!r}"
        )
    args.time_unit, args.time_unit_source = inferred[0]
    return args.time_unit


def duplicate_rows(frame) -> list[str]:
    """Problem lines for identical rows of ``frame`` (naming their row labels)."""
    from coalsurv._format import fmt_ids

    dup = frame.duplicated(keep=False)
    if not dup.any():
        return []
    groups = frame[dup].groupby(list(frame.columns), dropna=False, sort=False).groups
    return [f"identical rows {fmt_ids(list(rows))}: each coalition must appear once; remove "
            "the repeats, or pass --id COL if they are different coalitions"
            for rows in groups.values()]


def unused_role_columns(frame, args: argparse.Namespace) -> list[str]:
    """Warnings for columns named ``entry``/``lower``/``upper`` that no option uses.

    The bundled data have delayed entry in ``entry``: fitting them without ``--entry`` gives
    biased answers, so the command says so instead of staying silent.
    """
    notes = []
    for role in ("entry", "lower", "upper"):
        if getattr(args, role) is None and role in frame.columns:
            values = frame[role].dropna()
            if len(values) and (role != "entry" or (values != 0).any()):
                notes.append(f"column {role!r} is not used; pass --{role} {role} if it holds "
                             f"{'delayed entry times' if role == 'entry' else 'interval bounds'}")
    return notes


def role_notes(frame, args: argparse.Namespace, data) -> tuple[list[str], list[str]]:
    """Return what ``data check`` took as covariates and endings, and warnings to show.

    Returns ``(lines, warnings)``: the covariates and the endings with their counts; a
    warning for each column without a role that was left out because it holds text in a few
    rows of otherwise numbers (``breadth = high`` on one row drops the whole column), and for
    each ending label seen only once (a typo would otherwise become an ending of its own).
    """
    import numpy as np
    import pandas as pd

    from coalsurv._format import fmt_ids

    lines = [f"covariates: {', '.join(map(str, data.covariates.columns)) or 'none'}"
             + ("" if args.covariates is not None else
                " (numeric columns without another role; pass --covariates to choose)")]
    counts = ", ".join(f"{c} ({n:,})" for c, n in data.n_events.items())
    n_cens = int((data.status == 0).sum())
    lines.append(f"endings (labels of column {args.event!r}): {counts or 'none'}; censored "
                 f"({data.censored_label!r}): {n_cens:,}")
    warns = []
    where = "line" if args.id is None else "id"
    if args.covariates is None:
        roles = {args.duration, args.event, args.id, args.entry, args.lower, args.upper,
                 args.start, args.end, *(args.groups or [])}
        taken = set(data.covariates.columns)
        for col in frame.columns:
            if col in roles or col in taken or frame[col].isna().all():
                continue
            values = frame[col].dropna()
            numbers = pd.to_numeric(values, errors="coerce")
            text = values[numbers.isna()]
            if len(text) and numbers.notna().mean() >= 0.5:
                shown = ", ".join(f"{v!r}" for v in list(dict.fromkeys(text.astype(str)))[:3])
                rows = fmt_ids(list(text.index))
                warns.append(f"column {col!r} was left out of the covariates: it holds text "
                             f"({shown}) in {len(text)} row(s) ({where} {rows}) "
                             f"among numbers; fix those values or name the covariates with "
                             f"--covariates")
    for k, cause in enumerate(data.causes):
        if data.n_events.get(cause, 0) == 1:
            row = np.asarray(data.ids)[np.asarray(data.cause_index) == k]
            warns.append(f"ending {cause!r} occurs once ({where} {fmt_ids(list(row))}): a typo? it "
                         f"is taken as an ending of its own; endings: {list(data.causes)}")
    return lines, warns


def _check_censored_label(frame, args: argparse.Namespace) -> None:
    """Refuse a ``--censored`` label that does not occur in a label event column."""
    import pandas as pd

    if args.event not in frame.columns:
        return  # CoalitionData names the missing column
    values = frame[args.event].dropna()
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return  # 0/1 flags: the label is not used
    found = sorted({str(v) for v in values})
    if args.censored not in found:
        raise CommandLineError(
            f"--censored {args.censored!r} does not occur in column {args.event!r}; labels "
            f"found: {found[:10]}; pass --censored LABEL with the label of censored rows"
        )


def load_data(args: argparse.Namespace, *, spec=None, model_path: Path | None = None):
    """Build CoalitionData from the CSV and the column options.

    Groups and covariates default to the formula's columns when a model is given. The time
    unit comes from :func:`resolve_time_unit`. Without ``--id``, rows are named by their line
    in the CSV file (the header is line 1), so messages point at the file's lines.
    """
    import pandas as pd

    from coalsurv.data.episodes import CoalitionData
    from coalsurv.data.validation import automatic_covariates

    frame = read_csv(args.data)
    resolve_time_unit(args, model_path=model_path)
    _check_censored_label(frame, args)
    if args.id is None:
        frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    args.raw_frame = frame  # as read, rows named as in messages (data check's notes)
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
