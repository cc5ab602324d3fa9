"""Atomic file writes: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_write_with", "read_text_file"]


def read_text_file(path: str | Path, *, what: str, expected: str,
                   error: type[Exception]) -> str:
    """Read a UTF-8 text file, or raise ``error`` saying what is wrong with it.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file is, for messages (e.g. ``"prior file"``).
    expected : str
        What it should hold (e.g. ``"a TOML or JSON prior file"``).
    error : type
        The coalsurv error to raise (its constructor takes the message).
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} {str(path)!r} does not exist")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {str(path)!r} is not text (UTF-8); expected {expected}") from None


def atomic_write_with(
    path: str | Path, writer: Callable[[Path], None], *, suffix: str = ""
) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path`` in one rename.

    Parameters
    ----------
    path : str or Path
        Final destination; its folder is created if needed.
    writer : callable
        Writes the complete file at the temporary path it is given.
    suffix : str
        Suffix of the temporary file (some writers choose a format from it).

    Returns
    -------
    Path
        The destination path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix,
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        # mkstemp creates 0600 files; give the result the permissions of a normal new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write_with(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))
