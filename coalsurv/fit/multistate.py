"""MultiStateModel: Bayesian multi-state paths (coalition -> alliance -> community).

The multi-state likelihood factorises over transitions given the clock: the sojourns in state
``r`` contribute, for each transition ``r -> s``, a survival likelihood whose event is entering
``s`` (every other exit censors the sojourn). With independent priors per transition the
posterior factorises too, so each transition is fitted as one
:class:`~coalsurv.fit.model.SurvivalModel` on the episodes
:meth:`~coalsurv.data.transitions.TransitionData.episodes` builds — every family, frailty term,
spell and prior of a single-ending model is available per transition — and draws of different
transitions are paired by index (independent posteriors).

Clocks: ``"reset"`` (semi-Markov; time since entering the current state) and ``"forward"``
(Markov; time since the unit's first state, with delayed entry at the sojourn's start).

A frailty *shared* across transitions would couple the transitions' posteriors and needs one
joint graph; it is refused (``frailty="shared"`` raises :class:`~coalsurv.errors.SpecError`):
group terms in the formulas give each transition its own frailty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalsurv.data.transitions import CLOCKS, TransitionData
from coalsurv.endings import Endings, Transition, parse_transition
from coalsurv.errors import CoalitionDataError, SpecError
from coalsurv.fit.model import SurvivalModel
from coalsurv.fit.multistate_fit import MultiStateFit
from coalsurv.spec.modelspec import guess_names
from coalsurv.spec.priors import PriorSet

__all__ = ["MultiStateModel"]


class MultiStateModel:
    """A Bayesian multi-state model: one hazard model per transition.

    Parameters
    ----------
    transitions : mapping of str to str
        ``"coalition -> alliance"``-style keys, each with a right-hand-side formula
        (``"breadth + (1 | region)"``; ``"1"`` for no covariates).
    family : str or mapping of str to str
        One family for every transition or one per transition key.
    clock : {"reset", "forward"}
        ``reset``: time since entering the current state (semi-Markov); ``forward``: time since
        the first state (Markov).
    priors : PriorSet, dict or path, or mapping of transition key to one of those, optional
        Priors for every transition, or per transition key.
    family_options : dict or mapping of transition key to dict, optional
    frailty : {"per_transition"}
        Group terms give each transition its own frailty; ``"shared"`` is refused (see the
        module docstring).
    model_options : dict or mapping of transition key to dict, optional
        Further keyword options of :class:`~coalsurv.SurvivalModel` (e.g. a cure formula
        once the model has one), for every transition or per transition key.
    name : str

    Examples
    --------
    >>> m = MultiStateModel({"coalition -> alliance": "breadth",
    ...                      "coalition -> dissolution": "breadth",
    ...                      "alliance -> dissolution": "1"}, clock="reset")
    >>> m.endings.absorbing
    ('dissolution',)
    """

    def __init__(self, transitions: Mapping[str, str], *,
                 family: str | Mapping[str, str] = "weibull",
                 clock: str = "reset", priors=None, family_options=None,
                 frailty: str = "per_transition", model_options=None, name: str = ""):
        if not isinstance(transitions, Mapping) or not transitions:
            raise SpecError("transitions: expected a non-empty mapping of "
                            "'from_state -> to_state' keys to formulas, got "
                            f"{type(transitions).__name__}")
        problems = []
        parsed: dict[str, Transition] = {}
        given: dict[str, list] = {}   # canonical key -> the keys given for it
        for key, formula in transitions.items():
            try:
                t = parse_transition(key)
            except SpecError as exc:
                problems.append(str(exc))
                continue
            parsed[str(t)] = t
            given.setdefault(str(t), []).append(key)
            if not isinstance(formula, str) or not formula.strip():
                problems.append(f"transition {key!r}: expected a formula string, got {formula!r}")
        problems += [f"transitions: keys {', '.join(repr(k) for k in keys)} name the same "
                     f"transition '{canon}'; give it once (one formula per transition)"
                     for canon, keys in given.items() if len(keys) > 1]
        if clock not in CLOCKS:
            problems.append(f"clock={clock!r}: expected one of {CLOCKS}")
        if frailty != "per_transition":
            problems.append(
                f"frailty={frailty!r}: only 'per_transition' is supported; a frailty shared "
                "across transitions needs one joint graph of all transitions, which coalsurv "
                "does not build — give each transition its own group term")
        keys = list(parsed)
        for option, value in (("family", family), ("priors", priors),
                              ("family_options", family_options),
                              ("model_options", model_options)):
            if _is_per_transition(value, keys):
                twice: dict[str, list] = {}
                for k in value:
                    twice.setdefault(_norm(k), []).append(k)
                problems += [f"{option}: keys {', '.join(repr(k) for k in ks)} name the same "
                             f"transition '{c}'; give it once" for c, ks in twice.items()
                             if len(ks) > 1]
                unknown = [k for k in value if _norm(k) not in keys]
                missing = [k for k in keys if k not in {_norm(x) for x in value}]
                if unknown or (option == "family" and missing):
                    problems.append(f"{option}: keys {unknown or missing} do not match the "
                                    f"transitions {keys}")
        if problems:
            raise SpecError("invalid MultiStateModel", problems)
        self.transitions = parsed
        self.formulas = {str(parse_transition(k)): v for k, v in transitions.items()}
        self.clock = clock
        self.name = name
        self.endings = Endings(tuple(parsed.values()))
        self.models = {}
        for key, t in parsed.items():
            extra = dict(_pick(model_options, key, keys) or {})
            try:
                self.models[key] = SurvivalModel(
                    self.formulas[key], family=_pick(family, key, keys), causes=[t.target],
                    priors=_pick(priors, key, keys),
                    family_options=_pick(family_options, key, keys),
                    name=f"{name + ': ' if name else ''}{key}", **extra)
            except TypeError as exc:
                raise SpecError(f"transition {key!r}: model_options {sorted(extra)} are not "
                                f"options of SurvivalModel ({exc})") from None

    def __repr__(self) -> str:
        body = ", ".join(f"{k!r}: {v!r}" for k, v in self.formulas.items())
        return f"MultiStateModel({{{body}}}, clock={self.clock!r})"

    @property
    def families(self) -> dict[str, str]:
        """Family name per transition key."""
        return {k: m.spec.family for k, m in self.models.items()}

    def episodes(self, data: TransitionData) -> dict[str, Any]:
        """Return the per-transition episode data (CoalitionData) of ``data`` under this clock."""
        _check_data(data)
        data.check_declared(list(self.transitions.values()))
        # checked before the episodes are built: CoalitionData refuses all-censored episodes
        # with a message that does not name the transition
        problems = [f"transition {key!r}: no sojourn in {t.source!r} ends by entering "
                    f"{t.target!r}; its hazard cannot be estimated"
                    for key, t in self.transitions.items()
                    if data.observed.get((t.source, t.target), 0) == 0]
        if problems:
            raise SpecError("multi-state data cannot inform every transition", problems)
        out, problems = {}, []
        for key, t in self.transitions.items():
            try:
                out[key] = data.episodes(t.source, t.target, clock=self.clock,
                                         columns=self._columns(key, data))
            except CoalitionDataError as exc:
                # the sojourns in one state make the episodes of each transition out of it:
                # name the transition, not only the column
                problems += [f"transition {key!r} (the sojourns in {t.source!r}): {p}"
                             for p in (exc.problems or [exc.headline])]
        if problems:
            raise CoalitionDataError("the sojourns of some transitions cannot be modelled",
                                     problems)
        return out

    def _columns(self, key: str, data: TransitionData) -> list[str]:
        """Return the data columns transition ``key``'s model may use (formula, options).

        A column whose name is not a plain identifier (cannot be spotted in a formula) is
        always kept.
        """
        text = " ".join([self.formulas[key], *(
            str(v) for v in vars(self.models[key].spec).values() if isinstance(v, str))])
        used = set(guess_names(text))
        return [c for c in (*data.covariate_names, *data.group_names)
                if c in used or not c.isidentifier()]

    def fit(self, data: TransitionData, *, draws: int = 1000, tune: int = 1000,
            chains: int = 4, random_seed: int = 0, **options) -> MultiStateFit:
        """Fit every transition's hazard model (seeded ``random_seed + k`` for the k-th).

        Parameters
        ----------
        data : TransitionData
        draws, tune, chains, random_seed
            As in :meth:`coalsurv.SurvivalModel.fit`.
        **options
            Other :meth:`~coalsurv.SurvivalModel.fit` options (``target_accept``,
            ``progressbar``, ``cores``).
        """
        episodes = self.episodes(data)
        fits = {}
        for k, (key, model) in enumerate(self.models.items()):
            fits[key] = model.fit(episodes[key], draws=draws, tune=tune, chains=chains,
                                  random_seed=random_seed + k if isinstance(random_seed, int)
                                  else random_seed, **options)
        return MultiStateFit(fits=fits, transitions=dict(self.transitions), clock=self.clock,
                             data=data, name=self.name)


def _norm(key: str) -> str:
    try:
        return str(parse_transition(key))
    except SpecError:
        return key


def _is_per_transition(value, keys) -> bool:
    return isinstance(value, Mapping) and not isinstance(value, PriorSet) and bool(value) and \
        all(isinstance(k, str) and "->" in k for k in value)


def _pick(value, key, keys):
    if _is_per_transition(value, keys):
        return {_norm(k): v for k, v in value.items()}.get(key)
    return value


def _check_data(data) -> None:
    if not isinstance(data, TransitionData):
        raise SpecError(f"a MultiStateModel needs TransitionData, got {type(data).__name__}; "
                        "build it with TransitionData.from_frame(df, id=..., state=..., "
                        "start=..., stop=..., to=...)")
