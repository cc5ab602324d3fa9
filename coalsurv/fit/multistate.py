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

Effects or a frailty *shared* across transitions (``shared={"x": [keys]}``,
``frailty="(1 | country)"``) couple the transitions' posteriors: the model is then fitted as
ONE joint graph on the stacked sojourns (:mod:`coalsurv.fit.multistate_joint`), each
transition its own baseline (strata by transition); group terms in the formulas (without
sharing) give each transition its own frailty in separate fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalsurv.data.transitions import CLOCKS, TransitionData
from coalsurv.endings import Endings, Transition, parse_transition
from coalsurv.errors import CoalitionDataError, SpecError
from coalsurv.fit.model import SurvivalModel
from coalsurv.fit.multistate_fit import MultiStateFit
from coalsurv.fit.multistate_joint import JOINT_CAUSE, TRANSITION_COLUMN, make_layout
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
    frailty : str
        ``"per_transition"`` (default): group terms in the formulas give each transition its
        own frailty. A group intercept such as ``"(1 | country)"``: ONE frailty shared by every
        transition (one effect per country in all their hazards), fitted as a joint graph.
    model_options : dict or mapping of transition key to dict, optional
        Further keyword options of :class:`~coalsurv.SurvivalModel` (e.g. a cure formula
        once the model has one), for every transition or per transition key. A joint model
        takes one dict, of ``strata`` only (crossed with the transition strata).
    name : str
    shared : mapping of str to list of str, optional
        Covariates whose effect is shared by several transitions: ``{"breadth": ["shallow ->
        deep", "deep -> institutionalised"]}`` gives one breadth coefficient (per SD over
        those transitions' sojourns) to both. Each named transition's formula must name the
        covariate. Any sharing (or a shared frailty) makes the model one joint graph:
        one family for all transitions, one prior set (keys ``beta[x__shared]``,
        ``beta[x__<source>_to_<target>]``, ``strata_dev``; default ``strata_dev`` here
        ``Normal(0, 3)``: transitions' baselines may differ by orders of magnitude), plain
        covariate names in the formulas.

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
                 frailty: str = "per_transition", model_options=None, name: str = "",
                 shared=None):
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
        if not isinstance(frailty, str) or frailty == "shared":
            problems.append(f"frailty={frailty!r}: expected 'per_transition' or the group "
                            "term shared by every transition (one joint graph), e.g. "
                            "'(1 | country)'")
            frailty = "per_transition"
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
        formulas = {str(parse_transition(k)): v for k, v in transitions.items()
                    if _norm(k) in parsed}
        self.joint, self.joint_model = None, None
        if not problems:
            self.joint, more = make_layout(
                formulas, shared=shared,
                frailty="" if frailty == "per_transition" else frailty,
                strata=(model_options or {}).get("strata", "")
                if isinstance(model_options, Mapping) and not _is_per_transition(
                    model_options, keys) else "")
            problems += more + (_joint_problems(family, priors, family_options, model_options,
                                                keys) if self.joint else [])
        if problems:
            raise SpecError("invalid MultiStateModel", problems)
        self.transitions = parsed
        self.formulas = formulas
        self.clock = clock
        self.name = name
        self.endings = Endings(tuple(parsed.values()))
        self.models = {}
        if self.joint is not None:
            self._joint_options = {"family": family if isinstance(family, str)
                                   else next(iter(family.values())), "priors": priors,
                                   "family_options": dict(family_options or {})}
            return
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
        if self.joint is not None:
            return {k: self._joint_options["family"] for k in self.transitions}
        return {k: m.spec.family for k, m in self.models.items()}

    def joint_survival_model(self, data: TransitionData):
        """Return the joint graph's SurvivalModel and its stacked rows (a joint model only)."""
        from coalsurv.spec.priors import Prior

        opts = self._joint_options
        stacked = self.joint.stack(data, self.clock)
        model = SurvivalModel(
            self.joint.formula, family=opts["family"], causes=[JOINT_CAUSE],
            priors=opts["priors"], strata=TRANSITION_COLUMN, name=self.name or "multi-state",
            family_options={**opts["family_options"],
                            "standardise": self.joint.standardise(data)})
        if model.priors.explicit("strata_dev") is None:
            model.priors = model.priors.with_priors(strata_dev=Prior("Normal", mu=0, sigma=3))
        return model, stacked

    def episodes(self, data: TransitionData) -> dict[str, Any]:
        """Return the per-transition episode data (CoalitionData) of ``data`` under this clock."""
        self._check_events(data)
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

    def _check_events(self, data) -> None:
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

    def _columns(self, key: str, data: TransitionData) -> list[str]:
        """Return the data columns transition ``key``'s model may use (formula, options).

        A column whose name is not a plain identifier (cannot be spotted in a formula) is
        always kept.
        """
        if self.joint is not None:
            return [*self.joint.covariates(key), *self.joint.factors,
                    *([self.joint.strata] if self.joint.strata else [])]
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
        episodes = self.episodes(data) if self.joint is None else None
        if self.joint is not None:
            self._check_events(data)
            model, stacked = self.joint_survival_model(data)
            fit = model.fit(stacked, draws=draws, tune=tune, chains=chains,
                            random_seed=random_seed, **options)
            return MultiStateFit(fits={}, transitions=dict(self.transitions), clock=self.clock,
                                 data=data, name=self.name, joint=fit, layout=self.joint)
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


def _joint_problems(family, priors, family_options, model_options, keys) -> list[str]:
    """List what a joint model (shared effects or frailty) cannot take per transition."""
    why = "a model with shared effects or a shared frailty is one joint graph"
    out = []
    if _is_per_transition(family, keys) and len({str(v) for v in family.values()}) > 1:
        out.append(f"family: {dict(family)} differ by transition; {why} of one family "
                   "(each transition keeps its own baseline level and shape)")
    elif not isinstance(family, str) and not _is_per_transition(family, keys):
        out.append(f"family: expected a family name, got {family!r}")
    for option, value in (("priors", priors), ("family_options", family_options)):
        if _is_per_transition(value, keys):
            out.append(f"{option}: per-transition values are not supported: {why}; give one "
                       f"{option} (coefficient keys beta[x__<source>_to_<target>], "
                       "beta[x__shared])")
    if model_options is not None:
        if _is_per_transition(model_options, keys) or not isinstance(model_options, Mapping):
            out.append(f"model_options: expected one dict (of 'strata' only): {why}")
        elif set(model_options) - {"strata"}:
            out.append(f"model_options {sorted(set(model_options) - {'strata'})}: a joint "
                       "multi-state model takes only 'strata' (crossed with the transitions)")
        elif not isinstance(model_options["strata"], str) or not model_options["strata"]:
            out.append(f"model_options strata={model_options['strata']!r}: expected a group "
                       "column name")
    return out


def _pick(value, key, keys):
    if _is_per_transition(value, keys):
        return {_norm(k): v for k, v in value.items()}.get(key)
    return value


def _check_data(data) -> None:
    if not isinstance(data, TransitionData):
        raise SpecError(f"a MultiStateModel needs TransitionData, got {type(data).__name__}; "
                        "build it with TransitionData.from_frame(df, id=..., state=..., "
                        "start=..., stop=..., to=...)")
