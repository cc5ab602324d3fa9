"""The fit id: one checksum that identifies a fit by its data and posterior.

Computed when a fit is made, stored in its file, and recomputed when the file is loaded; a
file whose posterior or data were changed after saving no longer matches its id.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

__all__ = ["fit_id"]


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
