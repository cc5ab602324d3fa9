"""The fit id and the seal of a fit file.

The fit id identifies a fit by its data and posterior: computed when a fit is made, stored in
its file, and recomputed when the file is loaded. The seal covers the whole file: one digest
per part (every stored group, every JSON record), and one checksum over those digests, so a
file changed after saving is refused with the names of the parts that differ.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

__all__ = ["fit_id", "dataset_digest", "record_digest", "seal"]


def fit_id(data_hash: str, posterior: Any) -> str:
    """Short hex id of a fit: sha256 over the data hash and every posterior array.

    Parameters
    ----------
    data_hash : str
        :meth:`CoalitionData.data_hash` of the fitted data.
    posterior : xarray.Dataset
        The posterior group (variables hashed in name order).
    """
    h = hashlib.sha256()
    h.update(data_hash.encode())
    for name in sorted(posterior.data_vars):
        h.update(np.ascontiguousarray(posterior[name].values).tobytes())
    return h.hexdigest()[:16]


def _array_bytes(values: np.ndarray) -> bytes:
    """Canonical bytes of an array: numbers and flags as float64, anything else as text."""
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return np.ascontiguousarray(values, dtype=np.float64).tobytes()
    if values.dtype.kind in "mM":
        return np.ascontiguousarray(values.astype("int64")).tobytes()
    return "\x00".join(str(v) for v in values.ravel().tolist()).encode("utf-8", "replace")


def dataset_digest(ds: Any) -> str:
    """Digest of one stored group: its variables, coordinates and text attributes.

    Every variable and coordinate (name, dims, shape, values) in name order, so that the
    digest is the same before writing and after reading the file.
    """
    h = hashlib.sha256()
    for name in sorted(str(n) for n in ds.variables):
        var = ds.variables[name]
        h.update(f"{name}|{tuple(var.dims)}|{var.shape}|".encode())
        h.update(_array_bytes(var.values))
    for key in sorted(k for k, v in ds.attrs.items() if isinstance(v, str)):
        h.update(f"@{key}={ds.attrs[key]}".encode())
    return h.hexdigest()


def record_digest(text: str) -> str:
    """Digest of one JSON (or text) record of a fit file, as stored."""
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def seal(digests: dict[str, str]) -> str:
    """One checksum over the part digests (part names included, in name order)."""
    h = hashlib.sha256()
    for part in sorted(digests):
        h.update(f"{part}={digests[part]};".encode())
    return h.hexdigest()
