"""The client's side of a batch folder: where each name's files live, written and read back.

Only the client writes under ``out/`` (resolved to an absolute path on the client before
anything runs); workers return each fit file's bytes (:mod:`coalsurv.batch.task`). Layout:

=======================  ==============================================================
``out/NAME.nc``          the sealed fit file (bytes as the worker's writer made them)
``out/NAME.json``        its record (row, attempts, fit options, SHA-256 of the file);
                         written after the fit file: a name is finished when both exist
``out/errors/NAME.json`` the record of a name that failed or was lost (status, error,
                         attempts); removed when the name later finishes
``out/fits.csv``         the index, rebuilt from the files above (:func:`read_batch`)
=======================  ==============================================================

Error records live in their own folder, so no name's file can be read as another name's error
record (``a.error`` and ``a`` are two names). Temporary files are named
``.FILE~HOST~PID~UUID.tmp``: no two writers collide, and a rerun removes only those of dead
processes on this host.
"""

from __future__ import annotations

import json
import os
import re
import socket
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv.batch.task import ROW_COLUMNS
from coalsurv.errors import ArgumentError, BatchError

__all__ = ["resolve_out", "fit_path", "record_path", "error_path", "write_bytes", "save_result",
           "save_failure", "read_batch", "frame_of", "write_index", "remove_stale_temporaries",
           "INDEX_FILE", "ERRORS_DIR"]

#: The tidy frame of a batch, rebuilt from the files under ``out/``.
INDEX_FILE = "fits.csv"
#: Folder (under ``out/``) of the records of failed and lost names.
ERRORS_DIR = "errors"
_HOST = socket.gethostname().replace("~", "-")


def resolve_out(out, what: str = "out") -> Path:
    """Return ``out`` as an absolute folder path on this machine; refuse a file in the way.

    Checked before anything is sampled or sent: an existing file at ``out`` (or at one of its
    parents) is an :class:`~coalsurv.errors.ArgumentError` naming it.
    """
    if not isinstance(out, str | os.PathLike) or (isinstance(out, str) and not out.strip()):
        raise ArgumentError(f"{what}: expected a folder path (str or Path), got {out!r}")
    if "://" in str(out):
        raise ArgumentError(f"{what}={str(out)!r}: a URL; give a folder on this machine (the "
                            "workers return every fit file to the client, which writes them "
                            "there; no shared or remote storage is needed)")
    path = Path(out).expanduser().absolute()
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                where = "is" if part == path else f"has {str(part)!r} as a parent, which is"
                raise ArgumentError(f"{what}={str(out)!r} {where} a file, not a folder; "
                                    "give a folder for the fit files")
            break
    return path.resolve()


def fit_path(out: Path, name: str) -> Path:
    """Fit file of ``name``."""
    return out / f"{name}.nc"


def record_path(out: Path, name: str) -> Path:
    """Record (JSON row) of a finished fit; written after its fit file."""
    return out / f"{name}.json"


def error_path(out: Path, name: str) -> Path:
    """Record of a failed or lost name."""
    return out / ERRORS_DIR / f"{name}.json"


def write_bytes(path: Path, content: bytes) -> Path:
    """Write ``content`` to ``path`` through a uniquely named temporary file and one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}~{_HOST}~{os.getpid()}~{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove temporary files left under ``out`` by dead writers on this host; return them."""
    gone = []
    for folder in (out, out / ERRORS_DIR):
        for tmp in folder.glob(".*~*~*~*.tmp") if folder.is_dir() else ():
            _, host, pid, _ = tmp.name[:-len(".tmp")].rsplit("~", 3)
            if host == _HOST and pid.isdigit() and not _pid_alive(int(pid)):
                tmp.unlink(missing_ok=True)
                gone.append(tmp)
    return gone


def _dumps(record: dict[str, Any]) -> bytes:
    return json.dumps(record, indent=1, default=str).encode("utf-8")


def save_result(out: Path, name: str, result: dict[str, Any], *, attempts: int,
                options: str) -> dict[str, Any]:
    """Write the fit file a worker returned, then its record; return the row."""
    import hashlib

    content = result["fit"]
    digest = hashlib.sha256(content).hexdigest()
    if digest != result["sha256"]:
        raise BatchError(f"{name}: the fit file arrived damaged (SHA-256 {digest[:12]} "
                         f"instead of {str(result['sha256'])[:12]})")
    path = write_bytes(fit_path(out, name), content)
    row = {**result["row"], "status": "ok", "file": str(path), "attempts": int(attempts),
           "error": None}
    write_bytes(record_path(out, name), _dumps({**row, "options": options, "sha256": digest}))
    error_path(out, name).unlink(missing_ok=True)
    return row


def save_failure(out: Path, name: str, row: dict[str, Any]) -> dict[str, Any]:
    """Write the record of a failed or lost name (its fit file and record, if any, stay)."""
    row = {**dict.fromkeys(ROW_COLUMNS), **row, "file": None}
    write_bytes(error_path(out, name), _dumps(row))
    return row


_RECORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.json$")


def read_batch(out: str | Path) -> pd.DataFrame:
    """Return the tidy frame of the finished, failed and lost fits recorded under ``out/``.

    Built from the files only: a finished name has ``NAME.nc`` and ``NAME.json``; a failed or
    lost one its record under ``errors/``. ``file`` is the fit file's path under ``out``.

    Raises
    ------
    ArgumentError
        ``out`` does not exist or is not a folder.
    """
    folder = Path(out).expanduser()
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise ArgumentError(f"read_batch: {str(out)!r} {what}; expected the out= folder of "
                            "fit_many (or sbc)")
    folder = folder.resolve()
    rows: dict[str, dict[str, Any]] = {}
    errors = folder / ERRORS_DIR
    for path in sorted(errors.glob("*.json")) if errors.is_dir() else ():
        if _RECORD.match(path.name):
            rows[path.stem] = {**_load(path), "name": path.stem, "file": None}
    for path in sorted(folder.glob("*.json")):
        name = path.stem
        if _RECORD.match(path.name) and fit_path(folder, name).is_file():
            rows[name] = {**_load(path), "name": name, "status": "ok",
                          "file": str(fit_path(folder, name))}
    return frame_of(rows.values())


def _load(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BatchError(f"batch record {str(path)!r} cannot be read: {exc}") from None
    if not isinstance(record, dict):
        raise BatchError(f"batch record {str(path)!r}: expected a JSON object")
    return record


def frame_of(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Return the tidy frame of some rows (columns :data:`ROW_COLUMNS`, sorted by name)."""
    frame = pd.DataFrame([{c: r.get(c) for c in ROW_COLUMNS} for r in rows],
                         columns=list(ROW_COLUMNS))
    return frame.sort_values("name", kind="stable").reset_index(drop=True)


def write_index(out: Path, frame: pd.DataFrame) -> None:
    """Write ``out/fits.csv`` (atomically)."""
    write_bytes(out / INDEX_FILE, frame.to_csv(index=False).encode("utf-8"))
