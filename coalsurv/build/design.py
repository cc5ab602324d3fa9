"""Design matrices: fixed effects standardised by training means/SDs, and group indices.

Covariates enter every model standardised, ``x_std = (x - mean) / sd``, with the mean and SD of
the fitting data; coefficients are therefore "per SD" and are converted to "per original
unit" by dividing by ``sd``. New data for predictions is given in original units and
transformed with the stored constants. ``family_options["standardise"]`` (term -> [mean, sd])
fixes the constants instead, so that "per SD" means the same in every data set (used by the
simulation-based calibration of multi-state models, whose per-transition data vary).

With time-varying covariates (a ``spells`` table whose columns the formula uses, see
:mod:`coalsurv.build.spells`) the fixed effects are built on the spell rows and standardised with
means/SDs over spell rows; ``Design.spells`` holds the spell-level matrix, and ``Design.X``
keeps meaning one row per episode (each episode's last spell). :meth:`Design.transform` takes
constant covariate profiles, as predictions do.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from coalsurv._format import rows_note
from coalsurv.build.collinearity import check_collinearity
from coalsurv.build.members import MemberRows, member_design
from coalsurv.build.spells import SpellRows, check_spell_model, time_varying_variables
from coalsurv.data.spells import last_spell_mask, spell_frame
from coalsurv.errors import SpecError
from coalsurv.spec.modelspec import GroupTerm, ModelSpec, guess_names

__all__ = ["Design", "GroupIndex", "make_design"]


@dataclass(frozen=True)
class GroupIndex:
    """Levels of one grouping factor and the level index of each row."""

    term: GroupTerm
    levels: tuple[str, ...]
    index: np.ndarray

    @property
    def name(self) -> str:
        """Safe variable-name form of the factor (``country:decade`` → ``country__decade``)."""
        return self.term.factor.replace(":", "__")


@dataclass(frozen=True)
class Design:
    """Standardised fixed-effect matrix and group indices of one data set.

    Attributes
    ----------
    terms : tuple of str
        Column names of ``X`` (formulaic names, e.g. ``breadth``, ``C(era)[T.cold_war]``).
    means, sds : ndarray
        Standardisation constants of each term (from the fitting data).
    X : ndarray, shape (n, p)
        Standardised design matrix (no intercept column), one row per episode; for a model
        with time-varying covariates, each episode's last spell.
    groups : tuple of GroupIndex
        Group indices of the episodes.
    spells : SpellRows or None
        Spell-level matrix and bounds when the formula uses time-varying covariates.
    cure : Design or None
        Design of the cure formula (a mixture-cure model's cured share), episode rows.
    strata : GroupIndex or None
        Levels of the ``strata=`` column and each episode's stratum.
    members : MemberRows or None
        Membership rows of an ``mm()`` term (:mod:`coalsurv.build.members`).
    shape : Design or None
        Design of the ``shape=`` formula (covariates of the family's shape), episode rows.
    """

    fixed_formula: str
    terms: tuple[str, ...]
    means: np.ndarray
    sds: np.ndarray
    X: np.ndarray
    groups: tuple[GroupIndex, ...]
    _formulaic_spec: object
    spells: SpellRows | None = None
    cure: Design | None = None
    strata: GroupIndex | None = None
    members: MemberRows | None = None
    shape: Design | None = None

    def strata_codes(self, newdata: pd.DataFrame) -> np.ndarray:
        """Stratum index of each row of ``newdata``; a missing column or unknown level raises."""
        column = self.strata.term.factor
        if column not in newdata.columns:
            raise SpecError(f"newdata needs the strata column {column!r} (levels: "
                            f"{list(self.strata.levels)}): each stratum has its own baseline")
        labels = newdata[column].astype(str).to_numpy()
        lookup = {lvl: i for i, lvl in enumerate(self.strata.levels)}
        codes = np.array([lookup.get(lbl, -1) for lbl in labels], dtype=int)
        if np.any(codes < 0):
            bad = sorted(set(labels[codes < 0]))
            raise SpecError(f"newdata column {column!r}: unknown strata {bad} in "
                            f"{rows_note(newdata.index[codes < 0])}; fitted strata: "
                            f"{list(self.strata.levels)}")
        return codes

    def transform(self, newdata: pd.DataFrame) -> np.ndarray:
        """Standardised design matrix for new rows given in original units.

        Each row is one covariate profile; time-varying covariates are held constant at the
        given value (predictions of a spell model are for constant profiles).
        """
        self.check_missing(newdata)
        if not self.terms:
            return np.zeros((len(newdata), 0))
        try:
            # na_action="ignore": formulaic would otherwise drop rows with NaN and every later
            # row's prediction would shift up by one
            mm = self._formulaic_spec.get_model_matrix(newdata, na_action="ignore")
        except Exception as exc:  # formulaic raises many types; name the missing columns
            needed = sorted(_variables(self._formulaic_spec) - set(newdata.columns))
            detail = f"missing column(s) {needed}" if needed else plain_message(exc)
            raise SpecError(
                f"newdata cannot be used with formula {self.fixed_formula!r}: {detail}"
            ) from None
        mm = mm.drop(columns=["Intercept"], errors="ignore")
        raw = np.asarray(mm, dtype=float)
        if raw.shape[0] != len(newdata):  # pragma: no cover - guarded by na_action above
            raise SpecError(f"newdata: formula {self.fixed_formula!r} dropped rows")
        problems = nonfinite_problems(raw, [str(c) for c in mm.columns], newdata.index)
        if problems:
            raise SpecError(
                "newdata gives NaN or infinite covariate values (fill or drop these rows)",
                problems,
            )
        return (raw - self.means) / self.sds

    def check_missing(self, newdata: pd.DataFrame) -> None:
        """Raise a SpecError naming the rows and columns of ``newdata`` with missing values.

        Only the columns the model uses (formula variables, grouping factors) are checked: a
        row with a missing value has no prediction, and formulaic would silently drop it.
        """
        used = set(_variables(self._formulaic_spec)) if self._formulaic_spec else set()
        used |= {c for g in self.groups for c in g.term.columns}
        problems = []
        for col in [c for c in newdata.columns if c in used]:
            bad = np.asarray(pd.isna(newdata[col]))
            if bad.any():
                problems.append(
                    f"column {col!r}: missing values (NaN) in {rows_note(newdata.index[bad])}"
                )
        if problems:
            raise SpecError("newdata has missing values in columns the model uses", problems)

    def group_codes(self, newdata: pd.DataFrame) -> list[np.ndarray]:
        """Level index of each row for every factor; -1 marks a level not seen in fitting."""
        codes = []
        for g in self.groups:
            missing = [c for c in g.term.columns if c not in newdata.columns]
            if missing:
                codes.append(np.full(len(newdata), -1))
                continue
            labels = _factor_labels(newdata, g.term)
            lookup = {lvl: i for i, lvl in enumerate(g.levels)}
            codes.append(np.array([lookup.get(lbl, -1) for lbl in labels], dtype=int))
        return codes


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def plain_columns(fixed: str, frame: pd.DataFrame) -> tuple[str, ...] | None:
    """Return the terms of ``fixed`` if it sums distinct plain numeric columns, else None.

    For such a formula (``a + b + c``: each term a Python name that is exactly one column of
    ``frame`` with a NumPy integer or float dtype, no term twice) formulaic's model matrix is
    those columns in the order written, named as written; :func:`make_design` then takes them
    directly and leaves formulaic (a fifth of a second to import in a fresh process, with
    the scipy modules it pulls in) to :class:`LazyFormulaicSpec`, i.e. to predictions on new
    data. Anything else (transforms, interactions, categorical, boolean or nullable columns,
    a name formulaic would read otherwise) returns None and goes through formulaic.
    """
    names = tuple(part.strip() for part in fixed.split("+"))
    if len(set(names)) != len(names):
        return None
    for name in names:
        if not _NAME.fullmatch(name) or keyword.iskeyword(name):
            return None
        if int((frame.columns == name).sum()) != 1:
            return None
        dtype = frame[name].dtype
        if not isinstance(dtype, np.dtype) or dtype.kind not in "iuf":
            return None
    return names


class LazyFormulaicSpec:
    """formulaic's model spec of a plain-column formula (:func:`plain_columns`), built on use.

    ``formulaic.model_matrix(formula, frame, na_action="ignore").model_spec`` on the first
    row of the fitting data's columns (for numeric columns the spec records each column's
    kind, not its values: equal to the spec of all rows), made the first time an attribute is
    asked for (``Design.transform`` and ``check_missing``: predictions on new data); every
    attribute is the real spec's.
    """

    def __init__(self, formula: str, frame: pd.DataFrame):
        self.__dict__["_formula"] = formula
        self.__dict__["_frame"] = frame
        self.__dict__["_spec"] = None

    def resolve(self):
        """Return the formulaic ``ModelSpec`` (made once)."""
        if self.__dict__["_spec"] is None:
            import formulaic

            self.__dict__["_spec"] = formulaic.model_matrix(
                self.__dict__["_formula"], self.__dict__["_frame"],
                na_action="ignore").model_spec
        return self.__dict__["_spec"]

    def __getattr__(self, name):
        if name.startswith("__"):  # copy, pickle and the like ask for dunders: not the spec's
            raise AttributeError(name)
        return getattr(self.resolve(), name)


def plain_message(exc: BaseException) -> str:
    """Return the text of a formulaic error without its ANSI colour codes."""
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(exc))


def nonfinite_problems(raw: np.ndarray, terms: list[str], rows: pd.Index) -> list[str]:
    """One problem per term with NaN or infinite values, naming the rows (their labels)."""
    problems = []
    for j, term in enumerate(terms):
        bad = ~np.isfinite(raw[:, j])
        if bad.any():
            problems.append(f"term {term!r}: NaN or infinite values in {rows_note(rows[bad])}")
    return problems


def _variables(spec: object) -> set[str]:
    try:
        return {str(v) for v in spec.variables} - {"C", "I", "np", "center", "scale", "log"}
    except AttributeError:  # pragma: no cover
        return set()


def _factor_labels(frame: pd.DataFrame, term: GroupTerm) -> list[str]:
    cols = [frame[c].astype(str) for c in term.columns]
    out = cols[0]
    for col in cols[1:]:
        out = out + ":" + col
    return out.tolist()


def _check_frailty_within_strata(spec: ModelSpec, groups: list, strata: GroupIndex) -> None:
    """Refuse a frailty (varying intercept) that is constant within each stratum.

    ``strata="country"`` gives every country its own baseline level (``strata_dev``); a
    ``(1 | country)`` frailty, or one of any factor coarser than the strata (a region holding
    whole countries), is then a second intercept per stratum: the two are not identified
    apart and the frailty SD is fitted on nothing but its prior.
    """
    problems = []
    for g in groups:
        if not g.term.intercept:
            continue
        pairs = set(zip(strata.index.tolist(), g.index.tolist(), strict=True))
        if len(pairs) == len(strata.levels):  # one level of the factor per stratum
            same = g.term.factor == strata.term.factor
            problems.append(
                f"({'1 | ' + g.term.factor}) with strata={strata.term.factor!r}: "
                + ("the same factor" if same else
                   f"each stratum lies within one level of {g.term.factor!r}")
                + ", so the frailty intercept is confounded with the strata's own baseline "
                "levels; drop the frailty term (or keep its slopes only: (0 + x | "
                f"{g.term.factor})) or drop strata=")
    if problems:
        raise SpecError(f"formula {spec.formula!r}: frailty and strata overlap", problems)


def make_design(spec: ModelSpec, data) -> Design:
    """Build the standardised design of ``data`` (a CoalitionData) for ``spec``.

    Raises
    ------
    SpecError
        When a formula variable or grouping factor is not in the data, a term is constant, or
        terms are linearly dependent (:mod:`coalsurv.build.collinearity`; near-collinear
        terms and a frailty spanned by fixed effects give a ``CollinearityWarning``).
    """
    varying = time_varying_variables(spec, data)
    if varying:
        check_spell_model(spec, data, varying)
        frame, spell_episode = spell_frame(data)
    else:
        frame = data.episode_profiles()
    fixed = spec.fixed_formula
    available = sorted(frame.columns)
    terms: tuple[str, ...] = ()
    means = sds = np.zeros(0)
    X = np.zeros((len(frame), 0))
    fspec = None
    if fixed.strip() not in ("1", ""):
        plain = plain_columns(fixed, frame)
        if plain is not None:  # formulaic's own matrix, without importing it (see the function)
            columns = frame[list(plain)]
            # a numeric column's spec holds no data (its kind only): one row makes the same
            # spec without keeping a copy of every row for the fit's lifetime
            fspec = LazyFormulaicSpec(f"1 + {fixed}", columns.iloc[:1].copy())
            terms = plain
            raw = np.asarray(columns, dtype=float)
        else:
            import formulaic

            try:
                mm = formulaic.model_matrix(f"1 + {fixed}", frame, na_action="ignore")
            except Exception as exc:
                fspec_vars = guess_names(fixed)
                missing = [v for v in fspec_vars if v not in frame.columns]
                detail = (f"unknown column(s) {missing}; covariates and groups available: "
                          f"{available}" if missing else plain_message(exc))
                raise SpecError(f"formula {spec.formula!r}: {detail}") from None
            fspec = mm.model_spec
            mm = mm.drop(columns=["Intercept"], errors="ignore")
            terms = tuple(str(c) for c in mm.columns)
            raw = np.asarray(mm, dtype=float)
        problems = nonfinite_problems(raw, list(terms), frame.index)
        if problems:
            raise SpecError(f"formula {spec.formula!r} gives NaN or infinite values", problems)
        with np.errstate(over="ignore", invalid="ignore"):
            means = raw.mean(axis=0)
            sds = raw.std(axis=0)
        huge = [t for t, m, s in zip(terms, means, sds, strict=True)
                if not (np.isfinite(m) and np.isfinite(s))]
        if huge:
            raise SpecError(
                f"formula {spec.formula!r}: term(s) {huge} have values too large to standardise "
                "(their mean or SD overflows); rescale them"
            )
        # pinned constants of terms; names that are not terms here go to the cure formula
        pinned = spec.family_options.get("standardise") or {}
        constant = [t for t, s in zip(terms, sds, strict=True) if not s > 0]
        if constant:
            raise SpecError(
                f"formula {spec.formula!r}: term(s) {constant} are constant in these data; "
                "a constant covariate has no estimable effect — drop it"
            )
        if pinned:  # constants fixed by the spec (the same "per SD" in every data set)
            means = np.array([pinned[t][0] if t in pinned else m for t, m in zip(terms, means,
                                                                                 strict=True)])
            sds = np.array([pinned[t][1] if t in pinned else v for t, v in zip(terms, sds,
                                                                               strict=True)])
        X = (raw - means) / sds
    spells = None
    if varying:
        last = last_spell_mask(data)
        episode_X = np.zeros((data.n, X.shape[1]))
        episode_X[spell_episode[last]] = X[last]
        spells = SpellRows(X=X, episode=spell_episode.astype(np.int64),
                           start=data.spells["start"].to_numpy(float),
                           stop=data.spells["stop"].to_numpy(float), last=last,
                           variables=varying)
        X = episode_X
    groups = []
    for term in spec.group_terms:
        missing = [c for c in term.columns if c not in data.groups.columns]
        if missing:
            raise SpecError(
                f"formula {spec.formula!r}: grouping factor {missing} is not a group column of the "
                f"data; group columns: {list(data.groups.columns)} "
                f"(pass groups=[...] to from_frame)"
            )
        for slope in term.slopes:
            if slope not in terms:
                raise SpecError(
                    f"formula {spec.formula!r}: varying slope {slope!r} in {term} must also be a "
                    f"fixed term; fixed terms: {list(terms)}"
                )
        labels = _factor_labels(data.groups, term)
        levels = tuple(sorted(set(labels)))
        if len(levels) < 2:
            raise SpecError(
                f"formula {spec.formula!r}: grouping factor {term.factor!r} has one level"
            )
        lookup = {lvl: i for i, lvl in enumerate(levels)}
        index = np.array([lookup[lbl] for lbl in labels], dtype=int)
        groups.append(GroupIndex(term, levels, index))
    unknown = sorted(set(spec.family_options.get("standardise") or {}) - set(terms))
    if unknown and spec.cure is None:
        raise SpecError(f"family_options standardise: {unknown} are not terms of the formula "
                        f"{spec.formula!r}; its terms: {list(terms)}")
    cure = None
    if spec.cure is not None:
        rest = {k: v for k, v in (spec.family_options.get("standardise") or {}).items()
                if k not in terms}
        cure = make_design(ModelSpec(spec.cure, family=spec.family, family_options={
            "standardise": rest} if rest else {}), data)
        if cure.spells is not None:
            raise SpecError(f"cure formula {spec.cure!r} uses time-varying covariates "
                            f"{list(cure.spells.variables)}; the cured share needs constant ones")
    strata = None
    if spec.strata is not None:
        if spec.strata not in data.groups.columns:
            raise SpecError(f"strata={spec.strata!r} is not a group column of the data; group "
                            f"columns: {list(data.groups.columns)} (pass groups=[...] to "
                            "from_frame)")
        term = GroupTerm(spec.strata)
        labels = _factor_labels(data.groups, term)
        levels = tuple(sorted(set(labels)))
        if len(levels) < 2:
            raise SpecError(f"strata={spec.strata!r} has one level; strata need two or more")
        lookup = {lvl: i for i, lvl in enumerate(levels)}
        strata = GroupIndex(term, levels, np.array([lookup[lbl] for lbl in labels], dtype=int))
        _check_frailty_within_strata(spec, groups, strata)
    check_collinearity(spec.formula, terms, spells.X if spells is not None else X, ()
                       if spells is not None else groups)
    shape = None
    if spec.shape is not None:
        try:
            shape = make_design(ModelSpec(spec.shape, family=spec.family), data)
        except SpecError as err:  # name the option: the formula alone reads like the main one
            raise SpecError(f"shape={spec.shape!r}: {err.headline}", err.problems) from None
        if shape.spells is not None:  # the shape of a spell's hazard would change mid-episode
            raise SpecError(f"shape={spec.shape!r} uses time-varying covariates (spell "
                            f"columns {list(shape.spells.variables)}); the shape's covariates "
                            "must be constant over an episode: give episode covariates")
        if not shape.terms:
            raise SpecError(f"shape={spec.shape!r} has no covariates; drop shape= for a "
                            "shape without covariates")
    return Design(fixed, terms, means, sds, X, tuple(groups), fspec, spells, cure, strata,
                  members=member_design(spec, data), shape=shape)
