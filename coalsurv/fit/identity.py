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

__all__ = ["fit_id", "FitIdInBackground", "dataset_digest", "record_digest", "seal"]


def fit_id(data_hash: str, posterior: Any) -> str:
    """Short hex id of a fit: sha256 over the data hash and every posterior array.

    Parameters
    ----------
    data_hash : str
        :meth:`CoalitionData.data_hash` of the fitted data.
    posterior : xarray.Dataset, DataTree node or dict of str to array
        The posterior group (variables hashed in name order).
    """
    h = hashlib.sha256()
    h.update(data_hash.encode())
    for values in _arrays(posterior).values():
        # the array's own buffer (its bytes, as tobytes() gave them, without that copy)
        h.update(np.ascontiguousarray(values))
    return h.hexdigest()[:16]


def _arrays(posterior: Any) -> dict[str, np.ndarray]:
    """Return the posterior's arrays in name order (a DataTree node viewed as a Dataset once).

    A dict of arrays (name to array) is taken as it is.
    """
    if isinstance(posterior, dict):
        return {name: posterior[name] for name in sorted(posterior)}
    ds = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    return {name: ds.variables[name].values for name in sorted(ds.data_vars)}


class FitIdInBackground:
    """The data hash and :func:`fit_id` of a fit, computed on a second thread meanwhile.

    The posterior's arrays are final once NUTS's draws are converted; the pointwise log
    likelihood, log prior and convergence checks that follow (single-threaded, but for the
    pointwise loop) leave a core free, and sha256 releases the GIL on large buffers: a warm
    mm() refit's 30 MB of draws and its members table cost 40-100 ms of CPU in the main
    thread before. :meth:`start` is the ``on_draws`` hook of
    :func:`coalsurv.backend.sampling.sample`: it starts the thread, which computes
    ``data_hash()`` and then the fit id. :meth:`data_hash_value` and :meth:`result` join it;
    the id is the thread's only when the final posterior holds the very arrays hashed, else
    (and when the hook was not called) both are computed in the caller's thread.

    Parameters
    ----------
    data_hash : callable
        Returns the data hash (:meth:`CoalitionData.data_hash` of the fitted data).
    """

    def __init__(self, data_hash):
        self._data_hash = data_hash
        self._arrays: dict[str, Any] | None = None
        self._thread = None
        self._out: dict[str, Any] = {}

    def start(self, posterior: Any) -> None:
        """Hash the data and ``posterior`` (a Dataset or DataTree node) on a new thread."""
        import threading

        self._arrays = _arrays(posterior)

        def work():
            try:
                self._out["data_hash"] = self._data_hash()
                self._out["fit_id"] = fit_id(self._out["data_hash"], self._arrays)
            except BaseException as err:  # re-raised by the caller's join
                self._out["error"] = err

        self._thread = threading.Thread(target=work, name="coalsurv-fit-id", daemon=True)
        self._thread.start()

    def _join(self) -> bool:
        """Wait for the thread; whether it ran (its error, if any, raised here)."""
        if self._thread is None:
            return False
        self._thread.join()
        if "error" in self._out:
            raise self._out["error"]
        return True

    def data_hash_value(self) -> str:
        """Return the data hash (the thread's, or computed now)."""
        if not self._join():
            self._out.setdefault("data_hash", self._data_hash())
        return self._out["data_hash"]

    def result(self, posterior: Any) -> str:
        """Return the fit id of ``posterior`` (the fit's final posterior group)."""
        data_hash = self.data_hash_value()
        if self._thread is None:
            return fit_id(data_hash, posterior)
        final = _arrays(posterior)
        same = final.keys() == self._arrays.keys() and all(
            final[n] is a for n, a in self._arrays.items())
        return self._out["fit_id"] if same else fit_id(data_hash, posterior)


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
