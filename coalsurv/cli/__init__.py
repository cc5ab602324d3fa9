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
        --duration duration --event event --entry entry --groups group --time-unit months
    coalsurv report fit.nc -o report.pdf
    coalsurv data check coalitions.csv --duration duration --event event --time-unit months
    coalsurv priors from-fit fit.nc -o priors.toml --discount 0.5
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Sequence

from coalsurv.cli.io import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, Console
from coalsurv.cli.parser import build_parser

__all__ = ["main", "build_parser"]


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
    console = Console(quiet=args.quiet)
    command = "coalsurv " + shlex.join(argv)
    func: Callable[..., int] = args.func
    user_errors = (CoalsurvError, FileNotFoundError, IsADirectoryError, PermissionError,
                   NotADirectoryError)
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
