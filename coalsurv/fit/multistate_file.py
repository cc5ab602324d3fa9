"""Save and load a multi-state fit as one sealed file (a zip archive; nothing pickled).

Members: ``manifest.json`` (schema ``coalsurv.multistate/3``, transitions, clock, name, file
of each transition, the sojourn table's options, ``joint`` (the
:class:`~coalsurv.fit.multistate_joint.JointLayout` of a joint fit, else null), one digest per
part and a seal over them), ``sojourns.csv`` (the canonical
:class:`~coalsurv.data.transitions.TransitionData` table) and one sealed coalsurv fit file
(``coalsurv.fit/2`` NetCDF) per transition, or one ``joint.nc`` every transition is filed
under for a joint fit (its data must be the stacked rows rebuilt from ``sojourns.csv``).
``coalsurv.multistate/2`` files (separate fits only, no ``joint`` field) still load.

The parts sealed together (:func:`coalsurv.fit.identity.seal`) are every member file *and
every manifest field* (``manifest.clock``, ``manifest.transitions``,
``manifest.data.time_unit``, ...): an edit of the clock, of the transition each file is filed
under or of the time unit is refused like an edited member, naming the part. On top of the
seal, each transition's fit is read by :func:`coalsurv.load_fit` (which checks its own seal)
and must be the fit of the transition it is filed under: its modelled target, its time unit
and its data (the episodes rebuilt from ``sojourns.csv`` under the manifest's clock) must
match. :func:`load_multistate` refuses another schema (``coalsurv.multistate/1`` files did not
seal the manifest: save them again from the fit).
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
from coalsurv.data.transitions import CLOCKS, TransitionData
from coalsurv.endings import parse_transition
from coalsurv.errors import CoalsurvError, FitFileError
from coalsurv.fit.identity import record_digest, seal
from coalsurv.fit.multistate_fit import MultiStateFit
from coalsurv.fit.multistate_joint import JOINT_CAUSE, TRANSITION_COLUMN, JointLayout
from coalsurv.fit.record import load_fit

__all__ = ["save_multistate", "load_multistate", "MULTISTATE_SCHEMA"]

MULTISTATE_SCHEMA = "coalsurv.multistate/3"
_OLDER = ("coalsurv.multistate/1",)
#: Older schemas read as they are (their manifest has no ``joint`` field: separate fits).
_READABLE = (MULTISTATE_SCHEMA, "coalsurv.multistate/2")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _id_kind(ids: pd.Series) -> str:
    """How the sojourn table's ids are read back: "int", "float" or "str"."""
    if pd.api.types.is_integer_dtype(ids.dtype):
        return "int"
    return "float" if pd.api.types.is_float_dtype(ids.dtype) else "str"


def _field_digests(manifest: dict) -> dict[str, str]:
    """One digest per manifest field (``manifest.data.*`` per data option), seal excluded."""
    out = {}
    for key, value in manifest.items():
        if key in ("digests", "seal"):
            continue
        if key == "data" and isinstance(value, dict):
            for sub, v in value.items():
                out[f"manifest.data.{sub}"] = record_digest(json.dumps(v, sort_keys=True))
        else:
            out[f"manifest.{key}"] = record_digest(json.dumps(value, sort_keys=True))
    return out


def save_multistate(fit: MultiStateFit, path: str | Path) -> Path:
    """Write ``fit`` to ``path`` (suffix ``.zip`` recommended) atomically."""
    path = Path(path)
    members: dict[str, bytes] = {}
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        if fit.is_joint:
            fit.joint.save(Path(tmp) / "joint.nc")
            members["joint.nc"] = (Path(tmp) / "joint.nc").read_bytes()
            files = dict.fromkeys(fit.transitions, "joint.nc")
        for k, (key, one) in enumerate(fit.fits.items()):
            name = f"transition_{k}.nc"
            one.save(Path(tmp) / name)
            members[name] = (Path(tmp) / name).read_bytes()
            files[key] = name
    members["sojourns.csv"] = fit.data.frame.to_csv(index=False, float_format="%.17g").encode()
    if fit.data.members is not None:  # the units' members (mm() terms)
        members["members.csv"] = fit.data.members.to_csv(index=False,
                                                         float_format="%.17g").encode()
    manifest = {
        "schema": MULTISTATE_SCHEMA, "transitions": [[k, v] for k, v in files.items()],
        "clock": fit.clock, "name": fit.name,
        "joint": fit.layout.to_dict() if fit.is_joint else None,
        "data": {"covariates": list(fit.data.covariate_names),
                 "groups": list(fit.data.group_names),
                 "censored": fit.data.censored_label, "time_unit": fit.data.time_unit,
                 "name": fit.data.name, "id_kind": _id_kind(fit.data.frame["id"])},
    }
    digests = {name: _sha(data) for name, data in members.items()}
    digests.update(_field_digests(manifest))
    manifest.update(digests=digests, seal=seal(digests))

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
        Missing or unreadable file, another schema, altered parts (named: a member file or a
        manifest field), bad seal, or a transition's fit that is not the fit of the
        transition it is filed under.
    """
    path = Path(path)
    where = f"multi-state fit file {str(path)!r}"
    if not path.is_file():
        raise FitFileError(f"{where} does not exist")
    try:
        with zipfile.ZipFile(path) as zf:
            members = {name: zf.read(name) for name in zf.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise FitFileError(f"{where} cannot be read as a coalsurv multi-state fit "
                           f"({exc})") from None
    try:
        manifest = json.loads(members.pop("manifest.json"))
        if not isinstance(manifest, dict):
            raise ValueError
    except (KeyError, ValueError):
        raise FitFileError(f"{where} has no readable manifest.json") from None
    schema = manifest.get("schema")
    if schema not in _READABLE:
        hint = (" (an older file whose manifest was not sealed: load its transitions' fits "
                "and save the multi-state fit again)" if schema in _OLDER else "")
        raise FitFileError(f"{where} has schema {schema!r}; expected "
                           f"{MULTISTATE_SCHEMA!r}{hint}")
    digests = manifest.get("digests")
    if not isinstance(digests, dict):
        raise FitFileError(f"{where}: manifest.json has no digests")
    found = {name: _sha(data) for name, data in members.items()}
    found.update(_field_digests(manifest))
    altered = sorted(n for n in set(digests) | set(found) if found.get(n) != digests.get(n))
    if altered or seal(digests) != manifest.get("seal"):
        raise FitFileError(f"{where} was altered after saving: parts {altered or ['seal']} "
                           "do not match their digests (edited, added or removed)")
    try:
        return _assemble(manifest, members, where)
    except FitFileError:
        raise
    except (CoalsurvError, KeyError, TypeError, ValueError) as exc:
        raise FitFileError(f"{where} does not hold a consistent multi-state fit ({exc})") from None


def _assemble(manifest: dict, members: dict[str, bytes], where: str) -> MultiStateFit:
    """Rebuild the fit; each transition's fit must be the one of the key it is filed under."""
    meta, clock = manifest["data"], manifest["clock"]
    if clock not in CLOCKS:
        raise FitFileError(f"{where}: manifest.clock={clock!r}; expected one of {CLOCKS}")
    # ids keep their kind: sorted as numbers or as text, the sojourns keep their order, so
    # the episodes rebuilt below are the ones each transition was fitted to
    kinds = {"int": "int64", "float": "float64", "str": str}
    frame = pd.read_csv(io.BytesIO(members["sojourns.csv"]), float_precision="round_trip",
                        dtype={"id": kinds[meta["id_kind"]],
                               **{c: str for c in ["state", "to", *meta["groups"]]}})
    units = (pd.read_csv(io.BytesIO(members["members.csv"]), float_precision="round_trip",
                         dtype={"id": kinds[meta["id_kind"]]})
             if "members.csv" in members else None)
    data = TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to", entered="entered",
        censored=meta["censored"], covariates=meta["covariates"], groups=meta["groups"],
        time_unit=meta["time_unit"], name=meta["name"], members=units)
    if manifest.get("joint") is not None:
        return _assemble_joint(manifest, members, where, data)
    fits, problems = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for key, name in manifest["transitions"]:
            (Path(tmp) / name).write_bytes(members[name])
            fits[key] = one = load_fit(Path(tmp) / name)
            t = parse_transition(key)
            filed = f"the fit filed under {key!r} ({name})"
            if tuple(one.info.causes) != (t.target,):
                problems.append(f"{filed} models entering {list(one.info.causes)}, not "
                                f"{t.target!r}")
                continue
            if one.info.time_unit != data.time_unit:
                problems.append(f"{filed} is in {one.info.time_unit}, the sojourns in "
                                f"{data.time_unit} (manifest.data.time_unit)")
                continue
            episodes = data.episodes(t.source, t.target, clock=clock, columns=[
                *one.data.covariate_names, *one.data.group_names])
            if episodes.data_hash() != one.data_hash:
                problems.append(f"{filed} was not fitted to the sojourns in {t.source!r} of "
                                f"sojourns.csv under clock={clock!r}")
    if problems:
        raise FitFileError(f"{where}: transitions' fits do not match the transitions they are "
                           "filed under", problems)
    return MultiStateFit(fits=fits, transitions={k: parse_transition(k) for k in fits},
                         clock=clock, data=data, name=manifest["name"])


def _assemble_joint(manifest: dict, members: dict[str, bytes], where: str,
                    data: TransitionData) -> MultiStateFit:
    """Rebuild a joint fit: ``joint.nc`` must be fitted to the stacked rows of the sojourns."""
    layout = JointLayout.from_dict(manifest["joint"])
    keys = [key for key, _ in manifest["transitions"]]
    files = {name for _, name in manifest["transitions"]}
    if list(layout.keys) != keys or files != {"joint.nc"}:
        raise FitFileError(f"{where}: manifest.joint names the transitions {list(layout.keys)}, "
                           f"manifest.transitions {keys} filed under {sorted(files)}; a joint "
                           "fit files every transition under joint.nc")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "joint.nc").write_bytes(members["joint.nc"])
        joint = load_fit(Path(tmp) / "joint.nc")
    clock = manifest["clock"]
    problems = []
    if tuple(joint.info.causes) != (JOINT_CAUSE,) or joint.info.strata != TRANSITION_COLUMN:
        problems.append(f"joint.nc models {list(joint.info.causes)} stratified by "
                        f"{joint.info.strata!r}, not the stacked transitions")
    elif joint.info.time_unit != data.time_unit:
        problems.append(f"joint.nc is in {joint.info.time_unit}, the sojourns in "
                        f"{data.time_unit} (manifest.data.time_unit)")
    elif layout.stack(data, clock).data_hash() != joint.data_hash:
        problems.append(f"joint.nc was not fitted to the stacked sojourns of sojourns.csv "
                        f"under clock={clock!r}")
    if problems:
        raise FitFileError(f"{where}: the joint fit does not match its transitions", problems)
    return MultiStateFit(fits={}, transitions={k: parse_transition(k) for k in keys},
                         clock=clock, data=data, name=manifest["name"], joint=joint,
                         layout=layout)
