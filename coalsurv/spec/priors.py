"""Priors as values: :class:`Prior` and :class:`PriorSet`, saved as TOML or JSON with a schema.

Parameter keys of a :class:`PriorSet` (all optional; missing keys take the defaults below):

======================  ==============================================  ============================
key                     what                                            default
======================  ==============================================  ============================
``intercept``           baseline log hazard (PH) or log time (AFT),     Normal(mu="auto", sigma=1)
                        time scaled
``beta``                every coefficient, per SD of its covariate      Normal(0, 1)
``beta[term]``          one coefficient (overrides ``beta``)            —
``beta_unit[term]``     one coefficient per original unit (converted    —
                        to per SD)
``beta[cause:term]``    one cause's coefficient (also                   —
                        ``beta_unit[cause:term]``)
``beta_unit[*]``        all coefficients jointly, per original unit:    —
                        a :class:`~coalsurv.spec.joint.JointPrior`
                        (MvNormal); ``beta_unit[cause:*]`` per cause
``shape[cause]`` ...    one cause's ancillary parameter or intercept    —
``shape``               Weibull / log-logistic / gamma shape            LogNormal(0, 0.5)
``sigma``               log-normal / generalised gamma scale of log T   LogNormal(0, 0.5)
``Q``                   generalised gamma shape (0 log-normal, 1        Normal(0, 1)
                        Weibull)
``ageing``              Gompertz ageing: gamma / baseline hazard at     Normal(0, 0.5)
                        the means (cured share exp(1/ageing) if < 0)
``rw_sd``               piecewise baseline: SD of the random-walk       LogNormal(-1.4, 0.5)
                        steps of log hazard
``tve_sd``              time-varying effect ``tve(x)``: random-walk     HalfNormal(0.5)
                        step of x's log hazard ratio (per SD) between
                        neighbouring intervals; ``tve_sd[x]`` for one
``cure_intercept``      mixture cure: logit of the cured share at the   Normal(0, 1.5)
                        cure covariates' means
``cure_beta``           mixture cure: change of that logit per SD of a  Normal(0, 1)
                        cure term; ``cure_beta[term]`` for one
``strata_dev``          strata: zero-sum deviations of each stratum's   Normal(0, 1)
                        log baseline (``Normal(mu=0, sigma=s)`` only)
``beta_shape``          shape covariates (``shape="x"``): change of the  Normal(0, 0.5)
                        log shape per SD; ``beta_shape[term]`` for one
``mm_sd``               ``mm()``: SD of the member effects u_k          HalfNormal(1)
``mm_gamma``, ``mm_b*``  ``mm()`` weights: power; logistic b0, b1  HalfNormal(1.5); Normal(0, 2)
``sd``                  every group SD (frailty, varying slopes)        HalfNormal(1)
``sd[factor]``          one grouping factor's frailty SD                —
``sd[factor|term]``     one varying slope's SD                          —
======================  ==============================================  ============================

Why these defaults, and why AFT priors are on ``eta / sigma``: DEVELOPING.md, "default priors".
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalsurv._io import atomic_write_text, read_text_file
from coalsurv.errors import PriorError
from coalsurv.spec.joint import JOINT_DIST, JointPrior, is_joint_key
from coalsurv.spec.mixture import MIXTURE_DIST, JointMixture
from coalsurv.spec.moments import export_posterior, resolve_fit

__all__ = ["Prior", "PriorSet", "PRIOR_SCHEMA", "DISTRIBUTIONS", "JointPrior", "prior_from_dict"]

PRIOR_SCHEMA = "coalsurv.priors/1"

#: Supported distributions: parameter names and support ("real" or "positive").
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "Normal": (("mu", "sigma"), "real"),
    "StudentT": (("nu", "mu", "sigma"), "real"),
    "Cauchy": (("alpha", "beta"), "real"),
    "Laplace": (("mu", "b"), "real"),
    "HalfNormal": (("sigma",), "positive"),
    "HalfStudentT": (("nu", "sigma"), "positive"),
    "HalfCauchy": (("beta",), "positive"),
    "Exponential": (("lam",), "positive"),
    "LogNormal": (("mu", "sigma"), "positive"),
    "Gamma": (("alpha", "beta"), "positive"),
    "InverseGamma": (("alpha", "beta"), "positive"),
}
_POSITIVE_PARAMS = {"sigma", "nu", "beta", "b", "lam", "alpha"}

_LOCATION_SCALE = {"Normal": ("mu", "sigma"), "StudentT": ("mu", "sigma"),
                   "Cauchy": ("alpha", "beta"), "Laplace": ("mu", "b")}


@dataclass(frozen=True)
class Prior:
    """One prior distribution, e.g. ``Prior("Normal", mu=0, sigma=1)``.

    Parameters
    ----------
    dist : str
        Distribution name, one of :data:`DISTRIBUTIONS`.
    **params : float
        Its parameters by name. ``mu="auto"`` is allowed for the intercept only.
    """

    dist: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, dist: str, **params: Any):
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "params", dict(params))
        self.validate("prior")

    def validate(self, key: str) -> None:
        """Check the distribution name and its parameters; raise PriorError naming ``key``."""
        if not isinstance(self.dist, str) or self.dist not in DISTRIBUTIONS:
            raise PriorError(
                f"prior {key!r}: unknown distribution {self.dist!r}; expected one of "
                f"{', '.join(DISTRIBUTIONS)}"
            )
        names, _ = DISTRIBUTIONS[self.dist]
        missing = [n for n in names if n not in self.params]
        extra = [n for n in self.params if n not in names]
        if missing or extra:
            raise PriorError(
                f"prior {key!r}: {self.dist} takes parameters {list(names)}; "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unexpected {extra}" if extra else "")
            )
        for name, value in self.params.items():
            if value == "auto" and name == "mu":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise PriorError(f"prior {key!r}: parameter {name}={value!r} is not a number")
            if not math.isfinite(value):
                raise PriorError(f"prior {key!r}: parameter {name}={value!r} is not finite")
            if name in _POSITIVE_PARAMS and not (self.dist in ("Cauchy",) and name == "alpha"):
                if value <= 0:
                    raise PriorError(f"prior {key!r}: parameter {name}={value!r} must be > 0")

    @property
    def support(self) -> str:
        """"real" or "positive"."""
        return DISTRIBUTIONS[self.dist][1]

    def resolve(self, **auto: float) -> Prior:
        """Replace ``"auto"`` parameters by data-based values."""
        params = {k: (auto[k] if v == "auto" else v) for k, v in self.params.items()}
        return Prior(self.dist, **params)

    def scaled(self, factor: float, *, key: str = "prior") -> Prior:
        """Return the prior of ``factor * X`` for a location-scale prior of X (factor > 0)."""
        if self.dist not in _LOCATION_SCALE:
            raise PriorError(
                f"prior {key!r}: a per-unit prior must be location-scale "
                f"({', '.join(_LOCATION_SCALE)}) to convert it to the SD scale; got {self.dist}")
        loc, scale = _LOCATION_SCALE[self.dist]
        params = dict(self.params)
        params[loc] = params[loc] * factor
        params[scale] = params[scale] * factor
        return Prior(self.dist, **params)

    def to_dict(self) -> dict[str, Any]:
        """``{"dist": name, **params}``."""
        return {"dist": self.dist, **self.params}

    @classmethod
    def from_dict(cls, data: Any, *, key: str = "prior") -> Prior:
        """Rebuild from :meth:`to_dict` output, naming ``key`` in errors."""
        if not isinstance(data, dict) or "dist" not in data:
            raise PriorError(
                f"prior {key!r}: expected a table with 'dist' and its parameters, "
                f"e.g. {{dist = \"Normal\", mu = 0, sigma = 1}}; got {data!r}"
            )
        params = {k: v for k, v in data.items() if k != "dist"}
        try:
            prior = cls.__new__(cls)
            object.__setattr__(prior, "dist", data["dist"])
            object.__setattr__(prior, "params", params)
            prior.validate(key)
        except PriorError:
            raise
        return prior

    def to_pymc(self, name: str, **kwargs: Any):
        """Create the PyMC random variable (inside a model context)."""
        import pymc as pm

        if "auto" in self.params.values():
            raise PriorError(f"prior {name!r}: 'auto' must be resolved before building")
        return getattr(pm, self.dist)(name, **self.params, **kwargs)

    def __str__(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{self.dist}({args})"


def prior_from_dict(data: Any, *, key: str = "prior") -> Prior | JointPrior:
    """Rebuild a prior: a :class:`Prior`, :class:`JointPrior` or ``JointMixture``.

    The type tag decides: ``dist = "MvNormal"`` is a :class:`JointPrior`,
    ``"MvNormalMixture"`` a :class:`~coalsurv.spec.mixture.JointMixture`.
    """
    if isinstance(data, dict) and data.get("dist") == JOINT_DIST:
        return JointPrior.from_dict(data, key=key)
    if isinstance(data, dict) and data.get("dist") == MIXTURE_DIST:
        return JointMixture.from_dict(data, key=key)
    return Prior.from_dict(data, key=key)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _default_priors() -> dict[str, Prior]:
    """Model-level defaults plus every family's declared parameter defaults (one source)."""
    from coalsurv.families import FAMILIES

    out = {"intercept": Prior("Normal", mu="auto", sigma=1.0),
           "beta": Prior("Normal", mu=0.0, sigma=1.0)}
    for family in FAMILIES.values():
        for param in family.parameters:
            dist, params = param.prior
            prior = Prior(dist, **params)
            if out.setdefault(param.key, prior) != prior:  # pragma: no cover - registry bug
                raise PriorError(f"families declare different default priors for {param.key!r}")
    out["tve_sd"] = Prior("HalfNormal", sigma=0.5)
    out["cure_intercept"] = Prior("Normal", mu=0.0, sigma=1.5)
    out["cure_beta"] = Prior("Normal", mu=0.0, sigma=1.0)
    out["strata_dev"] = Prior("Normal", mu=0.0, sigma=1.0)
    out["beta_shape"] = Prior("Normal", mu=0.0, sigma=0.5)
    out["sd"] = Prior("HalfNormal", sigma=1.0)
    out.update(mm_sd=Prior("HalfNormal", sigma=1.0), mm_gamma=Prior("HalfNormal", sigma=1.5),
               mm_b0=Prior("Normal", mu=0.0, sigma=2.0), mm_b1=Prior("Normal", mu=0.0, sigma=2.0))
    return out


#: Default prior of every parameter key (families declare their own parameters' defaults).
DEFAULT_PRIORS: dict[str, Prior] = _default_priors()
_KEY = re.compile(r"^(" + "|".join(sorted(["beta_unit", *DEFAULT_PRIORS], key=len, reverse=True))
                  + r")(\[[^\[\]]+\])?$")


@dataclass(frozen=True)
class PriorSet:
    """A named, versioned set of priors keyed by parameter (see the module table).

    Parameters
    ----------
    priors : dict of str to Prior
        Priors that override the defaults.
    name, description : str
        Shown in reports; say where the priors come from.
    provenance : dict
        Free-form, JSON-able record (e.g. the fit a posterior-turned-prior came from, discount).
    """

    priors: dict[str, Prior] = field(default_factory=dict)
    name: str = "default"
    description: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, prior in self.priors.items():
            if not isinstance(key, str) or not _KEY.match(key):
                raise PriorError(
                    f"prior key {key!r} is not a parameter; expected "
                    f"{', '.join(k for k in DEFAULT_PRIORS if k != 'sd')}, beta[term], "
                    "sd, sd[factor] or sd[factor|term]"
                )
            if is_joint_key(key):
                if not isinstance(prior, JointPrior):
                    raise PriorError(f"prior {key!r}: a joint key takes a JointPrior (MvNormal), "
                                     f"got {type(prior).__name__}")
            elif not isinstance(prior, Prior):
                raise PriorError(f"prior {key!r}: expected a Prior, got {type(prior).__name__}")
        object.__setattr__(self, "priors", dict(self.priors))

    def explicit(self, key: str) -> Prior | None:
        """Return the prior set for exactly ``key``, or None."""
        return self.priors.get(key)

    def get(self, key: str) -> Prior:
        """Return the prior for ``key``.

        An explicit entry, else its family default (``beta[x]`` → ``beta``).
        """
        if key in self.priors:
            return self.priors[key]
        base = key.split("[", 1)[0]
        if base in self.priors:
            return self.priors[base]
        if base == "beta_unit":
            return DEFAULT_PRIORS["beta"]
        return DEFAULT_PRIORS[base]

    def without_terms(self, terms) -> PriorSet:
        """Return a copy that says nothing about ``terms`` (for a study that lacks them).

        Joint priors are marginalised (exact for a multivariate normal: the kept rows and
        columns); per-term keys ``beta[...]`` / ``beta_unit[...]`` of these terms are removed.
        """
        drop = set(terms)
        out: dict[str, Prior | JointPrior] = {}
        for key, prior in self.priors.items():
            if isinstance(prior, JointPrior):
                keep = [t for t in prior.terms if t not in drop]
                if keep:
                    out[key] = prior.marginal(keep)
                continue
            inner = key[key.find("[") + 1:-1] if "[" in key else ""
            if key.startswith("beta") and inner.split(":")[-1] in drop:
                continue
            out[key] = prior
        provenance = {**self.provenance, "dropped_terms": sorted(drop)}
        return PriorSet(out, self.name, self.description, provenance)

    def with_priors(self, **priors: Prior) -> PriorSet:
        """Return a copy with some priors replaced.

        Keyword names use ``beta__x`` for ``beta[x]``.
        """
        merged = dict(self.priors)
        for key, prior in priors.items():
            if "__" in key:
                base, _, inner = key.partition("__")
                key = f"{base}[{inner}]"
            merged[key] = prior
        return PriorSet(merged, self.name, self.description, dict(self.provenance))

    def hazard_ratio(self, term: str, *, median: float, upper: float, per: str = "unit",
                     ci_prob: float = 0.95, family: Any = "weibull",
                     cause: str | None = None) -> PriorSet:
        """Copy with a prior on ``term``'s hazard (AFT: time) ratio, translation recorded.

        See :func:`coalsurv.spec.scales.hazard_ratio_prior`; the sentence is kept in
        ``provenance["translations"]`` (:attr:`translations`).
        """
        from coalsurv.spec import scales

        return scales.add(self, scales.hazard_ratio_prior(
            term, median=median, upper=upper, per=per, ci_prob=ci_prob, family=family,
            cause=cause))

    def median_lifespan(self, median: float, upper: float, *, time_scale: float,
                        unit: str = "days", family: Any = "weibull", ci_prob: float = 0.95,
                        cause: str | None = None) -> PriorSet:
        """Copy with an intercept prior from a median lifespan (data unit), translation kept.

        See :func:`coalsurv.spec.scales.median_lifespan_prior` (at this set's ancillary prior
        medians and the covariates' means).
        """
        from coalsurv.spec import scales

        return scales.add(self, scales.median_lifespan_prior(
            median, upper, time_scale=time_scale, unit=unit, family=family, priors=self,
            ci_prob=ci_prob, cause=cause))

    @property
    def translations(self) -> dict[str, str]:
        """Sentences explaining priors given on interpretable scales, by key."""
        return dict(self.provenance.get("translations", {}))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with schema tag (TOML/JSON-ready)."""
        return {
            "schema": PRIOR_SCHEMA,
            "name": self.name,
            "description": self.description,
            "provenance": dict(self.provenance),
            "priors": {k: p.to_dict() for k, p in self.priors.items()},
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "prior set") -> PriorSet:
        """Rebuild from :meth:`to_dict` output; wrong schema, keys or values raise PriorError."""
        if not isinstance(data, dict):
            raise PriorError(f"{source}: expected a table, got {type(data).__name__}")
        schema = data.get("schema")
        if schema != PRIOR_SCHEMA:
            raise PriorError(f"{source}: schema is {schema!r}; expected {PRIOR_SCHEMA!r}")
        unknown = sorted(set(data) - {"schema", "name", "description", "provenance", "priors"})
        if unknown:
            raise PriorError(f"{source}: unknown key(s) {unknown}")
        raw = data.get("priors", {})
        if not isinstance(raw, dict):
            raise PriorError(f"{source}: 'priors' must be a table of parameter = prior")
        wrong = [
            f"{source}: {key!r} must be {what}, got {type(data[key]).__name__}"
            for key, kind, what in (("name", str, "a str"), ("description", str, "a str"),
                                    ("provenance", dict, "a table"))
            if key in data and not isinstance(data[key], kind)
        ]
        if wrong:
            raise PriorError(f"{source}: wrong types", wrong)
        try:
            priors = {k: prior_from_dict(v, key=k) for k, v in raw.items()}
            return cls(priors, data.get("name", ""), data.get("description", ""),
                       dict(data.get("provenance", {})))
        except PriorError as exc:
            if exc.headline.startswith(source):
                raise
            raise PriorError(f"{source}: {exc.headline}", exc.problems) from None

    def to_toml(self) -> str:
        """TOML text."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    def to_json(self) -> str:
        """JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def save(self, path: str | Path) -> Path:
        """Write as TOML (``.toml``) or JSON (``.json``), atomically."""
        path = Path(path)
        if path.suffix == ".json":
            return atomic_write_text(path, self.to_json())
        if path.suffix != ".toml":
            raise PriorError(f"prior file {str(path)!r}: use a .toml or .json suffix")
        return atomic_write_text(path, self.to_toml())

    @classmethod
    def load(cls, path: str | Path) -> PriorSet:
        """Read a prior file written by :meth:`save` (TOML or JSON)."""
        path = Path(path)
        text = read_text_file(path, what="prior file", expected="a TOML or JSON prior file",
                              error=PriorError)
        try:
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise PriorError(f"prior file {str(path)!r} cannot be parsed: {exc}") from None
        if not isinstance(data, dict):
            raise PriorError(
                f"prior file {str(path)!r}: expected a table (schema, name, priors), got "
                f"{type(data).__name__} {data!r:.40}"
            )
        if "priors" not in data and "model" in data:
            data = data.get("priors_set", data)
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_fit(cls, fit: Any, *, discount: float = 1.0, joint: bool = True,
                 include_intercept: bool = False, include_frailty: bool = True,
                 components: int | str = "auto", name: str | None = None) -> PriorSet:
        """Turn a fitted model's posterior into priors for a replication study (power prior).

        With ``joint=True`` (default) every carried parameter becomes one multivariate normal
        (key ``beta_unit[*]``, or ``beta_unit[cause:*]`` per cause) with the posterior mean
        vector and covariance ``cov / discount``, so their correlations are kept: the
        coefficients per **original unit** of each covariate (the new study's
        standardisation does not matter), the family's scalar parameters and frailty SDs on
        their own support (positive ones on the log scale: a joint log-normal, terms
        ``log(shape)``, ``log(sd[factor])``) and, if asked, the intercept (see
        :mod:`coalsurv.spec.moments`). ``joint=False`` gives independent priors: normal
        ``beta_unit[term]`` per coefficient, log-normal for positive parameters.
        ``discount`` is the power-prior weight a0 in (0, 1]: 1 carries the full information
        of the original study, 0.5 half of it. Cause-specific parameters keep their cause's
        name (``beta_unit[cause:*]``, ``shape[cause]``), so a replication maps them by name.

        A replication study must model the same terms: the builder raises one PriorError
        listing the prior's terms its design lacks and its terms the prior does not know (see
        :meth:`without_terms` to drop terms explicitly, and give extra terms their own
        ``beta[term]`` prior).

        Parameters
        ----------
        fit : Fit, MultiStateFit or path
            The original study's fit, or its file (loaded). A MultiStateFit gives a dict of
            prior sets by transition (:meth:`MultiStateFit.priors_from_fit`).
        discount : float
            Power-prior weight a0 in (0, 1].
        joint : bool
            One multivariate normal over the coefficients (default) or independent normals.
        include_intercept : bool
            Carry the intercept too (at the original study's time scale, which the prior set
            records and the builder reuses). Off by default: baselines rarely transfer between
            countries or eras.
        include_frailty : bool
            Carry the frailty SDs ``sd[factor]`` (log-normal). The levels' effects never
            transfer: a new study has its own groups.
        components : int or "auto"
            Shape of the joint prior. ``"auto"`` (default): a mixture of up to 4
            multivariate normals fitted to the draws, the number chosen by BIC
            (:class:`~coalsurv.spec.mixture.JointMixture`) — one multivariate normal when the
            posterior is normal, several when it is skewed or funnel-shaped, e.g. a
            coefficient identified only between few groups whose spread depends on the
            frailty SD (King et al. 1990: investiture). ``1``: always one multivariate normal;
            ``K``: exactly ``K`` components. Each component's covariance is divided by
            ``discount``.
        name : str, optional
            Name of the new prior set.
        """
        fit = resolve_fit(fit)
        if hasattr(fit, "priors_from_fit"):   # a MultiStateFit: one prior set per transition
            return fit.priors_from_fit(discount=discount, joint=joint, name=name,
                                       include_intercept=include_intercept,
                                       include_frailty=include_frailty, components=components)
        moments, provenance = export_posterior(
            fit, discount=discount, joint=joint, include_intercept=include_intercept,
            include_frailty=include_frailty, components=components)
        kinds = {JOINT_DIST: JointPrior, MIXTURE_DIST: JointMixture}
        priors = {key: kinds[dist](**params) if dist in kinds else Prior(dist, **params)
                  for key, (dist, params) in moments.items()}
        return cls(priors, name or f"posterior of {fit.spec.label}",
                   f"Posterior of a previous fit turned into priors (power prior, a0 = "
                   f"{provenance['discount']:g}{', joint coefficients' if joint else ''}).",
                   provenance)
