"""How the plan reads a free variable's prior from the built graph (the kernel's prior codes).

Each reader accepts exactly the form :mod:`coalsurv.build.graph` builds (distribution, constant
parameters, transform) and returns ``(code, p1, p2, p3)`` for the kernel's buffer, or the
reason it is refused. Hierarchical priors (random-walk steps, centred frailty levels) have
negative codes: their scale is another free variable, which the kernel reads itself.
"""

from __future__ import annotations

import numpy as np

__all__ = ["STEP_PRIOR", "CENTRED_PRIOR", "HIER_CODE", "ZEROSUM_CODE", "constant_value",
           "prior_of", "step_prior", "centred_prior", "hier_prior", "zerosum_prior",
           "positive_codes"]

_OPS = {"NormalRV": "Normal", "HalfNormalRV": "HalfNormal", "LogNormalRV": "LogNormal",
        "ExponentialRV": "Exponential", "GammaRV": "Gamma", "StudentTRV": "StudentT",
        "CauchyRV": "Cauchy", "HalfCauchyRV": "HalfCauchy"}
_N_PARAMS = {"Normal": 2, "HalfNormal": 2, "LogNormal": 2, "Exponential": 1, "Gamma": 2,
             "StudentT": 3, "Cauchy": 2, "HalfCauchy": 2}
_POSITIVE = {"HalfNormal", "LogNormal", "Exponential", "Gamma", "HalfCauchy"}


def constant_value(value) -> float | None:
    """Scalar value of a graph of constants only (e.g. ``1 / beta``), else None."""
    import pytensor.tensor as pt
    from pytensor.graph.basic import Constant
    from pytensor.graph.traversal import graph_inputs
    from pytensor.tensor.exceptions import NotScalarConstantError

    try:
        return float(pt.get_underlying_scalar_constant_value(value))
    except (NotScalarConstantError, TypeError, ValueError):
        pass
    if not all(isinstance(v, Constant) for v in graph_inputs([value])):
        return None
    result = np.asarray(value.eval(mode="FAST_COMPILE"))
    return float(result.reshape(-1)[0]) if result.size == 1 else None


def prior_of(model, rv) -> tuple[int, float, float, float] | str:
    """Prior code and constant parameters of a free variable, or the reason it is refused."""
    from coalsurv.backend.kernel import PRIOR_CODES

    dist = _OPS.get(type(rv.owner.op).__name__)
    if dist is None:
        return f"{rv.name}: prior {type(rv.owner.op).__name__} is not in the kernel"
    params = list(rv.owner.op.dist_params(rv.owner))
    if dist == "HalfCauchy" and len(params) == 1:  # PyMC's HalfCauchy(beta): loc 0
        params = [np.float64(0.0), *params]
    if len(params) != _N_PARAMS[dist]:
        return f"{rv.name}: {dist} with {len(params)} parameters"
    values = [constant_value(p) if not isinstance(p, np.floating) else float(p) for p in params]
    if any(v is None for v in values):
        return f"{rv.name}: {dist} parameters are not constants"
    transform = model.rvs_to_transforms.get(rv)
    name = type(transform).__name__ if transform is not None else None
    if name != ("LogTransform" if dist in _POSITIVE else None):
        return f"{rv.name}: transform {name} is not the one the kernel assumes"
    values += [0.0] * (3 - len(values))
    return (PRIOR_CODES[dist], *values)


#: Prior "code" of the random-walk steps: Normal(0, rw_sd) with ``rw_sd`` a free variable.
STEP_PRIOR = (-1, 0.0, 0.0, 0.0)
#: Prior "code" of centred frailty levels: Normal(0, sd_<g>) with ``sd_<g>`` a free variable.
CENTRED_PRIOR = (-2, 0.0, 0.0, 0.0)


#: Prior "code" of frailty levels centred on the intercept: Normal(intercept, sd_<g>); its
#: first parameter is the start of the levels (the intercept's start) for initial points.
HIER_CODE = -3


def _is_per_cause(value, variable) -> bool:
    """Whether ``value`` is ``variable[:, None]`` in the graph."""
    owner = value.owner
    return (owner is not None and type(owner.op).__name__ == "DimShuffle"
            and tuple(owner.op.new_order) == (0, "x") and owner.inputs[0] is variable)


def hier_prior(model, rv, group: str) -> tuple[int, float, float, float] | str:
    """Accept ``w_<g>`` only as ``Normal(intercept[:, None], sd_<g>[:, None])``."""
    if type(rv.owner.op).__name__ != "NormalRV" or model.rvs_to_transforms.get(rv) is not None:
        return f"{rv.name}: not an untransformed normal around the intercept"
    mu, sigma = rv.owner.op.dist_params(rv.owner)
    if not (_is_per_cause(mu, model["intercept"])
            and _is_per_cause(sigma, model[f"sd_{group}"])):
        return f"{rv.name}: not Normal(intercept, sd_{group}) per cause"
    return (HIER_CODE, 0.0, 0.0, 0.0)


def _zero_mean_normal(model, rv, scale: str, what: str, noun: str) -> str:
    """Empty when ``rv`` is ``Normal(0, <scale>[:, None])``, untransformed; else why not."""
    if type(rv.owner.op).__name__ != "NormalRV":
        return f"{rv.name}: prior {type(rv.owner.op).__name__} is not {what}"
    mu, sigma = rv.owner.op.dist_params(rv.owner)
    if constant_value(mu) != 0.0 or model.rvs_to_transforms.get(rv) is not None:
        return f"{rv.name}: not a zero-mean, untransformed {noun}"
    if not _is_per_cause(sigma, model[scale]):
        return f"{rv.name}: its SD is not {scale} per cause"
    return ""


def centred_prior(model, rv, group: str) -> tuple[int, float, float, float] | str:
    """Accept ``u_<g>`` only as ``Normal(0, sd_<g>[:, None])``, untransformed."""
    return _zero_mean_normal(model, rv, f"sd_{group}", "a centred frailty",
                             "frailty") or CENTRED_PRIOR


def step_prior(model, rv) -> tuple[int, float, float, float] | str:
    """Accept ``rw_step`` only as ``Normal(0, rw_sd[:, None])``, the kernel's random walk."""
    return _zero_mean_normal(model, rv, "rw_sd", "the kernel's random walk",
                             "random walk") or STEP_PRIOR


#: Prior "code" of the stratum deviations: ZeroSumNormal(sigma) over the last axis; p1 = sigma.
ZEROSUM_CODE = -4


def zerosum_prior(model, rv) -> tuple[int, float, float, float] | str:
    """Accept ``strata_dev`` only as ``ZeroSumNormal(sigma)`` over its last axis, sigma constant."""
    if type(rv.owner.op).__name__ != "ZeroSumNormalRV" or rv.owner.op.ndim_supp != 1:
        return f"{rv.name}: not a zero-sum normal over one axis"
    transform = model.rvs_to_transforms.get(rv)
    if (type(transform).__name__ != "ZeroSumTransform"
            or tuple(transform.zerosum_axes) != (-1,)):
        return f"{rv.name}: not sampled with PyMC's zero-sum transform over its last axis"
    sigma = constant_value(rv.owner.inputs[2])
    if sigma is None or not sigma > 0:
        return f"{rv.name}: its sigma is not a positive constant"
    return (ZEROSUM_CODE, sigma, 0.0, 0.0)


def positive_codes() -> set[int]:
    """Prior codes of positive (log-transformed) variables."""
    from coalsurv.backend.kernel import PRIOR_CODES

    return {PRIOR_CODES[d] for d in _POSITIVE}
