"""A disk memo of the kernel's formula check (:func:`coalsurv.backend.native.formulas_match`).

The check evaluates a family's NumPy log hazard and log survival against the kernel's compiled
terms on a grid. Its compiled functions (``family_terms_at``, the spline's ``rp_terms``,
``gengamma_terms``) are used by nothing else in a fit, so a fresh process paid their numba cache
loads (and numba's target initialisation) for a verdict that only changes when code changes.

The verdict is a function of the family's code and options, the kernel's code and the library
versions that compute both. :func:`memo_key` digests all of them:

- the family's class: for every class of its MRO (``object`` excepted) its module and qualified
  name, the bytes of its module's source file, and the code (bytecode, constants, names) of
  every function in its ``__dict__`` (a method replaced at run time changes the key);
- its options (``_identity()``: name, cut points, knots, scale), arrays by dtype, shape and
  bytes;
- the source of every module of ``coalsurv/families`` (formulas, shared math, the kernel's
  family terms) and ``coalsurv/backend`` (the spline kernel and its imports, the check itself);
- the Python, NumPy, SciPy, numba and llvmlite versions, the platform and machine.

A class with no source file (defined in ``__main__`` of ``python -c`` or a notebook cell) has no
key: the check runs every time. The memo is a file per key in ``coalsurv_formulas/`` under
``NUMBA_CACHE_DIR`` when set, else in ``coalsurv/backend/__pycache__`` (where numba caches
this package's kernels) or, where that cannot be written, the user's cache folder
(:func:`memo_dirs`), written atomically (a temporary file, then ``os.replace``). A memo that
cannot be read or written is ignored (the check runs): it only ever saves time. Verdicts are
also kept for the process, by key.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["memo_key", "memoised", "memo_dirs"]

_PACKAGE = Path(__file__).resolve().parent.parent
_SOURCES = (_PACKAGE / "families", _PACKAGE / "backend")
_VERSIONS = ("numpy", "scipy", "numba", "llvmlite")
_seen: dict[str, bool] = {}
_file_digests: dict[str, bytes] = {}
_tree_digest: list[bytes] = []


def memo_dirs() -> list[Path]:
    """Folders of the memo files, in the order they are tried.

    ``NUMBA_CACHE_DIR/coalsurv_formulas`` when that variable is set; else the package's
    ``backend/__pycache__/coalsurv_formulas``, then (an installation that cannot be written to,
    as numba's own fallback) ``coalsurv_formulas`` in the user's cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``).
    """
    root = os.environ.get("NUMBA_CACHE_DIR", "")
    if root:
        return [Path(root) / "coalsurv_formulas"]
    user = Path(os.environ.get("XDG_CACHE_HOME", "") or Path.home() / ".cache")
    return [_PACKAGE / "backend" / "__pycache__" / "coalsurv_formulas",
            user / "coalsurv" / "coalsurv_formulas"]


def _file_digest(path: str) -> bytes:
    if path not in _file_digests:
        _file_digests[path] = hashlib.sha256(Path(path).read_bytes()).digest()
    return _file_digests[path]


def _sources_digest() -> bytes:
    """Digest of every ``.py`` file of ``coalsurv/families`` and ``coalsurv/backend``."""
    if not _tree_digest:
        h = hashlib.sha256()
        for folder in _SOURCES:
            for path in sorted(folder.glob("*.py")):
                h.update(path.name.encode() + b"\0" + _file_digest(str(path)))
        h.update(f"{sys.version}|{sys.platform}|{platform.machine()}|".encode())
        for name in _VERSIONS:
            module = sys.modules.get(name)
            if module is None:
                __import__(name)
                module = sys.modules[name]
            h.update(f"{name}={getattr(module, '__version__', '?')}|".encode())
        _tree_digest.append(h.digest())
    return _tree_digest[0]


def _value_bytes(value) -> bytes:
    """Exact bytes of an option value (arrays by dtype, shape and contents)."""
    if isinstance(value, np.ndarray):
        return b"A" + f"{value.dtype.str}{value.shape}".encode() + value.tobytes()
    if isinstance(value, (tuple, list)):
        return b"T(" + b",".join(_value_bytes(v) for v in value) + b")"
    if value is None or isinstance(value, (str, bool, int, float)):
        return repr((type(value).__name__, value)).encode()
    raise TypeError(type(value).__name__)


def _const_bytes(value) -> bytes:
    """Deterministic bytes of a code constant (a frozenset's order varies with the hash seed)."""
    if hasattr(value, "co_code"):
        return _code_bytes(value)
    if isinstance(value, tuple):
        return b"(" + b",".join(_const_bytes(v) for v in value) + b")"
    if isinstance(value, frozenset):
        return b"{" + b",".join(sorted(_const_bytes(v) for v in value)) + b"}"
    return repr(value).encode()


def _code_bytes(code) -> bytes:
    """Deterministic bytes of a code object (``marshal`` depends on reference counts)."""
    return b"\0".join((code.co_code, _const_bytes(code.co_consts),
                       repr((code.co_names, code.co_varnames, code.co_freevars,
                             code.co_cellvars)).encode()))


def memo_key(family) -> str | None:
    """Key of ``family``'s verdict, or None where it cannot be keyed (then no memo)."""
    h = hashlib.sha256(_sources_digest())
    try:
        h.update(_value_bytes(family._identity()))
        for cls in type(family).__mro__[:-1]:
            module = sys.modules.get(cls.__module__)
            path = getattr(module, "__file__", None)
            if not path or not path.endswith(".py"):
                return None
            h.update(f"{cls.__module__}:{cls.__qualname__}".encode() + _file_digest(path))
            for name, attr in sorted(vars(cls).items()):
                for part in (getattr(attr, "__func__", attr),  # staticmethod / classmethod
                             getattr(attr, "fget", None), getattr(attr, "fset", None)):
                    code = getattr(part, "__code__", None)
                    if code is not None:
                        h.update(name.encode() + b"\0" + _code_bytes(code))
    except (TypeError, ValueError, OSError):
        return None
    return h.hexdigest()


def _read(path: Path) -> bool | None:
    try:
        verdict = json.loads(path.read_text())["match"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return verdict if isinstance(verdict, bool) else None


def _write(folder: Path, name: str, verdict: bool) -> bool:
    """Write the verdict atomically (a temporary file, then ``os.replace``); False on failure."""
    path = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{os.getpid()}-{threading.get_ident()}-{name}"
        try:
            with open(tmp, "x") as out:  # the umask's permissions, as numba's cache files
                json.dump({"match": verdict}, out)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def memoised(family, check: Callable[[object], bool]) -> bool:
    """``check(family)``, remembered on disk and in the process under :func:`memo_key`."""
    key = memo_key(family)
    if key is None:
        return bool(check(family))
    if key in _seen:
        return _seen[key]
    name = f"{key}.json"
    folders = memo_dirs()
    verdict = next((v for v in (_read(f / name) for f in folders) if v is not None), None)
    if verdict is None:
        verdict = bool(check(family))
        for folder in folders:  # the first that can be written
            if _write(folder, name, verdict):
                break
    _seen[key] = verdict
    return verdict
