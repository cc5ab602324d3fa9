"""A joint prior that is a mixture of multivariate normals, and the fit of one to draws.

A multivariate normal cannot carry a posterior that is skewed or whose spread in one parameter
depends on another — the funnel between a coefficient that only varies between groups and the
groups' frailty SD is the common case in coalition data (King et al. 1990: investiture is
constant within each country). :class:`JointMixture` is the same joint prior with ``K``
weighted components; :func:`fit_gaussian_mixture` fits one to posterior draws by EM and picks
``K`` by BIC. In prior files it carries the type tag ``dist = "MvNormalMixture"``::

    [priors."beta_unit[*]"]
    dist = "MvNormalMixture"
    terms = ["invest", "log(sd[country])"]
    weights = [0.6, 0.4]
    mu = [[0.5, -1.0], [0.4, -2.2]]
    cov = [[[0.04, 0.0], [0.0, 0.1]], [[0.01, 0.0], [0.0, 0.3]]]

A discount ``a0`` divides every component's covariance by ``a0`` and keeps the weights (for
one component this is the power prior exactly; for several it tempers each component, an
approximation of ``p(theta | A)^a0`` stated as such). :attr:`JointMixture.mu` and
:attr:`JointMixture.cov` are the mixture's overall mean and covariance, so code that needs
one normal summary (replication metrics, tables) reads the moments; the builder samples the
mixture itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coalsurv.errors import PriorError
from coalsurv.spec.joint import JointPrior

__all__ = ["JointMixture", "MIXTURE_DIST", "fit_gaussian_mixture"]

#: Type tag of the mixture joint prior in prior files.
MIXTURE_DIST = "MvNormalMixture"


class JointMixture(JointPrior):
    """Mixture of multivariate normals over named parameters (per original unit).

    Parameters
    ----------
    terms : sequence of str
        Names, in the order of every component's mean and covariance.
    weights : sequence of float
        Component weights (positive, summing to one).
    mus : sequence of sequence of float
        One mean vector per component.
    covs : sequence of matrices
        One covariance matrix per component.
    """

    def __init__(self, terms, weights, mus, covs):
        key = "beta_unit[*]"
        w = np.asarray([_real(v, key, "weights") for v in weights], dtype=float)
        if w.size == 0 or len(mus) != w.size or len(covs) != w.size:
            raise PriorError(f"prior {key!r}: {MIXTURE_DIST}: weights, mu and cov need one "
                             f"entry per component (got {w.size}, {len(mus)}, {len(covs)})")
        if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-6:
            raise PriorError(f"prior {key!r}: {MIXTURE_DIST}: weights must be positive and sum "
                             f"to 1, got {w.tolist()}")
        components = [JointPrior(terms, m, c) for m, c in zip(mus, covs, strict=True)]
        means = np.array([c.mu for c in components])
        total = (w @ means)
        spread = sum(wk * (np.asarray(c.cov) + np.outer(m - total, m - total))
                     for wk, c, m in zip(w, components, means, strict=True))
        super().__init__(terms, total.tolist(), ((spread + spread.T) / 2).tolist())
        object.__setattr__(self, "weights", tuple(float(v) for v in w))  # as given: exact files
        object.__setattr__(self, "components", tuple(components))

    @property
    def dist(self) -> str:
        """The type tag, ``"MvNormalMixture"``."""
        return MIXTURE_DIST

    @property
    def params(self) -> dict[str, Any]:
        """``terms``, ``weights``, ``mu`` (one vector per component), ``cov`` (one matrix each)."""
        return {"terms": list(self.terms), "weights": list(self.weights),
                "mu": [list(c.mu) for c in self.components],
                "cov": [[list(r) for r in c.cov] for c in self.components]}

    def marginal(self, terms) -> JointMixture:
        """Return the mixture over a subset of ``terms`` (exact: each component's marginal)."""
        parts = [c.marginal(terms) for c in self.components]
        return JointMixture(list(terms), self.weights, [p.mu for p in parts],
                            [p.cov for p in parts])

    def to_dict(self) -> dict[str, Any]:
        """``{"dist": "MvNormalMixture", "terms", "weights", "mu", "cov"}``."""
        return {"dist": MIXTURE_DIST, **self.params}

    @classmethod
    def from_dict(cls, data: Any, *, key: str = "beta_unit[*]") -> JointMixture:
        """Rebuild from :meth:`to_dict` output, naming ``key`` in errors."""
        if not isinstance(data, dict) or data.get("dist") != MIXTURE_DIST:
            raise PriorError(f"prior {key!r}: expected a table with dist = {MIXTURE_DIST!r}")
        wanted = {"terms", "weights", "mu", "cov"}
        extra, missing = sorted(set(data) - wanted - {"dist"}), sorted(wanted - set(data))
        if extra or missing:
            raise PriorError(f"prior {key!r}: {MIXTURE_DIST} takes terms, weights, mu, cov; "
                             + "; ".join(filter(None, [missing and f"missing {missing}",
                                                       extra and f"unexpected {extra}"])))
        if not all(isinstance(data[k], list) for k in wanted):
            raise PriorError(f"prior {key!r}: terms, weights, mu and cov must be lists")
        try:
            return cls(data["terms"], data["weights"], data["mu"], data["cov"])
        except PriorError as exc:
            raise PriorError(str(exc).replace("'beta_unit[*]'", repr(key))) from None
        except TypeError:
            raise PriorError(f"prior {key!r}: mu must be a list of vectors and cov a list of "
                             "matrices, one per component") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JointMixture) and self.params == other.params

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        s = self.sds
        parts = ", ".join(f"{t}: {m:.4g} ± {v:.3g}" for t, m, v in zip(self.terms, self.mu, s,
                                                                         strict=True))
        return (f"MvNormalMixture({len(self.weights)} components; overall {parts}; "
                "correlations kept)")


def _real(value: Any, key: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise PriorError(f"prior {key!r}: {name} value {value!r} is not a finite number")
    return float(value)


def fit_gaussian_mixture(values: np.ndarray, *, components: int | str = "auto",
                         max_components: int = 4, seed: int = 0, iterations: int = 300
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit a Gaussian mixture to draws by EM; ``K`` given or chosen by BIC.

    Written here (no scikit-learn dependency) because it is small: k-means++ starts from a
    seeded generator (so the same draws and seed give the same mixture), full covariances with
    a ridge of 1e-6 of each column's variance, stop when the log-likelihood gains < 1e-8 per
    draw.

    Parameters
    ----------
    values : ndarray (n, p)
        Draws (rows) of ``p`` parameters.
    components : int or "auto"
        ``K``, or ``"auto"``: the ``K`` in 1 .. ``max_components`` with the smallest BIC.
    max_components : int
        Largest ``K`` tried by ``"auto"``.
    seed : int
        Seed of the k-means++ initialisation.
    iterations : int
        Largest number of EM steps per ``K``.

    Returns
    -------
    weights : ndarray (K,)
    means : ndarray (K, p)
    covs : ndarray (K, p, p)
    """
    x = np.asarray(values, dtype=float)
    n, p = x.shape
    ridge = 1e-6 * np.var(x, axis=0).clip(min=1e-300)
    if components == "auto":  # as many components as the draws can support, at least one
        candidates = [k for k in range(1, max_components + 1) if n >= 20 * k * p] or [1]
    elif isinstance(components, int) and not isinstance(components, bool) and components >= 1:
        candidates = [components]
    else:
        raise PriorError(f"components must be a positive integer or 'auto', got {components!r}")
    if candidates != [1] and n < 20 * min(candidates) * p:
        raise PriorError(f"{n} draws are too few for a mixture of {min(candidates)} "
                         f"components over {p} parameters (need {20 * min(candidates) * p})")
    best, best_bic = None, np.inf
    for k in candidates:
        weights, means, covs, loglik = _em(x, k, ridge, np.random.default_rng(seed), iterations)
        n_params = (k - 1) + k * p + k * p * (p + 1) / 2
        bic = -2.0 * loglik + n_params * np.log(n)
        if bic < best_bic:
            best, best_bic = (weights, means, covs), bic
    return best


def _em(x, k, ridge, rng, iterations):
    n, p = x.shape
    centres = [x[rng.integers(n)]]
    for _ in range(1, k):  # k-means++ seeding
        d2 = np.min([np.sum((x - c) ** 2, axis=1) for c in centres], axis=0)
        centres.append(x[rng.choice(n, p=d2 / d2.sum())])
    means = np.array(centres)
    covs = np.array([np.cov(x, rowvar=False).reshape(p, p) + np.diag(ridge)] * k)
    weights = np.full(k, 1.0 / k)
    previous = -np.inf
    for _ in range(iterations):
        logp = np.column_stack([np.log(weights[j]) + _mvn_logpdf(x, means[j], covs[j])
                                for j in range(k)])
        top = logp.max(axis=1, keepdims=True)
        total = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
        resp = np.exp(logp - total[:, None])
        nk = resp.sum(axis=0).clip(min=1e-12)
        weights = nk / n
        means = (resp.T @ x) / nk[:, None]
        for j in range(k):
            d = x - means[j]
            covs[j] = (resp[:, j, None] * d).T @ d / nk[j] + np.diag(ridge)
        loglik = float(total.sum())
        if loglik - previous < 1e-8 * n:
            break
        previous = loglik
    return weights, means, (covs + covs.transpose(0, 2, 1)) / 2.0, loglik


def _mvn_logpdf(x, mean, cov):
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (x - mean).T)
    return (-0.5 * np.sum(z * z, axis=0) - np.log(np.diag(chol)).sum()
            - 0.5 * x.shape[1] * np.log(2 * np.pi))
