"""From a spec, priors and data to a PyMC model: design matrices, ModelInfo, the graph.

- :mod:`coalsurv.build.design`: standardised fixed effects and group indices;
- :mod:`coalsurv.build.info`: :class:`ModelInfo`, the plain record predictions need;
- :mod:`coalsurv.build.spells`: spell rows of time-varying covariates (model half);
- :mod:`coalsurv.build.graph`: :func:`build_model`, the only place that creates PyMC graphs.

Importing this package does not import PyMC; :func:`build_model` does, when called.
"""

from __future__ import annotations

from coalsurv.build.design import Design, GroupIndex, make_design
from coalsurv.build.graph import build_model
from coalsurv.build.info import ModelInfo, model_info, observed_arrays, var_name

__all__ = ["Design", "GroupIndex", "ModelInfo", "build_model", "make_design", "model_info",
           "observed_arrays", "var_name"]
