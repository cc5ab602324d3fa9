"""A joint prior over several coefficients: one multivariate normal per original unit.

:class:`JointPrior` is the prior kind that :meth:`PriorSet.from_fit` writes with
``joint=True``: the coefficients of a previous study (per **original unit** of each covariate,
so the new study's standardisation does not matter) as one multivariate normal with mean
vector ``mu`` and covariance ``cov`` over the named ``terms``, keeping their posterior
correlations. It is keyed ``beta_unit[*]`` (every cause) or ``beta_unit[cause:*]`` (one cause)
in a :class:`~coalsurv.PriorSet`, and saved with the explicit type tag ``dist = "MvNormal"``::

    [priors."beta_unit[*]"]
    dist = "MvNormal"
    terms = ["power_hhi", "n_parties"]
    mu = [0.8, 0.1]
    cov = [[0.04, 0.01], [0.01, 0.02]]

The builder converts it to the model's per-SD scale with the new data's SDs
``D = diag(sd_j)``: ``beta_sd ~ MvNormal(D mu, D cov D)`` (:meth:`JointPrior.scaled`).
When the intercept is carried (``include_intercept=True``) it joins the joint prior as the
term ``(intercept)`` at raw covariates zero, so the builder can re-centre it exactly at the new
data's means (``intercept = a + sum_j mean_j b_j``, a linear map of the multivariate normal).
Dropping terms (:meth:`JointPrior.marginal`) is exact: a multivariate normal's marginal keeps
the rows and columns of the kept terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from coalsurv.errors import PriorError

__all__ = ["JointPrior", "JOINT_DIST", "INTERCEPT_TERM", "is_joint_key"]

#: Type tag of the joint prior in prior files.
JOINT_DIST = "MvNormal"
#: Term name of the carried intercept inside a joint prior: the log baseline (PH) or log time
#: (AFT) at raw covariates zero, on the original study's internal time scale.
INTERCEPT_TERM = "(intercept)"


def is_joint_key(key: str) -> bool:
    """Whether ``key`` names a joint coefficient prior (``beta_unit[*]``, ``beta_unit[c:*]``)."""
    return key == "beta_unit[*]" or (key.startswith("beta_unit[") and key.endswith(":*]"))


@dataclass(frozen=True)
class JointPrior:
    """Multivariate normal prior over named coefficients (per original unit).

    Parameters
    ----------
    terms : sequence of str
        Design terms, in the order of ``mu`` and ``cov``.
    mu : sequence of float
        Mean vector.
    cov : sequence of sequence of float
        Covariance matrix (symmetric, positive definite).
    """

    terms: tuple[str, ...]
    mu: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...]

    def __init__(self, terms, mu, cov):
        object.__setattr__(self, "terms", tuple(str(t) for t in terms))
        object.__setattr__(self, "mu", tuple(_number(v, "mu") for v in mu))
        object.__setattr__(self, "cov", tuple(tuple(_number(v, "cov") for v in row)
                                              for row in cov))
        self.validate("beta_unit[*]")

    @property
    def dist(self) -> str:
        """The type tag, ``"MvNormal"``."""
        return JOINT_DIST

    @property
    def support(self) -> str:
        """"real"."""
        return "real"

    @property
    def params(self) -> dict[str, Any]:
        """Parameters as a dict (``terms``, ``mu``, ``cov``), like :attr:`Prior.params`."""
        return {"terms": list(self.terms), "mu": list(self.mu),
                "cov": [list(r) for r in self.cov]}

    def validate(self, key: str) -> None:
        """Check shapes, symmetry and positive definiteness; raise PriorError naming ``key``."""
        p = len(self.terms)
        problems = []
        if p == 0:
            problems.append("terms is empty")
        if len(set(self.terms)) != p:
            problems.append(f"terms repeat: {list(self.terms)}")
        if len(self.mu) != p:
            problems.append(f"mu has {len(self.mu)} values for {p} terms")
        if len(self.cov) != p or any(len(r) != p for r in self.cov):
            problems.append(f"cov must be {p} x {p}")
        if not problems:
            cov = np.asarray(self.cov, dtype=float)
            if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-14):
                problems.append("cov is not symmetric")
            else:
                try:
                    np.linalg.cholesky(cov)
                except np.linalg.LinAlgError:
                    problems.append("cov is not positive definite")
        if problems:
            raise PriorError(f"prior {key!r}: MvNormal: " + "; ".join(problems),
                             problems=[f"{key}: {p}" for p in problems])

    @property
    def sds(self) -> np.ndarray:
        """Marginal standard deviations."""
        return np.sqrt(np.diag(np.asarray(self.cov, dtype=float)))

    def correlation(self) -> np.ndarray:
        """Correlation matrix."""
        s = self.sds
        return np.asarray(self.cov, dtype=float) / np.outer(s, s)

    def scaled(self, factors) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of ``D beta`` with ``D = diag(factors)`` (per unit → per SD)."""
        d = np.asarray(factors, dtype=float)
        return d * np.asarray(self.mu), np.asarray(self.cov) * np.outer(d, d)

    def marginal(self, terms) -> JointPrior:
        """Return the joint prior of a subset of ``terms`` (exact: keep their rows and columns)."""
        terms = list(terms)
        unknown = [t for t in terms if t not in self.terms]
        if unknown:
            raise PriorError(f"prior 'beta_unit[*]': unknown term(s) {unknown}; it has "
                             f"{list(self.terms)}")
        idx = [self.terms.index(t) for t in terms]
        cov = np.asarray(self.cov)[np.ix_(idx, idx)]
        return JointPrior(terms, [self.mu[i] for i in idx], cov.tolist())

    def to_dict(self) -> dict[str, Any]:
        """``{"dist": "MvNormal", "terms": [...], "mu": [...], "cov": [[...]]}``."""
        return {"dist": JOINT_DIST, **self.params}

    @classmethod
    def from_dict(cls, data: Any, *, key: str = "beta_unit[*]") -> JointPrior:
        """Rebuild from :meth:`to_dict` output, naming ``key`` in errors."""
        if not isinstance(data, dict) or data.get("dist") != JOINT_DIST:
            raise PriorError(f"prior {key!r}: expected a table with dist = {JOINT_DIST!r}")
        extra = sorted(set(data) - {"dist", "terms", "mu", "cov"})
        missing = sorted({"terms", "mu", "cov"} - set(data))
        if extra or missing:
            raise PriorError(f"prior {key!r}: MvNormal takes terms, mu, cov; "
                             + (f"missing {missing}" if missing else "")
                             + ("; " if missing and extra else "")
                             + (f"unexpected {extra}" if extra else ""))
        try:
            return cls(data["terms"], data["mu"], data["cov"])
        except PriorError as exc:
            raise PriorError(str(exc).replace("'beta_unit[*]'", repr(key))) from None
        except TypeError:
            raise PriorError(f"prior {key!r}: terms, mu and cov must be lists") from None

    def __str__(self) -> str:
        s = self.sds
        parts = ", ".join(f"{t}: {m:.4g} ± {v:.3g}" for t, m, v in zip(self.terms, self.mu, s,
                                                                         strict=True))
        return f"MvNormal({parts}; correlations kept)"


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PriorError(f"prior 'beta_unit[*]': {name} value {value!r} is not a number")
    if not math.isfinite(value):
        raise PriorError(f"prior 'beta_unit[*]': {name} value {value!r} is not finite")
    return float(value)
