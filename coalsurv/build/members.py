"""Multiple membership in the model: membership rows, weights and the member term of eta.

For coalition ``i`` with members ``k`` in ``p[i]`` (:mod:`coalsurv.spec.members`)::

    theta_{c,i} = sum_{k in p[i]} w_ik * (x_ik' beta_mm[c] + u_mm[c, k])
    u_mm[c, k] = sd_mm[c] * z_mm[c, k],  z_mm ~ Normal(0, 1)            (non-centred)
    u_mm[c, k] ~ Normal(0, sd_mm[c]),     z_mm = u_mm / sd_mm          (centred)

per modelled cause ``c``; ``theta`` is added to eta (:func:`member_theta`). The membership is
kept as rows ``r`` (one per (coalition, member) pair): ``coalition[r]``, ``member[r]``,
``share[r]`` and the standardised member covariates ``X[r]`` (means and SDs over membership
rows, so ``beta_mm`` is per SD and ``beta_mm / sd`` per unit). Weights are computed per row and
normalised with a segment sum over the coalition (an indexed increment, O(rows)):

* ``equal``     ``1``                                        (normalised: ``1 / n_i``)
* ``share``     ``share``
* ``power``     ``share ** gamma``, ``gamma >= 0`` (0: equal, 1: proportional)
* ``logistic``  ``1 / (1 + (n_i - 1) exp(-(b0 + b1 share)))`` (bml's weight function)

``sum_to_one=False`` keeps the raw weights (bml's ``c = FALSE``). Fixed weights (``equal``,
``share``) enter as data. :func:`weights` is the one formula, for NumPy and PyTensor.

``mm(..., centring=)`` chooses the form of the member effects; ``"auto"`` follows
:func:`member_centring` (the data rule of ``frailty_centring``, with each member's events
weighted by its squared weight). Both forms are the same model: only how NUTS moves differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coalsurv._format import fmt_ids
from coalsurv.build.coefficients import coefficient_prior
from coalsurv.build.member_rotation import refuse_rotation, rotated_effects, rotation_group
from coalsurv.data.values import as_numeric
from coalsurv.errors import CoalitionDataError, PriorError, SpecError
from coalsurv.spec.members import MmTerm

__all__ = ["MEMBER_CENTRE_MIN_EVENTS", "MemberRows", "member_centring", "member_design",
           "member_events", "member_info", "member_on_intercept", "member_theta",
           "weight_names", "weights"]


@dataclass(frozen=True)
class MemberRows:
    """Membership rows of one data set (episode order, then the members table's order).

    Attributes
    ----------
    term : MmTerm
    coalition : ndarray of int, shape (rows,)
        Episode position of each row.
    member : ndarray of int, shape (rows,)
        Index into ``levels``.
    share : ndarray, shape (rows,)
        The members table's ``share`` (ones when it has none).
    size : ndarray, shape (rows,)
        Number of members of the row's coalition (``n_i``).
    X : ndarray, shape (rows, q)
        Standardised member covariates.
    means, sds : ndarray, shape (q,)
    levels : tuple of str
        Member labels (sorted).
    n_episodes : int
    episode_ids : tuple
        The data's episode ids (predictions match newdata rows to them).
    """

    term: MmTerm
    coalition: np.ndarray
    member: np.ndarray
    share: np.ndarray
    size: np.ndarray
    X: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    levels: tuple[str, ...]
    n_episodes: int
    episode_ids: tuple = ()

    @property
    def n_coalitions(self) -> np.ndarray:
        """Number of coalitions each member belongs to (``levels`` order)."""
        return np.bincount(self.member, minlength=len(self.levels))

    def key(self) -> list:
        """Shape part of a compiled-model cache key."""
        return [str(self.term), len(self.coalition), len(self.levels), self.n_episodes]


def weights(term: MmTerm, share, size, coalition, n_episodes: int, params: dict, *, xp=np):
    """Weight of each membership row (NumPy arrays, or PyTensor with ``xp=pytensor.tensor``).

    ``params`` holds ``gamma`` (power) or ``b0``, ``b1`` (logistic) as scalars.
    """
    if term.weights == "equal":
        raw = share * 0.0 + 1.0
    elif term.weights == "share":
        raw = share
    elif term.weights == "power":
        raw = xp.exp(params["gamma"] * xp.log(share))
    else:
        raw = 1.0 / (1.0 + (size - 1.0) * xp.exp(-(params["b0"] + params["b1"] * share)))
    if not term.sum_to_one:
        return raw
    if xp is np:
        total = np.bincount(coalition, weights=raw, minlength=n_episodes)
    else:
        total = xp.zeros(n_episodes)[coalition].inc(raw)
    return raw / total[coalition]


def weight_names(term: MmTerm, family_params=()) -> dict[str, str]:
    """Posterior name of each weight parameter (``gamma``; ``mm_gamma`` beside Gompertz's)."""
    return {p: (f"mm_{p}" if p in family_params else p) for p in term.weight_params}


def _members_table(spec, data, term: MmTerm) -> pd.DataFrame:
    if data.members is None:
        raise SpecError(f"formula {spec.formula!r}: mm() needs a members table; pass "
                        "members=DataFrame(id, member, share, member columns) to "
                        "CoalitionData.from_frame")
    table = data.members
    problems = []
    missing = [v for v in term.variables if v not in table.columns]
    if missing:
        problems.append(f"mm(): column(s) {missing} are not in the members table; its columns: "
                        f"{list(table.columns)}")
    if term.needs_share and "share" not in table.columns:
        problems.append(f"mm(weights={term.weights!r}) needs a 'share' column in the members "
                        "table; use weights='equal' or add the shares")
    clash = [g.factor for g in spec.group_terms if g.factor == "mm"]
    if clash:
        problems.append("a grouping factor named 'mm' clashes with the members term's names")
    if problems:
        raise SpecError(f"formula {spec.formula!r}: invalid mm() term", problems)
    return table


def member_design(spec, data) -> MemberRows | None:
    """Membership rows of ``data`` for the spec's ``mm()`` term (None without one).

    Raises
    ------
    SpecError
        No members table, an ``mm()`` column not in it, weights that need ``share`` without
        one, a constant member covariate.
    CoalitionDataError
        Coalitions without members (named), missing member covariates (coalition and member
        named), shares not positive where the weights use them.
    """
    term = spec.mm_term
    if term is None:
        return None
    table = _members_table(spec, data, term)
    ids = pd.Index(data.ids)
    pos = ids.get_indexer(table["id"])
    table = table.loc[pos >= 0]
    pos = pos[pos >= 0]
    problems: list[str] = []
    empty = ids[np.bincount(pos, minlength=len(ids)) == 0]
    if len(empty):
        problems.append(f"members: coalitions without members: ids {fmt_ids(empty)}; every "
                        "episode of an mm() model needs at least one member")
    pairs = pd.Series(list(zip(table["id"], table["member"], strict=True)), dtype=object)
    columns = []
    for v in term.variables:
        values = as_numeric(table[v], column=f"members.{v}", ids=pd.Index(table["id"]),
                            problems=problems, allow_bool=True)
        bad = ~np.isfinite(values)
        if bad.any():
            problems.append(f"members.{v}: missing values for (coalition, member) "
                            f"{fmt_ids(pairs[bad].tolist())}")
        columns.append(values)
    share = np.ones(len(table))
    if term.needs_share:
        share = as_numeric(table["share"], column="members.share", ids=pd.Index(table["id"]),
                           problems=problems, allow_bool=False)
        bad = ~(share > 0)
        if bad.any():
            problems.append(f"members.share: shares must be positive for weights="
                            f"{term.weights!r}; not positive (or missing) for (coalition, "
                            f"member) {fmt_ids(pairs[bad].tolist())}; drop those memberships "
                            "or use weights='equal'")
    if problems:
        raise CoalitionDataError("invalid members table for the mm() term", problems)
    raw = np.column_stack(columns) if columns else np.zeros((len(table), 0))
    means, sds = raw.mean(axis=0), raw.std(axis=0)
    constant = [v for v, s in zip(term.variables, sds, strict=True) if not s > 0]
    if constant:
        raise SpecError(f"formula {spec.formula!r}: member covariate(s) {constant} are constant "
                        "over the membership rows; they have no estimable effect")
    labels = table["member"].astype(str).to_numpy()
    levels = tuple(sorted(set(labels)))
    lookup = {lvl: i for i, lvl in enumerate(levels)}
    size = np.bincount(pos, minlength=len(ids)).astype(float)
    return MemberRows(term=term, coalition=pos.astype(np.int64),
                      member=np.array([lookup[x] for x in labels], dtype=np.int64),
                      share=np.asarray(share, float), size=size[pos],
                      X=(raw - means) / np.where(sds > 0, sds, 1.0), means=means, sds=sds,
                      levels=levels, n_episodes=len(ids), episode_ids=tuple(ids))


#: ``mm(..., centring="auto")`` centres the member effects when the 10th percentile over
#: members of their weighted events (:func:`member_centring`; the fewest over causes) is at
#: least this: the threshold of ``frailty_centring="auto"``
#: (``coalsurv.build.info.CENTRE_MIN_EVENTS``), which the rule reduces to with one member per
#: coalition of weight 1.
MEMBER_CENTRE_MIN_EVENTS = 20.0


def member_events(rows: MemberRows, events: np.ndarray) -> np.ndarray:
    """Weighted events of each member per cause: ``sum_i w_ik^2 d_ci`` (cause, member).

    ``events``: (cause, episode) event counts. ``w_ik`` are the fixed weights (``equal``,
    ``share``) or, where they are estimated (``power``, ``logistic``), the equal weights with
    the same ``sum_to_one``: ``w^2 d`` is the information the coalition's events carry about
    the member's effect (a unit weight: its events, as for a frailty level).
    """
    term = rows.term
    proxy = term if term.weights in ("equal", "share") else MmTerm(
        weights="equal", sum_to_one=term.sum_to_one)
    w = weights(proxy, rows.share, rows.size, rows.coalition, rows.n_episodes, {})
    per_row = events[:, rows.coalition] * w[None, :] ** 2
    return np.stack([np.bincount(rows.member, weights=row, minlength=len(rows.levels))
                     for row in per_row])


def member_centring(rows: MemberRows, events: np.ndarray) -> bool:
    """Whether the member effects are sampled centred (``u_mm ~ Normal(0, sd_mm)``).

    ``mm(..., centring=)``: ``"centred"``, ``"noncentred"`` or ``"auto"``: centred when
    the 10th percentile over members of :func:`member_events` is at least
    :data:`MEMBER_CENTRE_MIN_EVENTS` for every cause, i.e. when every member's own
    coalitions pin its effect (likelihood precision ~ weighted events against a prior
    precision ``1 / sd_mm^2`` of order 1); thinly observed members (a few coalitions, each
    sharing its events among several members) stay non-centred.
    """
    term = rows.term
    if not term.random:
        return False
    if term.centring != "auto":
        return term.centring == "centred"
    per_member = member_events(rows, events)
    return bool(np.quantile(per_member, 0.1, axis=1).min() >= MEMBER_CENTRE_MIN_EVENTS)


def member_on_intercept(info) -> bool:
    """Whether centred member effects are sampled around the intercept (``w_mm``).

    When their weights sum to one within each coalition (every coalition's member term then
    shifts with the intercept: an exact ridge of the likelihood) and no frailty intercept is
    already centred on it (``info.centred_groups``: the first takes the intercept).
    """
    mm = info.members or {}
    return bool(mm.get("centred") and mm.get("sum_to_one", True)
                and not tuple(info.centred_groups))


def member_info(rows: MemberRows | None, family_params=(), events=None, groups=(), *,
                formula: str = "", joint: bool = False) -> dict:
    """Return the plain record of the members term kept in :class:`~coalsurv.build.ModelInfo`.

    ``events`` (cause, episode): the data's events, for ``centring="auto"``
    (:func:`member_centring`); without them the member effects stay non-centred under
    ``"auto"``. ``groups``: the design's frailty factors; ``"auto"`` picks the rotation
    (:mod:`coalsurv.build.member_rotation`) when the members nest in one of them, the weights
    sum to one, there is one cause and no joint prior (``joint``: the native kernel rotates
    neither); ``"rotation"`` where it cannot hold raises ``SpecError`` (``formula`` names the
    model). ``centring`` records the form used (``"rotation"``,
    ``"centred"`` or ``"noncentred"``), ``rotation_group`` its factor (``""`` otherwise).
    """
    if rows is None:
        return {}
    t = rows.term
    group, problems = "", []
    if t.centring in ("auto", "rotation") and t.random:
        group, problems = rotation_group(rows, groups)
        if t.centring == "auto" and (joint or (events is not None and events.shape[0] != 1)):
            group = ""  # the native kernel rotates one cause, no joint prior (plan_rotation)
    if t.centring == "rotation" and not group:
        raise refuse_rotation(formula, t, problems)
    centred = (not group and (member_centring(rows, events) if events is not None
                              or t.centring != "auto" else False))
    return {"formula": str(t), "variables": list(t.variables), "terms": list(t.terms),
            "means": [float(m) for m in rows.means], "sds": [float(s) for s in rows.sds],
            "weights": t.weights, "random": t.random, "sum_to_one": t.sum_to_one,
            "centred": centred, "weight_params": weight_names(t, family_params),
            "centring": "rotation" if group else "centred" if centred else "noncentred",
            "rotation_group": group}


def _positive(priors, key: str, resolved: dict):
    prior = priors.get(key)
    if prior.support != "positive":
        raise PriorError(f"prior {key!r}: {prior} can be negative but {key} must be positive; "
                         "use e.g. HalfNormal, LogNormal, Gamma or Exponential")
    resolved[key] = prior
    return prior


def _per_cause(priors_list, name: str, dims):
    """One RV ``name`` with a leading cause axis from one prior per cause."""
    import pymc as pm
    import pytensor.tensor as pt

    if all(p == priors_list[0] for p in priors_list):
        return priors_list[0].to_pymc(name, dims=dims)
    parts = [p.to_pymc(f"{name}_{k}", dims=dims[1:] or None) for k, p in enumerate(priors_list)]
    return pm.Deterministic(name, pt.stack(parts), dims=dims)


def member_theta(priors, design, info, resolved: dict, *, intercept=None, rotation=None):
    """Return the member term ``theta`` (cause, episode) in the model context (None without mm).

    Adds the coordinates ``member`` and ``mm_term``, the data ``mm_coalition``, ``mm_member``,
    ``mm_share``, ``mm_size``, ``mm_X`` (or ``mm_weight`` for fixed weights) and the RVs
    ``beta_mm`` (cause, mm_term), ``sd_mm`` (cause), ``z_mm`` / ``u_mm`` (cause, member) and the
    weight parameters (scalars, shared by the causes). ``info.members["centred"]``: with
    weights summing to one and no frailty on the intercept (``info.centred_groups``), the
    members' levels ``w_mm ~ Normal(intercept, sd_mm)`` are sampled (``intercept``: the graph's
    per-cause intercept on the eta scale) and ``u_mm = w_mm - intercept``, ``z_mm = u_mm /
    sd_mm`` traced: each coalition's ``intercept + theta`` is then ``sum_k w_ik (x'beta +
    w_mm[k])``, and the intercept is the members' mean, not a ridge against it (as for a
    frailty, ``build.graph``); otherwise ``u_mm ~ Normal(0, sd_mm)``, ``z_mm`` traced.
    Non-centred: ``z_mm`` sampled, ``u_mm = sd_mm z_mm`` traced. ``rotation``: ``(group,
    sd_g)`` of the factor the members nest in (``info.members["rotation_group"]``, whose
    levels the graph left to this function): ``zm_<g>``, ``s_<g>``, ``e_mm`` sampled
    (:func:`coalsurv.build.member_rotation.rotated_effects`) and ``u_<g>[level of i]`` added
    to ``theta``.
    """
    rows = design.members
    if rows is None:
        return None
    import pymc as pm
    import pytensor.tensor as pt

    model = pm.modelcontext(None)
    term, causes = rows.term, info.causes
    model.add_coord("membership", np.arange(len(rows.coalition)))
    coalition = pm.Data("mm_coalition", rows.coalition, dims="membership")
    n = rows.n_episodes
    if term.weight_params:
        share = pm.Data("mm_share", rows.share, dims="membership")
        size = pm.Data("mm_size", rows.size, dims="membership")
        names = info.members["weight_params"]
        params = {}
        for p in term.weight_params:
            key = f"mm_{p}"
            prior = (_positive(priors, key, resolved) if p == "gamma" else priors.get(key))
            resolved[key] = prior
            params[p] = prior.to_pymc(names[p])
        w = weights(term, share, size, coalition, n, params, xp=pt)
    else:
        fixed = weights(term, rows.share, rows.size, rows.coalition, n, {})
        w = pm.Data("mm_weight", fixed, dims="membership")
    contrib = pt.zeros((len(causes), len(rows.coalition)))
    if term.variables:
        model.add_coord("mm_term", list(term.terms))
        X = pm.Data("mm_X", rows.X, dims=("membership", "mm_term"))
        chosen = [[coefficient_prior(priors, c, t, float(sd), resolved)
                   for t, sd in zip(term.terms, rows.sds, strict=True)] for c in causes]
        flat = [p for row in chosen for p in row]
        if all(p == flat[0] for p in flat):
            beta = flat[0].to_pymc("beta_mm", dims=("cause", "mm_term"))
        else:
            beta = pm.Deterministic("beta_mm", pt.stack([pt.stack(
                [p.to_pymc(f"beta_mm_{k}_{j}") for j, p in enumerate(row)])
                for k, row in enumerate(chosen)]), dims=("cause", "mm_term"))
        contrib = contrib + pt.dot(beta, X.T)
    if term.random:
        model.add_coord("member", list(rows.levels))
        member = pm.Data("mm_member", rows.member, dims="membership")
        keys = [f"mm_sd[{c}]" if priors.explicit(f"mm_sd[{c}]") else "mm_sd" for c in causes]
        sd = _per_cause([_positive(priors, key, resolved) for key in keys], "sd_mm", ("cause",))
        u_g = None
        if rotation is not None:
            u, u_g = rotated_effects(rows, rotation[0], rotation[1], sd)
        elif member_on_intercept(info) and intercept is not None:
            w_mm = pm.Normal("w_mm", intercept[:, None], sd[:, None], dims=("cause", "member"))
            u = pm.Deterministic("u_mm", w_mm - intercept[:, None], dims=("cause", "member"))
            pm.Deterministic("z_mm", u / sd[:, None], dims=("cause", "member"))
        elif info.members.get("centred", False):
            u = pm.Normal("u_mm", 0.0, sd[:, None], dims=("cause", "member"))
            pm.Deterministic("z_mm", u / sd[:, None], dims=("cause", "member"))
        else:
            z = pm.Normal("z_mm", 0.0, 1.0, dims=("cause", "member"))
            u = pm.Deterministic("u_mm", sd[:, None] * z, dims=("cause", "member"))
        contrib = contrib + u[:, member]
    weighted = (contrib * w[None, :]).T  # (membership, cause)
    theta = pt.zeros((n, len(causes)))[coalition].inc(weighted).T
    if term.random and u_g is not None:  # the factor's levels (episode order)
        theta = theta + u_g[:, np.asarray(rotation[0].index)]
    return theta
