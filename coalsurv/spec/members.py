"""Multiple-membership terms ``mm(x1 + x2, weights="power", random=True)`` of a formula.

For coalition ``i`` with members ``k`` in ``p[i]`` the linear predictor gains (per cause)::

    theta_i = sum_{k in p[i]} w_ik * (x_ik' beta_m + u_k),   u_k ~ Normal(0, sd_mm)

``x_ik`` are member-level columns of the data's members table (``id``, ``member``, ``share``,
...), ``u_k`` a random effect of each member shared by every coalition it belongs to. The
weights ``w_ik`` (:mod:`coalsurv.build.members`) are ``"equal"`` (1/n_i), ``"share"``
(proportional to ``share``), ``"power"`` (``share^gamma``, ``gamma >= 0`` estimated) or
``"logistic"`` (``1 / (1 + (n_i - 1) exp(-(b0 + b1 share)))``, ``b0, b1`` estimated),
normalised to sum to one within a coalition unless ``sum_to_one=False`` (bml's ``c = FALSE``).

``mm(1, ...)`` is the member random effect alone; ``random=False`` drops ``u_k``.
``centring="auto"`` (default), ``"centred"``, ``"noncentred"`` or ``"rotation"`` chooses how
``u_k`` is sampled (``u_k ~ Normal(0, sd_mm)`` itself, ``sd_mm * z_k``, or, for members nested
in a frailty factor, rotated together with that factor's levels:
:mod:`coalsurv.build.member_rotation`; :func:`coalsurv.build.members.member_centring` is the
data rule of ``"auto"``): how NUTS moves, never the model. One ``mm()``
term per formula. The term is removed from the formula before formulaic sees it
(:func:`split_mm`); :attr:`coalsurv.ModelSpec.mm_term` holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coalsurv.errors import SpecError

__all__ = ["CENTRING", "MmTerm", "WEIGHTS", "split_mm"]

#: Weight functions and their estimated parameters (posterior names).
WEIGHTS = {"equal": (), "share": (), "power": ("gamma",), "logistic": ("b0", "b1")}
_MM = re.compile(r"\bmm\s*\(")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_BOOL = {"true": True, "false": False}
#: The choices of ``mm(..., centring=)``: those of the family option ``frailty_centring`` and
#: ``"rotation"`` (members nested in a frailty factor, :mod:`coalsurv.build.member_rotation`).
CENTRING = ("auto", "centred", "noncentred", "rotation")


@dataclass(frozen=True)
class MmTerm:
    """One multiple-membership term.

    Parameters
    ----------
    variables : tuple of str
        Member-level covariates (columns of the members table); empty for ``mm(1)``.
    weights : str
        One of :data:`WEIGHTS`.
    random : bool
        Whether each member has a random effect ``u_k``.
    sum_to_one : bool
        Normalise the weights within each coalition (bml's ``c = TRUE``).
    centring : str
        How the member effects are sampled: one of :data:`CENTRING`.
    """

    variables: tuple[str, ...] = ()
    weights: str = "equal"
    random: bool = True
    sum_to_one: bool = True
    centring: str = "auto"

    @property
    def terms(self) -> tuple[str, ...]:
        """Coefficient names of the member covariates (``mm(finance)``)."""
        return tuple(f"mm({v})" for v in self.variables)

    @property
    def weight_params(self) -> tuple[str, ...]:
        """Names of the estimated weight parameters (``gamma``; ``b0``, ``b1``)."""
        return WEIGHTS[self.weights]

    @property
    def needs_share(self) -> bool:
        """Whether the weights read the members table's ``share`` column."""
        return self.weights != "equal"

    def __str__(self) -> str:
        inner = " + ".join(self.variables) or "1"
        centring = "" if self.centring == "auto" else f", centring={self.centring!r}"
        return (f"mm({inner}, weights={self.weights!r}, random={self.random}, "
                f"sum_to_one={self.sum_to_one}{centring})")


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one opened just before ``start``."""
    depth = 1
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def _parse(inner: str, formula: str) -> MmTerm:
    parts = [p.strip() for p in inner.split(",")]
    first, options = parts[0], parts[1:]
    if first in ("1", ""):
        variables: tuple[str, ...] = ()
    else:
        variables = tuple(v.strip() for v in first.split("+"))
        bad = [v for v in variables if not _NAME.match(v)]
        if bad:
            raise SpecError(f"formula {formula!r}: mm({inner}) takes plain member-table column "
                            f"names joined by '+', or 1; got {bad}")
        if len(set(variables)) != len(variables):
            raise SpecError(f"formula {formula!r}: mm({inner}) names a column twice")
    kwargs: dict[str, object] = {}
    for option in options:
        key, eq, value = (s.strip() for s in option.partition("="))
        value = value.strip("'\"")
        if not eq or key not in ("weights", "random", "sum_to_one", "centring"):
            raise SpecError(f"formula {formula!r}: mm({inner}): unknown option {option!r}; "
                            "options: weights=, random=, sum_to_one=, centring=")
        if key == "weights":
            if value not in WEIGHTS:
                raise SpecError(f"formula {formula!r}: mm(): unknown weights {value!r}; "
                                f"expected one of {list(WEIGHTS)}")
            kwargs[key] = value
        elif key == "centring":
            if value not in CENTRING:
                raise SpecError(f"formula {formula!r}: mm(): centring must be one of "
                                f"{list(CENTRING)}, got {value!r}")
            kwargs[key] = value
        else:
            if value.lower() not in _BOOL:
                raise SpecError(f"formula {formula!r}: mm(): {key} must be True or False, "
                                f"got {value!r}")
            kwargs[key] = _BOOL[value.lower()]
    term = MmTerm(variables, **kwargs)  # type: ignore[arg-type]
    if not term.variables and not term.random:
        raise SpecError(f"formula {formula!r}: mm(1, random=False) models nothing; give member "
                        "covariates or keep the member random effect")
    if not term.random and term.centring != "auto":
        raise SpecError(f"formula {formula!r}: mm(): centring={term.centring!r} with "
                        "random=False: there are no member effects to centre")
    return term


def split_mm(formula: str) -> tuple[str, MmTerm | None]:
    """Remove the ``mm(...)`` term from a formula; return the rest and the parsed term.

    Raises
    ------
    SpecError
        A malformed ``mm(...)``, an unknown option or weight name, or more than one term.
    """
    match = _MM.search(formula)
    if match is None:
        return formula, None
    end = _closing(formula, match.end())
    if end < 0:
        raise SpecError(f"formula {formula!r}: mm( is not closed")
    term = _parse(formula[match.end():end], formula)
    rest = formula[:match.start()] + formula[end + 1:]
    if _MM.search(rest):
        raise SpecError(f"formula {formula!r}: more than one mm() term; put every member "
                        "covariate into one mm(x1 + x2, ...)")
    # tidy the '+' left behind
    rest = re.sub(r"\+\s*\+", "+", rest).strip()
    rest = re.sub(r"^(~\s*)?\+", r"\1", rest).strip()
    rest = re.sub(r"\+\s*$", "", rest).strip()
    if rest.endswith("~") or not rest:
        rest = rest + " 1"
    return rest.strip(), term
