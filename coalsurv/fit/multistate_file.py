"""Save and load a multi-state fit as one sealed file (a zip archive; nothing pickled).

Members: ``manifest.json`` (schema ``coalsurv.multistate/1``, transitions, clock, name, file
of each transition, the sojourn table's options, one sha256 per member and a seal over them),
``sojourns.csv`` (the canonical :class:`~coalsurv.data.transitions.TransitionData` table) and
one sealed coalsurv fit file (``coalsurv.fit/2`` NetCDF) per transition. :func:`load_multistate`
refuses another schema, a member whose digest differs (naming it) and a seal that does not
match; each transition's fit is then read by :func:`coalsurv.load_fit`, which checks its own seal.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from coalsurv._io import atomic_write_with
from coalsurv.data.transitions import TransitionData
from coalsurv.endings import parse_transition
from coalsurv.errors import FitFileError
from coalsurv.fit.multistate_fit import MultiStateFit
from coalsurv.fit.record import load_fit

__all__ = ["save_multistate", "load_multistate", "MULTISTATE_SCHEMA"]

MULTISTATE_SCHEMA = "coalsurv.multistate/1"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _seal(digests: dict[str, str]) -> str:
    return _sha(json.dumps(digests, sort_keys=True).encode())


def save_multistate(fit: MultiStateFit, path: str | Path) -> Path:
    """Write ``fit`` to ``path`` (suffix ``.zip`` recommended) atomically."""
    path = Path(path)
    members: dict[str, bytes] = {}
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (key, one) in enumerate(fit.fits.items()):
            name = f"transition_{k}.nc"
            one.save(Path(tmp) / name)
            members[name] = (Path(tmp) / name).read_bytes()
            files[key] = name
    members["sojourns.csv"] = fit.data.frame.to_csv(index=False, float_format="%.17g").encode()
    digests = {name: _sha(data) for name, data in members.items()}
    manifest = {
        "schema": MULTISTATE_SCHEMA, "transitions": [[k, v] for k, v in files.items()],
        "clock": fit.clock, "name": fit.name,
        "data": {"covariates": list(fit.data.covariate_names),
                 "groups": list(fit.data.group_names),
                 "censored": fit.data.censored_label, "time_unit": fit.data.time_unit,
                 "name": fit.data.name},
        "digests": digests, "seal": _seal(digests),
    }

    def write(target: Path) -> None:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
            for name, data in members.items():
                zf.writestr(name, data)

    atomic_write_with(path, write)
    return path


def load_multistate(path: str | Path) -> MultiStateFit:
    """Read a file written by :func:`save_multistate`, checking its schema, digests and seal.

    Raises
    ------
    FitFileError
        Missing or unreadable file, another schema, altered members (named), bad seal.
    """
    path = Path(path)
    if not path.is_file():
        raise FitFileError(f"multi-state fit file {str(path)!r} does not exist")
    try:
        with zipfile.ZipFile(path) as zf:
            members = {name: zf.read(name) for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise FitFileError(f"multi-state fit file {str(path)!r} cannot be read as a coalsurv "
                           f"multi-state fit ({exc})") from None
    try:
        manifest = json.loads(members.pop("manifest.json"))
    except (KeyError, ValueError):
        raise FitFileError(f"multi-state fit file {str(path)!r} has no readable "
                           "manifest.json") from None
    if manifest.get("schema") != MULTISTATE_SCHEMA:
        raise FitFileError(f"multi-state fit file {str(path)!r} has schema "
                           f"{manifest.get('schema')!r}; expected {MULTISTATE_SCHEMA!r}")
    digests = manifest.get("digests", {})
    altered = sorted(n for n in set(digests) | set(members)
                     if n not in members or _sha(members[n]) != digests.get(n))
    if altered or _seal(digests) != manifest.get("seal"):
        raise FitFileError(f"multi-state fit file {str(path)!r} was altered after saving: "
                           f"parts {altered or ['seal']} do not match their digests")
    meta = manifest["data"]
    frame = pd.read_csv(io.BytesIO(members["sojourns.csv"]),
                        dtype={c: str for c in ["id", "state", "to", *meta["groups"]]})
    data = TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to", entered="entered",
        censored=meta["censored"], covariates=meta["covariates"], groups=meta["groups"],
        time_unit=meta["time_unit"], name=meta["name"])
    fits = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, name in manifest["transitions"]:
            (Path(tmp) / name).write_bytes(members[name])
            fits[key] = load_fit(Path(tmp) / name)
    return MultiStateFit(fits=fits, transitions={k: parse_transition(k) for k in fits},
                         clock=manifest["clock"], data=data, name=manifest["name"])
