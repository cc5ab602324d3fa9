r"""The ``coalsurv`` command: demo, fit, report, data check, simulate, gallery, priors.

Every subcommand has ``--help``. A user error (bad data, unknown column, missing or damaged file,
invalid model or prior file, bad option) prints one line ``coalsurv: error: ...`` on standard
error — for data with several problems, the first problem on that line and the others indented
below — and exits with status 2, without a traceback (``--traceback`` shows one). Long work
reports progress: the sampler's progress bar on a terminal, plain ``coalsurv: fitting ...``
lines otherwise. Every output file is written atomically (temporary file, then rename).

Examples
--------
::

    coalsurv demo
    coalsurv fit coalitions.csv --model models/synthetic_weibull_frailty.toml -o fit.nc \\
        --duration duration --event event --groups group --time-unit months
    coalsurv report fit.nc -o report.pdf
    coalsurv data check coalitions.csv --duration duration --event event
    coalsurv priors from-fit fit.nc -o priors.toml --discount 0.5
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["main", "build_parser"]

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1

#: The demo's model: cause-specific Weibull hazards of the three endings with a group frailty
#: (as ``models/competing_endings.toml``), compared with a model without power's square term.
DEMO_FORMULA = "breadth + power_hhi + power_hhi_sq + (1 | group)"
DEMO_ALT_FORMULA = "breadth + power_hhi + (1 | group)"
DEMO_CAUSES = ("dissolution", "goal_reached", "alliance")


class UserError(Exception):
    """An error in what the user asked for; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``coalsurv: error: <what> (see: <prog> --help)``."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"coalsurv: error: {message} (see: {self.prog} --help)\n")
        raise SystemExit(EXIT_USER_ERROR)


# ------------------------------------------------------------------------------ arg types
def _int_at_least(low: int):
    """Argparse type: an integer >= ``low``, with a one-line message otherwise."""
    wanted = "a positive integer" if low == 1 else f"an integer >= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    parse.__name__ = "positive integer" if low == 1 else "integer"
    return parse


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)


def _discount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


# ------------------------------------------------------------------------------ helpers
class _Console:
    """Progress lines on standard error; results on standard output."""

    def __init__(self, *, quiet: bool = False):
        self.quiet = quiet
        self.start = time.perf_counter()

    def progress(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"coalsurv: {message} [{elapsed:.0f} s]", file=sys.stderr, flush=True)

    def result(self, message: str) -> None:
        print(message, flush=True)


def _tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # pragma: no cover
        return False


def _input_file(path: str, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {path!r} does not exist")
    if p.is_dir():
        raise UserError(f"{what} {path!r} is a folder, not a file")
    return p


def _output_file(path: str, suffix: str, what: str) -> Path:
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise UserError(f"{what} {path!r} must end in {suffix}")
    if p.is_dir():
        raise UserError(f"{what} {path!r} is a folder")
    parent = p.parent if str(p.parent) else Path(".")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise UserError(f"cannot write {what} {path!r}: folder {str(parent)!r} is not writable")
    return p


def _read_csv(path: str):
    import pandas as pd

    p = _input_file(path, "data file")
    try:
        frame = pd.read_csv(p)
    except UnicodeDecodeError:
        raise UserError(f"data file {path!r} is not a text CSV file (binary content)") from None
    except pd.errors.EmptyDataError:
        raise UserError(f"data file {path!r} is empty") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise UserError(f"data file {path!r} is not a valid CSV file ({detail})") from None
    if frame.shape[1] < 2:
        raise UserError(f"data file {path!r} has {frame.shape[1]} column(s) "
                        f"({list(frame.columns)[:3]}); a CSV of coalitions needs at least a "
                        "duration and an event column, separated by commas")
    return frame


def _load_data(args: argparse.Namespace, *, spec=None):
    """Build CoalitionData from the CSV and the column options.

    Groups and covariates default to the formula's columns when a model is given.
    """
    import pandas as pd

    from coalsurv.data.episodes import CoalitionData

    frame = _read_csv(args.data)
    groups, covariates = args.groups, args.covariates
    if spec is None and covariates is None:
        roles = {args.duration, args.event, args.id, args.entry, args.lower, args.upper,
                 args.start, args.end, *(groups or [])}
        empty = [c for c in frame.columns if c not in roles and frame[c].isna().all()]
        args.ignored_columns = empty
        covariates = [c for c in frame.columns if c not in roles and c not in empty
                      and c not in ("id", "entry", "time", "time_upper", "status", "cause")
                      and (pd.api.types.is_numeric_dtype(frame[c])
                           or pd.api.types.is_bool_dtype(frame[c]))]
    if spec is not None:
        if groups is None:
            groups = list(dict.fromkeys(c for g in spec.group_terms for c in g.columns)) or None
        if covariates is None:
            covariates = _formula_columns(spec, frame)
    if args.duration is None and (args.start is None or args.end is None):
        raise UserError("give the lifespan with --duration COL, or with --start COL --end COL")
    if (args.lower is None) != (args.upper is None):
        raise UserError("interval censoring needs both --lower COL and --upper COL")
    return CoalitionData.from_frame(
        frame, duration=args.duration, event=args.event, start=args.start, end=args.end,
        id=args.id, censored=args.censored, entry=args.entry, lower=args.lower,
        upper=args.upper, groups=groups, covariates=covariates, time_unit=args.time_unit,
        dropna=args.dropna, name=Path(args.data).stem, source=str(args.data))


def _formula_columns(spec, frame) -> list[str]:
    """Return the data columns the fixed part of the formula uses (in frame order)."""
    from formulaic import Formula

    try:
        needed = set(Formula(spec.fixed_formula).required_variables)
    except Exception:  # noqa: BLE001 - let the model report the formula problem
        return []
    missing = sorted(needed - set(frame.columns))
    if missing:
        raise UserError(f"the model's formula {spec.formula!r} uses column(s) {missing} that "
                        f"the data file does not have; columns: {list(frame.columns)}")
    return [c for c in frame.columns if c in needed]


def _sampler_args(p: argparse.ArgumentParser, *, draws: int, tune: int, chains: int) -> None:
    g = p.add_argument_group("sampler")
    g.add_argument("--draws", type=_positive_int, default=draws,
                   help=f"kept draws per chain (default {draws})")
    g.add_argument("--tune", type=_nonneg_int, default=tune,
                   help=f"tuning steps per chain (default {tune})")
    g.add_argument("--chains", type=_positive_int, default=chains,
                   help=f"number of chains (default {chains})")
    g.add_argument("--seed", type=_nonneg_int, default=1, help="random seed (default 1)")


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA.csv", help="CSV file, one row per coalition episode")
    g = p.add_argument_group("columns of the data file")
    g.add_argument("--duration", metavar="COL", help="lifespan column, in --time-unit")
    g.add_argument("--event", metavar="COL", required=True,
                   help="how each coalition ended: cause labels, or 0/1")
    g.add_argument("--censored", metavar="LABEL", default="censored",
                   help="label of censored rows in the event column (default 'censored')")
    g.add_argument("--id", metavar="COL", help="unique episode id column")
    g.add_argument("--entry", metavar="COL", help="delayed entry (left truncation) column")
    g.add_argument("--lower", metavar="COL", help="interval censoring: lower bound column")
    g.add_argument("--upper", metavar="COL", help="interval censoring: upper bound column")
    g.add_argument("--start", metavar="COL", help="start date column (with --end)")
    g.add_argument("--end", metavar="COL", help="end date column (with --start)")
    g.add_argument("--groups", metavar="COL", nargs="+",
                   help="grouping columns (country, war, era); default: the formula's")
    g.add_argument("--covariates", metavar="COL", nargs="+",
                   help="covariate columns; default: the formula's (fit), all numeric (check)")
    g.add_argument("--time-unit", choices=("days", "months", "years"), default="days",
                   help="unit of durations (default days)")
    g.add_argument("--dropna", action="store_true",
                   help="leave out rows with missing values in used columns (listed, never silent)")


# ------------------------------------------------------------------------------ commands
def _fit_quietly(model, data, args, console: _Console, command: str):
    """Fit with a progress bar on a terminal, plain lines otherwise; sampler warnings as lines."""
    from coalsurv.fit.sampling import CoalsurvSamplingWarning

    console.progress(f"fitting {model.spec.label} to {data.n} coalitions "
                     f"({args.chains} chains x {args.draws} draws, {args.tune} tuning; "
                     "compiling first)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(data, draws=args.draws, tune=args.tune, chains=args.chains,
                        random_seed=args.seed, progressbar=_tty(), command=command)
    for w in caught:
        if issubclass(w.category, CoalsurvSamplingWarning):
            print(f"coalsurv: warning: {w.message}", file=sys.stderr)
    console.progress("sampling done")
    return fit


def _write_report(fit, path: Path, console: _Console, **kwargs: Any) -> Path:
    console.progress(f"writing report {path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fit.report(path, progress=console.progress, **kwargs)
    for w in caught:
        if str(w.message).startswith("report:"):
            print(f"coalsurv: warning: {w.message}", file=sys.stderr)
    return out


def cmd_demo(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Fit the bundled synthetic coalitions and write the demo report and fit."""
    import coalsurv

    out = _output_file(args.out, ".pdf", "report")
    fit_out = _output_file(args.fit_out, ".nc", "fit file")
    if args.quick:
        args.draws, args.tune = min(args.draws, 200), min(args.tune, 200)
    console.progress("loading the bundled synthetic coalitions")
    data = coalsurv.datasets.load_synthetic()
    model = coalsurv.SurvivalModel(DEMO_FORMULA, family="weibull", causes=DEMO_CAUSES,
                                   name="Competing endings, Weibull with group frailty")
    fit = _fit_quietly(model, data, args, console, command)
    compare_with = None
    if not args.no_compare:
        alt = coalsurv.SurvivalModel(DEMO_ALT_FORMULA, family="weibull", causes=DEMO_CAUSES,
                                     name="Without power concentration squared")
        compare_with = {"without power_hhi_sq": _fit_quietly(alt, data, args, console,
                                                             command)}
    console.progress(f"saving the fit to {fit_out}")
    fit.save(fit_out)
    console.result(f"wrote {fit_out}")
    _write_report(fit, out, console, compare_with=compare_with,
                  title="coalsurv demo: how synthetic coalitions end")
    console.result(f"wrote {out}")
    return 0


def cmd_fit(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Fit a model file to a CSV and save the fit."""
    from coalsurv.errors import CoalsurvError
    from coalsurv.fit.model import SurvivalModel

    out = _output_file(args.output, ".nc", "fit file")
    report = _output_file(args.report, ".pdf", "report") if args.report else None
    model_path = _input_file(args.model, "model file")
    try:
        model = SurvivalModel.load(model_path)
    except CoalsurvError as exc:
        if args.model in exc.headline:
            raise
        raise type(exc)(f"model file {args.model!r}: {exc.headline}", exc.problems) from None
    if args.priors:
        from coalsurv.spec.priors import PriorSet

        model = SurvivalModel.from_spec(model.spec, priors=PriorSet.load(
            _input_file(args.priors, "prior file")))
    data = _load_data(args, spec=model.spec)
    if len(data.excluded):
        console.progress(f"left out {len(data.excluded)} row(s) with missing values "
                         "(--dropna); they are listed in the report's data description")
    fit = _fit_quietly(model, data, args, console, command)
    fit.save(out)
    console.result(f"wrote {out}")
    if report is not None:
        _write_report(fit, report, console)
        console.result(f"wrote {report}")
    return 0


def cmd_report(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Write the PDF report of a saved fit."""
    from coalsurv.fit.record import load_fit

    out = _output_file(args.output, ".pdf", "report")
    fit = load_fit(_input_file(args.fit, "fit file"))
    others = {}
    for path in args.compare or []:
        other = load_fit(_input_file(path, "fit file"))
        others[Path(path).stem] = other
    _write_report(fit, out, console, title=args.title, compare_with=others or None)
    console.result(f"wrote {out}")
    return 0


def cmd_data_check(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Validate a CSV of coalitions and print its description."""
    data = _load_data(args)
    if getattr(args, "ignored_columns", None):
        console.result(f"note: empty column(s) {args.ignored_columns} ignored")
    console.result(str(data.describe()))
    if len(data.excluded):
        console.result(f"\n{len(data.excluded)} row(s) left out (--dropna):")
        console.result(data.excluded.to_string(index=False))
    console.result(f"\nok: {data!r}")
    return 0


def cmd_simulate(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Simulate coalition histories to a CSV (and their members)."""
    from coalsurv._io import atomic_write_text
    from coalsurv.simulation import simulate

    out = _output_file(args.output, ".csv", "output")
    members = _output_file(args.members_out, ".csv", "members output") if args.members_out \
        else None
    sim = simulate(n_coalitions=args.n, n_groups=args.groups, seed=args.seed,
                   collapse_causes=args.collapse)
    atomic_write_text(out, sim.frame.to_csv(index=False))
    console.result(f"wrote {out}: {len(sim.frame)} coalitions, endings "
                   f"{sim.frame['event'].value_counts().to_dict()}; durations in "
                   f"{sim.data.time_unit} (pass --time-unit {sim.data.time_unit} when reading it)")
    if members is not None:
        atomic_write_text(members, sim.members.to_csv(index=False))
        console.result(f"wrote {members}: {len(sim.members)} member rows")
    return 0


def cmd_gallery(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Render every plot for the bundled data to PNG files."""
    from coalsurv.report.gallery import render_gallery

    fit = None
    if args.fit:
        from coalsurv.fit.record import load_fit

        fit = load_fit(_input_file(args.fit, "fit file"))
    else:
        import coalsurv

        data = coalsurv.datasets.load_synthetic()
        model = coalsurv.SurvivalModel(DEMO_FORMULA, family="weibull", causes=DEMO_CAUSES)
        fit = _fit_quietly(model, data, args, console, command)
    paths = render_gallery(fit, Path(args.out), progress=console.progress)
    for p in paths:
        console.result(f"wrote {p}")
    return 0


def cmd_priors_show(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Print a prior file."""
    from coalsurv.spec.priors import DEFAULT_PRIORS, PriorSet

    priors = PriorSet.load(_input_file(args.file, "prior file"))
    console.result(f"prior set: {priors.name or '(unnamed)'}")
    if priors.description:
        console.result(f"description: {priors.description}")
    for key, value in priors.provenance.items():
        console.result(f"provenance: {key} = {value}")
    width = max([9, *(len(k) for k in priors.priors)])
    console.result(f"\n{'parameter':{width}}  prior")
    for key, prior in priors.priors.items():
        console.result(f"{key:{width}}  {prior}")
    defaults = [k for k in DEFAULT_PRIORS if k not in priors.priors]
    if defaults:
        console.result("\nother parameters take the defaults: "
                       + ", ".join(f"{k} ~ {DEFAULT_PRIORS[k]}" for k in defaults))
    return 0


def cmd_priors_check(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Validate a prior file."""
    from coalsurv.spec.priors import PriorSet

    priors = PriorSet.load(_input_file(args.file, "prior file"))
    console.result(f"ok: {args.file}: prior set {priors.name!r} with {len(priors.priors)} "
                   f"prior(s): {', '.join(priors.priors) or 'none (all defaults)'}")
    return 0


def cmd_priors_from_fit(args: argparse.Namespace, console: _Console, command: str) -> int:
    """Turn a saved fit's posterior into a prior file (power prior)."""
    from coalsurv.fit.record import load_fit
    from coalsurv.spec.priors import PriorSet

    out = Path(args.output)
    if out.suffix not in (".toml", ".json"):
        raise UserError(f"prior file {args.output!r} must end in .toml or .json")
    fit = load_fit(_input_file(args.fit, "fit file"))
    priors = PriorSet.from_fit(fit, discount=args.discount,
                               include_intercept=args.include_intercept, name=args.name)
    priors.save(out)
    console.result(f"wrote {out}: {len(priors.priors)} priors from fit {fit.fit_id} "
                   f"(discount {args.discount:g})")
    return 0


# ------------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``coalsurv`` command."""
    from coalsurv import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="coalsurv", formatter_class=fmt,
                     description="Bayesian survival models of coalitions: fit, check, report.",
                     epilog="Run 'coalsurv COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"coalsurv {__version__}")
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of errors (for bug reports)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    common = argparse.ArgumentParser(add_help=False)  # also accepted after the command
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress lines")
    common.add_argument("--traceback", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("demo", parents=[common],
                       help="fit the bundled synthetic data; write reports/demo.pdf",
                       description=cmd_demo.__doc__ + " A competing-risks Weibull model "
                       "(dissolution, goal reached, alliance) with a group frailty, compared "
                       "with a simpler model.")
    p.add_argument("--out", default="reports/demo.pdf", help="report (default reports/demo.pdf)")
    p.add_argument("--fit-out", default="reports/demo_fit.nc",
                   help="saved fit (default reports/demo_fit.nc)")
    p.add_argument("--quick", action="store_true", help="few draws (a smoke run, ~1 minute)")
    p.add_argument("--no-compare", action="store_true", help="skip the comparison model")
    _sampler_args(p, draws=1000, tune=1500, chains=4)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("fit", parents=[common], help="fit a model file to a CSV of coalitions",
                       description=cmd_fit.__doc__, formatter_class=fmt)
    _data_args(p)
    p.add_argument("--model", metavar="FILE.toml", required=True,
                   help="model file with a [model] table (formula, family, causes)")
    p.add_argument("-o", "--output", metavar="FIT.nc", required=True, help="fit file to write")
    p.add_argument("--priors", metavar="FILE", help="prior file (TOML/JSON) overriding the model's")
    p.add_argument("--report", metavar="REPORT.pdf", help="also write the PDF report")
    _sampler_args(p, draws=1000, tune=1000, chains=4)
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("report", parents=[common], help="write the PDF report of a saved fit",
                       description=cmd_report.__doc__)
    p.add_argument("fit", metavar="FIT.nc", help="fit file written by 'coalsurv fit'")
    p.add_argument("-o", "--output", metavar="REPORT.pdf", required=True)
    p.add_argument("--title", help="title of the report")
    p.add_argument("--compare", metavar="FIT.nc", nargs="+",
                   help="other fits of the same data to compare by PSIS-LOO")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("data", help="data tools (check)", description="Data tools.")
    data_sub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", parser_class=_Parser)
    data_sub.required = True
    q = data_sub.add_parser("check", parents=[common], help="validate a CSV and describe it",
                            description=cmd_data_check.__doc__ + " Exit status 0 when valid, "
                            "2 with every problem listed when not.")
    _data_args(q)
    q.set_defaults(func=cmd_data_check)

    p = sub.add_parser("simulate", parents=[common],
                       help="simulate coalition histories to a CSV",
                       description=cmd_simulate.__doc__)
    p.add_argument("-o", "--output", metavar="OUT.csv", required=True)
    p.add_argument("--n", type=_positive_int, default=600, help="coalitions (default 600)")
    p.add_argument("--groups", type=_positive_int, default=20, help="groups (default 20)")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="random seed (default 0)")
    p.add_argument("--members-out", metavar="MEMBERS.csv", help="also write the member table")
    p.add_argument("--collapse", action="store_true", help="one ending 'ended' for all")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("gallery", parents=[common],
                       help="render every plot for the bundled data to PNGs",
                       description=cmd_gallery.__doc__)
    p.add_argument("--out", default="reports/gallery", help="folder (default reports/gallery)")
    p.add_argument("--fit", metavar="FIT.nc", help="use this fit instead of fitting the demo")
    _sampler_args(p, draws=300, tune=300, chains=2)
    p.set_defaults(func=cmd_gallery)

    p = sub.add_parser("priors", help="prior files (show, check, from-fit)",
                       description="Prior files.")
    pri = p.add_subparsers(dest="priors_command", metavar="SUBCOMMAND", parser_class=_Parser)
    pri.required = True
    q = pri.add_parser("show", parents=[common], help="print a prior file",
                       description=cmd_priors_show.__doc__)
    q.add_argument("file", metavar="FILE")
    q.set_defaults(func=cmd_priors_show)
    q = pri.add_parser("check", parents=[common], help="validate a prior file",
                       description=cmd_priors_check.__doc__)
    q.add_argument("file", metavar="FILE")
    q.set_defaults(func=cmd_priors_check)
    q = pri.add_parser("from-fit", parents=[common],
                       help="posterior of a fit -> prior file (power prior)",
                       description=cmd_priors_from_fit.__doc__)
    q.add_argument("fit", metavar="FIT.nc")
    q.add_argument("-o", "--output", metavar="PRIORS.toml", required=True)
    q.add_argument("--discount", type=_discount, default=0.5,
                   help="power-prior weight a0 in (0, 1] (default 0.5)")
    q.add_argument("--include-intercept", action="store_true",
                   help="carry the intercept too (same time scale only)")
    q.add_argument("--name", help="name of the prior set")
    q.set_defaults(func=cmd_priors_from_fit)
    return parser


# ------------------------------------------------------------------------------ entry
def _error_lines(exc: BaseException) -> list[str]:
    """One line naming the problem (plus indented extra problems for data errors)."""
    from coalsurv.errors import CoalsurvError

    if isinstance(exc, CoalsurvError):
        head, problems = exc.headline, list(exc.problems)
        if problems:
            more = f" (and {len(problems) - 1} more problem(s) below)" if len(problems) > 1 else ""
            head = f"{head}: {problems[0]}{more}"
        lines = [head] + [f"  - {p}" for p in problems[1:]]
    elif isinstance(exc, FileNotFoundError) and exc.filename:
        lines = [f"file {exc.filename!r} does not exist"]
    elif isinstance(exc, OSError) and exc.strerror:
        lines = [f"{exc.strerror}: {exc.filename!r}" if exc.filename else exc.strerror]
    else:
        lines = [str(exc)]
    first = " ".join(lines[0].split())  # never more than one line for the headline
    return [line.replace("dropna=True", "--dropna") for line in (first, *lines[1:])]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``coalsurv`` command; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a user error (one line on standard error), 1 for an internal
        error.
    """
    from coalsurv.errors import CoalsurvError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an argparse error (already printed)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USER_ERROR
    if "MPLBACKEND" not in os.environ:
        import matplotlib

        matplotlib.use("Agg")
    console = _Console(quiet=args.quiet)
    command = "coalsurv " + shlex.join(argv)
    func: Callable[..., int] = args.func
    user_errors = (CoalsurvError, UserError, FileNotFoundError, IsADirectoryError,
                   PermissionError, NotADirectoryError)
    try:
        return func(args, console, command)
    except user_errors as exc:
        if args.traceback:
            raise
        lines = _error_lines(exc)
        print(f"coalsurv: error: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(line, file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("coalsurv: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: say so, briefly
        if args.traceback:
            raise
        print(f"coalsurv: internal error: {type(exc).__name__}: "
              f"{' '.join(str(exc).split())[:300]} (rerun with --traceback and report it)",
              file=sys.stderr)
        return EXIT_INTERNAL_ERROR
