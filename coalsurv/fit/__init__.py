"""Fitting and its results: the models, the one place that samples, Fit, predictions, files.

- :mod:`coalsurv.fit.model`: :class:`SurvivalModel`, the user's entry point;
- :mod:`coalsurv.fit.record`: :class:`Fit`, a record of one fit with thin conveniences;
- :mod:`coalsurv.fit.tables`, :mod:`coalsurv.fit.predict`: posterior tables and predictions;
- :mod:`coalsurv.fit.identity`: the fit id (one checksum of a fit's contents);
- :mod:`coalsurv.fit.fitfile`: save and load fits as one NetCDF file;
- :mod:`coalsurv.fit.prior_predictive`: what a prior set implies in human units;
- :mod:`coalsurv.fit.sensitivity`: power-scaling sensitivity to prior and likelihood;
- :mod:`coalsurv.fit.replication`: replication metrics (coverage, overlap, Bayes factor).
"""

from __future__ import annotations

__all__ = ["Fit", "SurvivalModel", "load_fit"]


def __getattr__(name: str):
    """Import the public names on first use (keeps ``import coalsurv.fit`` light)."""
    if name == "SurvivalModel":
        from coalsurv.fit.model import SurvivalModel

        return SurvivalModel
    if name == "Fit":
        from coalsurv.fit.record import Fit

        return Fit
    if name == "load_fit":
        from coalsurv.fit.record import load_fit

        return load_fit
    raise AttributeError(f"module 'coalsurv.fit' has no attribute {name!r}")
