"""The argument parser of the ``coalsurv`` command: argument types, option groups, subcommands."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from coalsurv.cli.commands import (
    cmd_data_check,
    cmd_demo,
    cmd_fit,
    cmd_gallery,
    cmd_priors_check,
    cmd_priors_from_fit,
    cmd_priors_show,
    cmd_report,
    cmd_simulate,
)
from coalsurv.cli.io import EXIT_USER_ERROR
from coalsurv.cli.replicate import cmd_priors_check_model, cmd_replicate

__all__ = ["Parser", "build_parser", "int_at_least", "positive_int", "nonneg_int", "discount"]


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``coalsurv: error: <what> (see: <prog> --help)``."""

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line and exit with status 2."""
        sys.stderr.write(f"coalsurv: error: {message} (see: {self.prog} --help)\n")
        raise SystemExit(EXIT_USER_ERROR)


# ------------------------------------------------------------------------------ arg types
def int_at_least(low: int):
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


positive_int = int_at_least(1)
nonneg_int = int_at_least(0)


def discount(text: str) -> float:
    """Argparse type: a power-prior discount in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def components(text: str) -> int | str:
    """Argparse type: ``auto`` or a positive number of mixture components."""
    if text == "auto":
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected 'auto' or a positive integer, got {text!r}")


def add_sampler_args(p: argparse.ArgumentParser, *, draws: int, tune: int, chains: int) -> None:
    g = p.add_argument_group("sampler")
    g.add_argument("--draws", type=positive_int, default=draws,
                   help=f"kept draws per chain (default {draws})")
    g.add_argument("--tune", type=nonneg_int, default=tune,
                   help=f"tuning steps per chain (default {tune})")
    g.add_argument("--chains", type=positive_int, default=chains,
                   help=f"number of chains (default {chains})")
    g.add_argument("--seed", type=nonneg_int, default=1, help="random seed (default 1)")


def add_data_args(p: argparse.ArgumentParser) -> None:
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
    g.add_argument("--time-unit", choices=("days", "months", "years"), default=None,
                   help="unit of durations; required unless the model file's [data] table or "
                   "a data card DATA.md beside the CSV states it")
    g.add_argument("--dropna", action="store_true",
                   help="leave out rows with missing values in used columns (listed, never silent)")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``coalsurv`` command."""
    from coalsurv import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog="coalsurv", formatter_class=fmt,
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
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
    add_sampler_args(p, draws=1000, tune=1500, chains=4)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("fit", parents=[common], help="fit a model file to a CSV of coalitions",
                       description=cmd_fit.__doc__, formatter_class=fmt)
    add_data_args(p)
    p.add_argument("--model", metavar="FILE.toml", required=True,
                   help="model file with a [model] table (formula, family, causes)")
    p.add_argument("-o", "--output", metavar="FIT.nc", required=True, help="fit file to write")
    p.add_argument("--priors", metavar="FILE", help="prior file (TOML/JSON) overriding the model's")
    p.add_argument("--report", metavar="REPORT.pdf", help="also write the PDF report")
    add_sampler_args(p, draws=1000, tune=1000, chains=4)
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("report", parents=[common], help="write the PDF report of a saved fit",
                       description=cmd_report.__doc__)
    p.add_argument("fit", metavar="FIT.nc", help="fit file written by 'coalsurv fit'")
    p.add_argument("-o", "--output", metavar="REPORT.pdf", required=True)
    p.add_argument("--title", help="title of the report")
    p.add_argument("--compare", metavar="FIT.nc", nargs="+",
                   help="other fits of the same data to compare by PSIS-LOO")
    p.add_argument("--style", choices=("full", "paper"), default="full",
                   help="full report (default) or the short paper template, whose figures "
                        "are also written to <REPORT>_figures/")
    p.add_argument("--figure-format", choices=("pdf", "svg"), default="pdf",
                   help="format of the paper style's separate figure files (default pdf)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("data", help="data tools (check)", description="Data tools.")
    data_sub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", parser_class=Parser)
    data_sub.required = True
    q = data_sub.add_parser("check", parents=[common], help="validate a CSV and describe it",
                            description=cmd_data_check.__doc__ + " Exit status 0 when valid, "
                            "2 with every problem listed when not.")
    add_data_args(q)
    q.set_defaults(func=cmd_data_check)

    p = sub.add_parser("simulate", parents=[common],
                       help="simulate coalition histories to a CSV",
                       description=cmd_simulate.__doc__)
    p.add_argument("-o", "--output", metavar="OUT.csv", required=True)
    p.add_argument("--n", type=positive_int, default=600, help="coalitions (default 600)")
    p.add_argument("--groups", type=positive_int, default=20, help="groups (default 20)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="random seed (default 0)")
    p.add_argument("--members-out", metavar="MEMBERS.csv", help="also write the member table")
    p.add_argument("--collapse", action="store_true", help="one ending 'ended' for all")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("gallery", parents=[common],
                       help="render every plot for the bundled data to PNGs",
                       description=cmd_gallery.__doc__)
    p.add_argument("--out", default="reports/gallery", help="folder (default reports/gallery)")
    p.add_argument("--fit", metavar="FIT.nc", help="use this fit instead of fitting the demo")
    add_sampler_args(p, draws=300, tune=300, chains=2)
    p.set_defaults(func=cmd_gallery)

    p = sub.add_parser("priors", help="prior files (show, check, from-fit)",
                       description="Prior files.")
    pri = p.add_subparsers(dest="priors_command", metavar="SUBCOMMAND", parser_class=Parser)
    pri.required = True
    q = pri.add_parser("show", parents=[common], help="print a prior file",
                       description=cmd_priors_show.__doc__)
    q.add_argument("file", metavar="FILE")
    q.set_defaults(func=cmd_priors_show)
    q = pri.add_parser("check", parents=[common],
                       help="validate a prior file; with --priors, a model's prior predictive",
                       description=cmd_priors_check.__doc__ + " With --priors FILE, FILE is a "
                       "model file: " + cmd_priors_check_model.__doc__.split("\n\n")[1])
    q.add_argument("file", metavar="FILE", help="prior file, or model file with --priors")
    q.add_argument("--priors", metavar="PRIORS", help="prior file to check under model FILE")
    q.add_argument("--draws", type=int_at_least(10), default=1000, help="prior draws")
    q.add_argument("--plot", metavar="OUT.png|pdf", help="with --priors: also plot the implied "
                   "median lifespan and survival curve to this file")
    g = q.add_argument_group("data (with --priors): covariate SDs, groups and time unit")
    g.add_argument("--data", metavar="DATA.csv")
    for name in ("duration", "event", "id", "entry", "lower", "upper", "start", "end"):
        g.add_argument(f"--{name}", metavar="COL")
    g.add_argument("--censored", metavar="LABEL", default="censored")
    g.add_argument("--groups", metavar="COL", nargs="+")
    g.add_argument("--covariates", metavar="COL", nargs="+")
    g.add_argument("--time-unit", choices=("days", "months", "years"), default="days")
    g.add_argument("--dropna", action="store_true")
    q.set_defaults(func=lambda a, c, cmd: (cmd_priors_check_model if a.priors
                                           else cmd_priors_check)(a, c, cmd))
    p = sub.add_parser("replicate", parents=[common],
                       help="replication metrics of a replication fit against the original",
                       description=cmd_replicate.__doc__)
    p.add_argument("original", metavar="ORIGINAL.nc")
    p.add_argument("replication", metavar="REPLICATION.nc")
    p.add_argument("--ci-prob", type=float, default=0.95, help="interval mass (default 0.95)")
    p.add_argument("--sceptic-sd", type=float, default=0.0,
                   help="the sceptic's prior SD per unit (default 0: no effect at all)")
    p.set_defaults(func=cmd_replicate)
    q = pri.add_parser("from-fit", parents=[common],
                       help="posterior of a fit -> prior file (power prior)",
                       description=cmd_priors_from_fit.__doc__)
    q.add_argument("fit", metavar="FIT.nc|MS.zip",
                   help="a fit file, or a multi-state fit file (one prior file per transition)")
    q.add_argument("-o", "--output", metavar="PRIORS.toml", required=True)
    q.add_argument("--discount", type=discount, default=1.0,
                   help="power-prior weight a0 in (0, 1] (default 1, as PriorSet.from_fit: the "
                        "earlier fit's full information, as if both data sets were analysed "
                        "together; lower it, e.g. 0.5, when the new study may differ from the "
                        "earlier one)")
    q.add_argument("--include-intercept", action="store_true",
                   help="carry the intercept too (same time scale only)")
    q.add_argument("--independent", action="store_true",
                   help="independent priors per coefficient (default: one joint prior)")
    q.add_argument("--components", type=components, default="auto",
                   help="components of the joint prior: 'auto' (default: a mixture of up to 4 "
                        "multivariate normals chosen by BIC; one when the posterior is normal) "
                        "or a number (1 = one multivariate normal)")
    q.add_argument("--drop-frailty", action="store_true", help="do not carry frailty SDs")
    q.add_argument("--name", help="name of the prior set")
    q.set_defaults(func=cmd_priors_from_fit)
    from coalsurv.cli.batch import add_batch_parser

    add_batch_parser(sub, common, add_data_args, add_sampler_args)
    return parser
