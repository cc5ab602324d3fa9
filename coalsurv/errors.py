"""Errors raised at coalsurv's boundaries: data, model specification, priors, fit files, arguments.

Every error names what is wrong (column, row ids, key) and what would be right. Errors that
collect several problems keep them in ``problems`` (a list of strings), one per line of the
message.
"""

from __future__ import annotations

__all__ = [
    "CoalsurvError",
    "CoalitionDataError",
    "SpecError",
    "PriorError",
    "FitFileError",
    "ArgumentError",
    "CommandLineError",
    "BatchError",
]


class CoalsurvError(Exception):
    """Base class of all user-facing coalsurv errors.

    Parameters
    ----------
    message : str
        Headline of the error.
    problems : list of str, optional
        Individual problems found; each is printed on its own line below the headline.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.headline = message
        self.problems = list(problems or [])
        if self.problems:
            body = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{message}\n{body}"
        super().__init__(message)


class CoalitionDataError(CoalsurvError, ValueError):
    """Invalid coalition data: names the columns, row ids and what is expected."""


class SpecError(CoalsurvError, ValueError):
    """Invalid model specification (formula, family, causes, groups)."""


class PriorError(CoalsurvError, ValueError):
    """Invalid prior set or prior file (unknown key, bad distribution, wrong schema)."""


class FitFileError(CoalsurvError, ValueError):
    """A saved fit file that cannot be read or does not match its recorded contents."""


class ArgumentError(CoalsurvError, ValueError):
    """A plain argument mistake in a call: ``ci_prob``, ``draws``, horizons, times, options.

    Kept apart from :class:`SpecError` (what is modelled) so that callers can tell a wrong
    call from a wrong model.
    """


class CommandLineError(CoalsurvError):
    """A wrong command-line request; the ``coalsurv`` command prints it as one line, exit 2.

    A missing or misnamed option, an output file with the wrong suffix, an unreadable data
    file: what the user asked the command for, not what the library was given.
    """


class BatchError(CoalsurvError, RuntimeError):
    """A batch of fits could not run: the local Dask cluster did not start, say.

    Failed fits inside a batch are not raised but recorded, each with its error.
    """
