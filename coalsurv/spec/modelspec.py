"""Model specification: formula with group terms, family, causes; an immutable TOML value.

A formula is written like R's lme4/brms, without a left-hand side (the outcome is the
coalition's lifespan carried by :class:`coalsurv.CoalitionData`)::

    "breadth + power_hhi + majority + (1 | country)"
    "breadth * power_hhi + I(power_hhi**2) + (1 | country) + (1 | era)"
    "breadth + (1 + breadth | country)"      # random intercept and independent random slope
    "breadth + (1 | country/decade)"         # nested: country and country:decade

The fixed part is handled by `formulaic` (transformations, interactions, ``C()``); group terms
``( ... | factor)`` are parsed here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coalsurv._io import atomic_write_text, read_text_file
from coalsurv.errors import SpecError
from coalsurv.spec.members import MmTerm, split_mm
from coalsurv.spec.options import check_family_options
from coalsurv.spec.time_terms import TveTerm, split_tve, tve_option_problems

__all__ = [
    "GroupTerm", "ModelSpec", "check_family_options", "guess_names", "parse_formula",
    "SPEC_SCHEMA", "STRATA_PARTS",
]

SPEC_SCHEMA = "coalsurv.spec/1"
#: What ``strata_parts=`` may make stratum-specific: ``"level"`` (the baseline log hazard of a
#: PH family, the location of log T of an AFT family) and ``"shape"`` (the family's scalar
#: parameters: Weibull / log-logistic / gamma shape, log-normal and generalised-gamma sigma
#: and Q, Gompertz ageing). survreg's ``strata()`` is ``("shape",)``.
STRATA_PARTS = ("level", "shape")
_GROUP_TERM = re.compile(r"\(([^()|]*)\|([^()|]*)\)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class GroupTerm:
    """A varying-effects term ``(1 + slopes | factor)``.

    Parameters
    ----------
    factor : str
        Grouping factor; nested factors are written ``"country:decade"`` (interaction of labels).
    intercept : bool
        Whether the term has a varying intercept (frailty).
    slopes : tuple of str
        Covariates whose effects vary by group (independent of the intercept).
    """

    factor: str
    intercept: bool = True
    slopes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Data columns that make up the factor (one for crossed, several for nested)."""
        return tuple(self.factor.split(":"))

    def __str__(self) -> str:
        lhs = ["1" if self.intercept else "0", *self.slopes]
        return f"({' + '.join(lhs)} | {self.factor})"


def _parse_group_term(lhs: str, rhs: str, formula: str) -> list[GroupTerm]:
    parts = [p.strip() for p in lhs.split("+") if p.strip()]
    intercept = True
    slopes: list[str] = []
    for part in parts:
        if part == "1":
            intercept = True
        elif part in ("0", "-1"):
            intercept = False
        elif _NAME.match(part):
            slopes.append(part)
        else:
            raise SpecError(
                f"formula {formula!r}: group term '({lhs}|{rhs})' has {part!r} on the left of '|'; "
                "expected '1', '0' or plain covariate names, e.g. '(1 + breadth | country)'"
            )
    if not intercept and not slopes:
        raise SpecError(f"formula {formula!r}: group term '({lhs}|{rhs})' varies nothing")
    nested = [f.strip() for f in rhs.split("/")]
    for name in nested:
        if not _NAME.match(name):
            raise SpecError(
                f"formula {formula!r}: grouping factor {name!r} is not a column name; "
                "expected e.g. '(1 | country)' or '(1 | country/decade)'"
            )
    terms = []
    for depth in range(1, len(nested) + 1):
        factor = ":".join(nested[:depth])
        # Slopes vary only at the innermost level named by the user.
        terms.append(GroupTerm(factor, intercept, tuple(slopes) if depth == len(nested) else ()))
    return terms


def parse_formula(formula: str) -> tuple[str, tuple[GroupTerm, ...]]:
    """Split a formula into its fixed part and its group terms.

    Parameters
    ----------
    formula : str
        Right-hand side, e.g. ``"breadth + power_hhi + (1 | country)"``; a leading ``"~"`` is
        allowed.

    Returns
    -------
    fixed : str
        The fixed-effects part for formulaic (``"1"`` when there are no fixed terms).
    groups : tuple of GroupTerm
    """
    if not isinstance(formula, str) or not formula.strip():
        raise SpecError("formula must be a non-empty string such as 'breadth + (1 | country)'")
    text = formula.strip()
    if "~" in text:
        lhs, _, text = text.partition("~")
        if lhs.strip():
            raise SpecError(
                f"formula {formula!r} has a left-hand side {lhs.strip()!r}; write only the "
                "right-hand side: the lifespan and ending come from CoalitionData"
            )
    text = split_mm(text)[0]  # the members term (coalsurv.spec.members) is not formulaic's
    groups: list[GroupTerm] = []
    for match in _GROUP_TERM.finditer(text):
        groups.extend(_parse_group_term(match.group(1), match.group(2), formula))
    fixed = _GROUP_TERM.sub(" ", text)
    fixed_terms = [t.strip() for t in re.split(r"\+(?![^(]*\))", fixed) if t.strip()]
    if any("|" in t for t in fixed_terms):
        raise SpecError(
            f"formula {formula!r}: a '|' outside a group term; "
            f"group terms look like '(1 | country)'"
        )
    seen: set[str] = set()
    unique: list[GroupTerm] = []
    for term in groups:
        if term.factor in seen:
            raise SpecError(f"formula {formula!r}: grouping factor {term.factor!r} appears twice")
        seen.add(term.factor)
        unique.append(term)
    return (" + ".join(fixed_terms) if fixed_terms else "1"), tuple(unique)


@dataclass(frozen=True)
class ModelSpec:
    """What is modelled: formula, family, causes and family options; priors live in PriorSet.

    Parameters
    ----------
    formula : str
        Right-hand side with optional group terms.
    family : str
        Family name (see :data:`coalsurv.families.FAMILIES`).
    causes : tuple of str or None
        ``None`` pools every ending into one event ("any ending"). One cause models that
        cause's specific hazard (other endings censor it). Several causes fit cause-specific
        hazards jointly (competing risks).
    family_options : dict
        Options of the family, e.g. ``{"n_intervals": 8}`` or ``{"cuts": [...]}`` for piecewise.
    name : str
        Optional short name used in reports and model comparison.
    cure : str or None
        Formula of a mixture-cure model's cured share (fixed effects only), e.g.
        ``"breadth + power_hhi"`` or ``"1"``: a share ``pi`` of coalitions never ends this way,
        ``logit(pi)`` linear in it (:mod:`coalsurv.build.cure`). One pooled or single ending.
    strata : str or None
        A group column whose levels get separate baselines (:mod:`coalsurv.build.strata`):
        a log-baseline level and the family's scalar parameters (e.g. the Weibull shape) per
        stratum, the covariate effects shared.
    cure_link : {"logit", "probit", "cloglog"} or None
        Link of a mixture cure's cured share (default logit).
    cure_type : {"mixture", "promotion"} or None
        ``"mixture"`` (default): ``S = pi + (1 - pi) S_u``; ``"promotion"``: the non-mixture
        promotion-time model ``S = exp(-theta F_u)``, cured share ``exp(-theta)``,
        ``theta = exp(-(cure linear predictor))`` (:mod:`coalsurv.families.cure_links`).
    shape : str or None
        Formula of covariates of the family's shape parameter (fixed effects), e.g. ``"x"``:
        ``log shape_i = log shape + Z_std[i] @ beta_shape`` (the Weibull / log-logistic / gamma
        shape, the log-normal and generalised-gamma sigma). Refused for families without one.
    strata_parts : tuple of str or None
        What the strata make stratum-specific (:data:`STRATA_PARTS`): ``("level", "shape")``
        (the default: each stratum its own level and shape), ``("shape",)`` (survreg's
        ``strata()``: a shared location, each stratum its own scale) or ``("level",)``.
        ``None`` is the default, resolved by :attr:`resolved_strata_parts`.
    """

    formula: str
    family: str = "weibull"
    causes: tuple[str, ...] | None = None
    family_options: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    cure: str | None = None
    strata: str | None = None
    strata_parts: tuple[str, ...] | None = None
    shape: str | None = None
    cure_link: str | None = None
    cure_type: str | None = None

    def __post_init__(self) -> None:
        from coalsurv.families import FAMILIES

        wrong = [
            f"{key} must be a str, got {type(getattr(self, key)).__name__} "
            f"{getattr(self, key)!r:.40}"
            for key in ("formula", "family", "name") if not isinstance(getattr(self, key), str)
        ]
        if wrong:
            raise SpecError("invalid model specification", wrong)
        fixed, _ = parse_formula(self.formula)
        if self.family not in FAMILIES:
            raise SpecError(
                f"unknown family {self.family!r}; expected one of {', '.join(sorted(FAMILIES))}"
            )
        odds = (FAMILIES[self.family].name == "rp" and isinstance(self.family_options, dict)
                and self.family_options.get("scale") == "odds")
        if split_tve(fixed, formula=self.formula)[1] and (odds or
                                                          FAMILIES[self.family].kind != "ph"):
            raise SpecError(
                f"formula {self.formula!r}: tve() needs a proportional-hazards family (a "
                f"time-varying hazard ratio); {self.family!r} is "
                + ("on the odds scale (family_options scale='odds'), whose effects are odds "
                   "ratios" if odds else "an AFT family, whose effects are time ratios")
                + " constant by construction"
            )
        if self.causes is not None:
            if not isinstance(self.causes, (str, list, tuple)):
                raise SpecError(
                    f"causes must be a cause label or a list of cause labels (str), "
                    f"got {self.causes!r}"
                )
            causes = (self.causes,) if isinstance(self.causes, str) else tuple(self.causes)
            if not causes or not all(isinstance(c, str) and c for c in causes):
                raise SpecError(f"causes must be a list of cause labels, got {self.causes!r}")
            if len(set(causes)) != len(causes):
                raise SpecError(f"causes {list(causes)} repeat a label")
            object.__setattr__(self, "causes", causes)
        if self.cure is not None:
            check_cure_formula(self)
        check_cure_options(self)
        if self.strata is not None and not (isinstance(self.strata, str)
                                            and _NAME.match(self.strata)):
            raise SpecError(f"strata must be the name of one group column (str), e.g. "
                            f"strata='country', got {self.strata!r}")
        if self.strata_parts is not None:
            object.__setattr__(self, "strata_parts", _check_strata_parts(self))
        if self.shape is not None:
            check_shape_formula(self)
        problems = check_family_options(self.family, self.family_options)
        if isinstance(self.family_options, dict):
            problems += tve_option_problems(self.tve_terms, self.family_options)
        if problems:
            raise SpecError(f"invalid family_options for family {self.family!r}", problems)
        object.__setattr__(self, "family_options", dict(self.family_options))

    @property
    def resolved_strata_parts(self) -> tuple[str, ...]:
        """The stratified parts: ``()`` without strata, else :attr:`strata_parts` or the default.

        The default is every part the family has: ``("level", "shape")``, or ``("level",)``
        for a family without scalar parameters (exponential, piecewise).
        """
        if self.strata is None:
            return ()
        if self.strata_parts is not None:
            return tuple(self.strata_parts)
        return STRATA_PARTS if self.family_object.scalar_parameters else ("level",)

    @property
    def fixed_formula(self) -> str:
        """Fixed-effects part of the formula (``tve(x, ...)`` written as plain ``x``)."""
        return split_tve(parse_formula(self.formula)[0])[0]

    @property
    def tve_terms(self) -> tuple[TveTerm, ...]:
        """Time-varying effect terms ``tve(x, df=...)`` (see :mod:`coalsurv.spec.time_terms`)."""
        return split_tve(parse_formula(self.formula)[0], formula=self.formula)[1]

    @property
    def mm_term(self) -> MmTerm | None:
        """The multiple-membership term ``mm(...)`` (:mod:`coalsurv.spec.members`), or None."""
        return split_mm(self.formula)[1]

    @property
    def group_terms(self) -> tuple[GroupTerm, ...]:
        """Varying-effects terms."""
        return parse_formula(self.formula)[1]

    @property
    def family_object(self):
        """The declared family (a template without cut points for ``piecewise``).

        :meth:`coalsurv.build.ModelInfo.family_object` gives the family as fitted, with the
        cut points resolved from the data.
        """
        from coalsurv.families import get_family

        family = get_family(self.family)
        if family.name == "rp" and "scale" in self.family_options:  # the scale sets the kind
            return get_family(self.family, scale=self.family_options["scale"])
        return family

    @property
    def label(self) -> str:
        """Short human label: the name, else family and formula."""
        return self.name or f"{self.family}: {self.formula}"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (TOML/JSON-ready) with a schema tag."""
        out: dict[str, Any] = {
            "schema": SPEC_SCHEMA,
            "formula": self.formula,
            "family": self.family,
        }
        if self.name:
            out["name"] = self.name
        if self.causes is not None:
            out["causes"] = list(self.causes)
        if self.family_options:
            out["family_options"] = dict(self.family_options)
        if self.cure is not None:
            out["cure"] = self.cure
        if self.strata is not None:
            out["strata"] = self.strata
        if self.strata_parts is not None:
            out["strata_parts"] = list(self.strata_parts)
        if self.shape is not None:
            out["shape"] = self.shape
        for key in ("cure_link", "cure_type"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "model spec") -> ModelSpec:
        """Rebuild from :meth:`to_dict` output; unknown keys and wrong schemas are errors."""
        if not isinstance(data, dict):
            raise SpecError(
                f"{source}: expected a table of model settings, got {type(data).__name__}"
            )
        allowed = {"schema", "formula", "family", "causes", "family_options", "name", "priors",
                   "cure", "strata", "strata_parts", "shape", "cure_link", "cure_type"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise SpecError(
                f"{source}: unknown key(s) {unknown}; expected keys {sorted(allowed - {'priors'})}"
            )
        schema = data.get("schema", SPEC_SCHEMA)
        if schema != SPEC_SCHEMA:
            raise SpecError(f"{source}: schema {schema!r} is not {SPEC_SCHEMA!r}")
        if "formula" not in data:
            raise SpecError(
                f"{source}: missing key 'formula' (e.g. formula = \"breadth + (1 | country)\")"
            )
        causes = data.get("causes")
        try:
            return cls(
                formula=data["formula"],
                family=data.get("family", "weibull"),
                causes=tuple(causes) if isinstance(causes, list) else causes,
                family_options=data.get("family_options", {}),
                name=data.get("name", ""),
                cure=data.get("cure"),
                strata=data.get("strata"),
                strata_parts=data.get("strata_parts"),
                shape=data.get("shape"),
                cure_link=data.get("cure_link"),
                cure_type=data.get("cure_type"),
            )
        except SpecError as exc:
            raise SpecError(f"{source}: {exc.headline}", exc.problems) from None

    def to_toml(self) -> str:
        """TOML text of the spec."""
        import tomli_w

        return tomli_w.dumps({"model": self.to_dict()})

    @classmethod
    def from_toml(cls, text: str, *, source: str = "TOML text") -> ModelSpec:
        """Parse TOML text holding a ``[model]`` table."""
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{source}: not valid TOML ({exc})") from None
        if "model" not in doc:
            raise SpecError(f"{source}: missing [model] table with formula and family")
        return cls.from_dict(doc["model"], source=source)

    def save(self, path: str | Path) -> Path:
        """Write the spec as TOML (atomically)."""
        return atomic_write_text(Path(path), self.to_toml())

    @classmethod
    def load(cls, path: str | Path) -> ModelSpec:
        """Read a spec from a TOML file (``models/*.toml``)."""
        text = read_text_file(path, what="model file", expected="a TOML model file",
                              error=SpecError)
        return cls.from_toml(text, source=str(path))


def _check_strata_parts(spec: ModelSpec) -> tuple[str, ...]:
    """``strata_parts`` as a tuple in :data:`STRATA_PARTS` order, or one SpecError."""
    parts = spec.strata_parts
    if isinstance(parts, str):
        parts = (parts,)
    if not (isinstance(parts, (list, tuple)) and parts and all(isinstance(p, str)
                                                                  for p in parts)):
        raise SpecError(f"strata_parts must be a list of parts from {list(STRATA_PARTS)}, e.g. "
                        f"strata_parts=('shape',), got {spec.strata_parts!r:.60}")
    problems = [f"strata_parts: unknown part {p!r}; expected parts from {list(STRATA_PARTS)}"
                for p in parts if p not in STRATA_PARTS]
    if spec.strata is None:
        problems.append("strata_parts is given without strata=; name the strata column too")
    if "shape" in parts and not spec.family_object.scalar_parameters:
        problems.append(f"strata_parts: family {spec.family!r} has no shape parameter to "
                        "stratify; use strata_parts=('level',)")
    if problems:
        raise SpecError("invalid strata_parts", problems)
    return tuple(p for p in STRATA_PARTS if p in parts)


def _check_fixed_formula(option: str, formula: object, *, example: str, linear: str) -> None:
    """Refuse a ``shape=`` / ``cure=`` formula that is not plain fixed effects (one SpecError)."""
    if not isinstance(formula, str) or not formula.strip():
        raise SpecError(f"{option} must be {example}, got {formula!r}")
    fixed, groups = parse_formula(formula)
    if groups or split_tve(fixed)[1] or split_mm(formula)[1]:
        raise SpecError(f"{option} formula {formula!r}: group terms, mm() and tve() are not "
                        f"allowed; the {linear} is linear in fixed covariates")


def check_shape_formula(spec: ModelSpec) -> None:
    """Refuse a ``shape=`` formula that is not plain fixed effects, or a family without shape."""
    shape = spec.shape
    _check_fixed_formula("shape", shape, example="a formula string of covariates such as "
                         "'x + z'", linear="log shape")
    family = spec.family_object
    if family.shape_parameter is None:
        raise SpecError(f"shape={shape!r}: family {spec.family!r} has no shape parameter to "
                        "model; use e.g. family='weibull', 'weibull_aft', 'lognormal', "
                        "'loglogistic', 'gamma' or 'gengamma'")


def check_cure_options(spec: ModelSpec) -> None:
    """Refuse unknown cure options, cure options without ``cure=``, a link with promotion.

    The promotion-time model's cured share is ``exp(-exp(-lin))`` by construction.
    """
    from coalsurv.families.cure_links import CURE_LINKS, CURE_TYPES

    problems = [f"{key}={value!r}: expected one of {list(allowed)}"
                for key, value, allowed in (("cure_link", spec.cure_link, CURE_LINKS),
                                            ("cure_type", spec.cure_type, CURE_TYPES))
                if value is not None and value not in allowed]
    given = [k for k in ("cure_link", "cure_type") if getattr(spec, k) is not None]
    if given and spec.cure is None:
        problems.append(f"{' and '.join(given)} given without cure=; add e.g. cure='1'")
    if spec.cure_type == "promotion" and spec.cure_link is not None:
        problems.append("cure_link applies to cure_type='mixture'; the promotion-time model's "
                        "cured share is exp(-theta) with log(theta) = -(cure linear predictor)")
    if problems:
        raise SpecError("invalid cure options", problems)


def check_cure_formula(spec: ModelSpec) -> None:
    """Refuse a cure formula that is not a plain fixed-effects formula, or several causes."""
    cure = spec.cure
    _check_fixed_formula("cure", cure, example="a formula string such as 'breadth + power_hhi' "
                         "or '1'", linear="cured share's logit")
    if spec.causes is not None and len(spec.causes) > 1:
        raise SpecError(f"cure= with several causes {list(spec.causes)}: a mixture-cure model "
                        "needs one ending (pooled, causes=None, or a single cause); fit one "
                        "model per cause instead")
    if split_tve(parse_formula(spec.formula)[0])[1]:
        raise SpecError(f"cure= with tve() terms in {spec.formula!r} is not supported; drop one")


_NOT_COLUMNS = frozenset({"C", "I", "np", "log", "exp", "center", "scale", "poly", "tve", "df",
                          "type", "basis", "bs", "pw", "natural", "bspline"})


def guess_names(formula: str) -> list[str]:
    """Names in a fixed-effects formula that look like data columns (transforms left out).

    Used where formulaic cannot parse the formula, to name the columns it asks for.
    """
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula)
    return [t for t in tokens if t not in _NOT_COLUMNS]
