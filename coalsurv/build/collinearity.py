"""Rank deficiency and near-collinearity of the fixed effects, found before sampling.

Three findings, on the standardised design ``X`` (columns centred, so the intercept is
orthogonal to them):

* **exact rank deficiency** — some terms are a linear combination of others (e.g. ``invest``,
  a constitutional rule constant within each country, next to ``C(country)``). Their
  coefficients are not identified by the data at all; only the prior holds them, and NUTS
  wanders along the ridge (R-hat 1.15, ESS 16 on King 1990). A :class:`~coalsurv.errors.SpecError`
  names the dependent terms (the non-zero entries of the null space of ``X``).
* **near-collinearity** — condition number of ``X`` above :data:`CONDITION_LIMIT`: a
  :class:`CollinearityWarning` with the condition number and every term whose variance
  inflation factor (VIF, ``diag`` of the inverse correlation matrix) exceeds
  :data:`VIF_LIMIT`.
* **a frailty spanned by fixed effects** — a group intercept ``(1 | g)`` whose level
  indicators lie in the span of the intercept and the fixed terms (``C(g)`` as a fixed effect
  as well): the frailty and the fixed effects describe the same level effects, so the group
  SD is identified only by its prior. A :class:`CollinearityWarning` names the factor and the
  fixed terms that are constant within its levels.
"""

from __future__ import annotations

import warnings

import numpy as np

from coalsurv.errors import SpecError

__all__ = ["CONDITION_LIMIT", "VIF_LIMIT", "CollinearityWarning", "check_collinearity"]

#: Condition number of the standardised design above which a warning is given (Belsley's 30).
CONDITION_LIMIT = 30.0
#: Variance inflation factor above which a term is named in the warning.
VIF_LIMIT = 10.0
_RTOL = 1e-9


class CollinearityWarning(UserWarning):
    """Fixed effects (or a frailty and fixed effects) that the data can barely tell apart."""


def _rank(M: np.ndarray) -> int:
    if M.size == 0:
        return 0
    s = np.linalg.svd(M, compute_uv=False)
    return int(np.sum(s > _RTOL * max(M.shape) * s[0])) if s[0] > 0 else 0


def check_collinearity(formula: str, terms: tuple[str, ...], X: np.ndarray,
                       groups=()) -> None:
    """Raise for exactly dependent terms; warn for near-collinear ones and spanned frailties.

    Parameters
    ----------
    formula : str
        The model formula (for the messages).
    terms : tuple of str
        Column names of ``X``.
    X : ndarray, shape (n, p)
        Standardised fixed-effect matrix (centred columns, unit SD).
    groups : sequence of GroupIndex
        Grouping factors of the model (``term.intercept`` marks a frailty).

    Raises
    ------
    SpecError
        When ``X`` is rank deficient, naming each set of dependent terms.
    """
    n, p = X.shape
    if p:
        _exact(formula, terms, X)
        _near(formula, terms, X)
    for g in groups:
        if g.term.intercept:
            _spanned_frailty(formula, terms, X, g)


def _exact(formula: str, terms: tuple[str, ...], X: np.ndarray) -> None:
    n, p = X.shape
    # vt is p x p either way; full U (n x n) only when n < p (at N = 10^5 it would be 75 GB)
    _, s, vt = np.linalg.svd(X, full_matrices=n < p)
    s = np.concatenate([s, np.zeros(p - s.size)])
    null = vt[s <= _RTOL * max(n, p) * s[0]]
    if not len(null):
        return
    problems = []
    for v in null:
        involved = [t for t, c in zip(terms, v, strict=True) if abs(c) > 1e-6 * np.abs(v).max()]
        problems.append(f"terms {involved} are linearly dependent (one is a combination of the "
                        "others in these data)")
    raise SpecError(
        f"formula {formula!r}: the fixed effects are rank deficient (rank {p - len(null)} of "
        f"{p} terms), so some coefficients are not identified by the data; drop one term of "
        "each dependent set (e.g. a covariate constant within a factor that is also a fixed "
        "effect, or that factor)", problems)


def _near(formula: str, terms: tuple[str, ...], X: np.ndarray) -> None:
    s = np.linalg.svd(X, compute_uv=False)
    condition = float(s[0] / s[-1]) if s[-1] > 0 else np.inf
    if condition <= CONDITION_LIMIT:
        return
    corr = np.corrcoef(X, rowvar=False) if X.shape[1] > 1 else np.ones((1, 1))
    vif = np.diag(np.linalg.pinv(np.atleast_2d(corr)))
    named = [f"{t} (VIF {v:.0f})" for t, v in zip(terms, vif, strict=True) if v > VIF_LIMIT]
    warnings.warn(
        f"formula {formula!r}: the fixed effects are nearly collinear (condition number "
        f"{condition:.0f} > {CONDITION_LIMIT:.0f}); "
        + (f"variance inflation: {', '.join(named)}. " if named else "")
        + "Their coefficients trade off against each other, so posteriors are wide and the "
        "sampler may mix slowly: drop or combine terms that measure the same thing",
        CollinearityWarning, stacklevel=4)


def _spanned_frailty(formula: str, terms: tuple[str, ...], X: np.ndarray, g) -> None:
    n = X.shape[0]
    L = len(g.levels)
    base = np.column_stack([np.ones(n), X])
    rank = _rank(base)
    if L > rank:  # L independent level indicators cannot lie in a space of lower rank
        return
    D = np.zeros((n, L))
    D[np.arange(n), g.index] = 1.0
    if _rank(np.column_stack([base, D])) > rank:
        return  # the frailty adds level effects the fixed terms cannot describe
    within = [t for j, t in enumerate(terms)
              if all(np.ptp(X[g.index == k, j]) < 1e-12 for k in range(L) if np.any(g.index == k))]
    warnings.warn(
        f"formula {formula!r}: the frailty (1 | {g.term.factor}) is spanned by the fixed "
        f"effects {within} (constant within each level of {g.term.factor!r}): both describe "
        f"the same {L} level effects, so sd_{g.name} and these coefficients are identified "
        f"only by their priors and mix slowly. Keep either the frailty or the fixed "
        f"{g.term.factor!r} effects",
        CollinearityWarning, stacklevel=4)
