"""Progress lines of a fit, in scripts too: the stage (building, compiling and sampling, checks).

nutpie's progress bar shows only in terminals and notebooks; a script run with its output sent
to a file would print nothing for the whole fit. :class:`Progress` writes one line per stage to
standard error (``coalsurv: sampling ... done in 21.4 s``) and nothing when disabled
(``progressbar=False``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Writes the stages of a fit as lines ``coalsurv: <stage> ... done in N s``.

    Parameters
    ----------
    enabled : bool
        False writes nothing.
    stream : file, optional
        Where to write (default standard error, read when a line is written).
    """

    def __init__(self, enabled: bool, *, stream: TextIO | None = None):
        self.enabled = bool(enabled)
        self.stream = stream
        self.stages: list[tuple[str, float]] = []

    def _write(self, text: str, end: str = "\n") -> None:
        if self.enabled:
            out = self.stream or sys.stderr
            out.write(text + end)
            out.flush()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Announce ``name``, run the block, then say how long it took (or that it failed)."""
        self._write(f"coalsurv: {name} ...")
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self._write(f"coalsurv: {name} failed after {time.perf_counter() - start:.1f} s")
            raise
        took = time.perf_counter() - start
        self.stages.append((name, took))
        self._write(f"coalsurv: {name} done in {took:.1f} s")
