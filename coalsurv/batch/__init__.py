"""Many fits on Dask: ``fit_many``, simulation-based calibration, coverage, spec curves.

Modules: :mod:`~coalsurv.batch.cluster` (the Dask client, per-worker compile directories),
:mod:`~coalsurv.batch.task` (one fit on a worker), :mod:`~coalsurv.batch.many`
(:func:`fit_many`).
"""

from __future__ import annotations

from coalsurv.batch.calibration import Calibration
from coalsurv.batch.many import fit_many, read_batch
from coalsurv.batch.sbc import sbc

__all__ = ["fit_many", "read_batch", "sbc", "Calibration"]
