"""Many fits on Dask: ``fit_many``, simulation-based calibration, coverage, spec curves.

Modules: :mod:`~coalsurv.batch.cluster` (the Dask client, per-worker compile directories),
:mod:`~coalsurv.batch.task` (one fit on a worker), :mod:`~coalsurv.batch.many`
(:func:`fit_many`), :mod:`~coalsurv.batch.simulate` (data from a model's prior),
:mod:`~coalsurv.batch.quantities` (the checked scalars), :mod:`~coalsurv.batch.sbc`
(:func:`sbc`), :mod:`~coalsurv.batch.paths` and :mod:`~coalsurv.batch.sbc_multistate` (the
calibration of a multi-state model from whole simulated paths, reached through :func:`sbc`),
:mod:`~coalsurv.batch.calibration` (ranks, uniformity, coverage),
:mod:`~coalsurv.batch.speccurve` (:func:`spec_curve`), :mod:`~coalsurv.batch.validate`
(``make validate``).
"""

from __future__ import annotations

from coalsurv.batch.calibration import Calibration
from coalsurv.batch.many import fit_many, read_batch
from coalsurv.batch.sbc import sbc
from coalsurv.batch.speccurve import spec_curve


def coverage(result: Calibration, *, probs=(0.5, 0.9)):
    """Interval coverage of a calibration run (:meth:`Calibration.coverage`).

    Parameters
    ----------
    result : Calibration
        Returned by :func:`sbc`: the truths are the prior draws of each simulation.
    probs : tuple of float
        Central interval masses (0.5 and/or 0.9).
    """
    from coalsurv.errors import ArgumentError

    if not isinstance(result, Calibration):
        raise ArgumentError(f"coverage: expected the Calibration returned by sbc(), got "
                            f"{type(result).__name__}")
    bad = [p for p in probs if p not in (0.5, 0.9)]
    if bad:
        raise ArgumentError(f"probs: 0.5 and 0.9 are stored per simulation, not {bad}")
    return result.coverage(probs)


__all__ = ["fit_many", "read_batch", "sbc", "coverage", "spec_curve", "Calibration"]
