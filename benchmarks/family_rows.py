"""Family table rows on data made for them: causes, frailties, entry, spells, priors, states.

Issue 23's remaining features: two causes, crossed and nested frailties, delayed entry,
spells, replication priors and a multi-state transition.

:mod:`families` takes its data variants from here (``VARIANTS``) and its models for these rows
(:func:`make_model`). Each variant is coalgov (``/work/shared/data/coalgov``, the standard
covariates and the country ``cname``), except the multi-state row (ParlGov re-formation
histories, the data coalsurv loads with ``load_parlgov_transformation``):

* ``causes`` — two causes: ``conflict`` (``event_wkb = 1``, the data's cause) and ``other``
  (every other ending: regular elections and the rest; the source records an end for every
  government, so nothing is censored);
* ``decade`` — the decade of the election before the government (``1940s`` ... ``2010s``)
  as a second grouping factor, crossed ``(1 | cname) + (1 | decade)`` or nested
  ``(1 | cname/decade)``;
* ``entry`` — delayed entry: the governments observed only once they had lasted 30 days (as
  in data that begin after a confidence vote); the 18 shorter ones are left out, every other
  one enters at day 30 (left truncation: ``log S(30)`` comes off its likelihood);
* ``spells`` — a time-varying covariate ``tenure`` (full years in office: 0, 1, 2, ...), one
  spell per year of each government's life (start/stop spells, no person-period expansion);
* ``half_b`` — every other country of coalgov in sorted order is left out (half A); the
  replication prior of the ``joint`` rows is ``PriorSet.from_fit`` of a Weibull fit of half A
  (4 x 500 draws, seed 2, made once before any timing and cached in ``PRIOR_DIR``);
* ``multistate`` — ParlGov re-formation histories; the row fits the transition
  ``coalition -> dissolved`` (519 events in 635 sojourns; re-formation censors it) of a
  ``MultiStateModel`` with a country frailty ``(1 | country)``.

Each row has a hand-written plain PyMC model in :mod:`plain_models_rows`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import COALGOV_TERMS, SHARED, load  # noqa: E402

#: The multi-state row's transition and its formula (ParlGov re-formation design).
MS_KEY = "coalition -> dissolved"
MS_FORMULA = "power_hhi + majority + lr_range + n_parties + (1 | country)"
#: Where the replication priors of the joint rows are cached (made once, outside the timing).
PRIOR_DIR = Path(os.environ.get("COALSURV_BENCH_PRIORS",
                                Path(tempfile.gettempdir()) / "coalsurv_bench_priors"))
ENTRY_DAYS = 30.0
VARIANTS = ("causes", "decade", "entry", "spells", "half_b", "multistate")


def _frame(data, jitter):
    frame = data.to_frame().reset_index(drop=True)
    if jitter is not None:
        factor = np.random.default_rng(jitter).uniform(0.9, 1.1, size=len(frame))
        frame["time"] = frame["time"] * factor
    return frame


def load_variant(variant: str, *, jitter: int | None = None):
    """Return ``(data, terms)`` of a variant (``jitter``: durations times U(0.9, 1.1))."""
    import coalsurv

    if variant == "multistate":
        return load_multistate(jitter=jitter), MS_FORMULA
    data, terms, group = load("coalgov")
    frame = _frame(data, jitter)
    extra: dict = {}
    groups = [group]
    covariates = list(terms)
    event = "status"
    if variant == "causes":
        frame["ending"] = np.where(frame["status"] == 1, "conflict", "other")
        event, extra = "ending", {"causes": ["conflict", "other"]}
    elif variant == "decade":
        govs = coalsurv.datasets.load_coalgov(SHARED / "coalgov", as_frame=True)
        year = govs["election"].dt.year.reindex(frame["id"].to_numpy()).to_numpy()
        frame["decade"] = [f"{int(y) // 10 * 10}s" for y in year]
        groups = [group, "decade"]
    elif variant == "entry":
        frame = frame[frame["time"] > ENTRY_DAYS].reset_index(drop=True)
        frame["entry"] = ENTRY_DAYS
        extra = {"entry": "entry"}
    elif variant == "spells":
        extra = {"spells": tenure_spells(frame), "id": "id"}
    elif variant == "half_b":
        frame = frame[~frame[group].isin(half_a_countries(frame[group]))]
        frame = frame.reset_index(drop=True)
    else:
        raise ValueError(f"unknown variant {variant!r}")
    data = coalsurv.CoalitionData.from_frame(frame, duration="time", event=event,
                                             covariates=covariates, groups=groups,
                                             time_unit="days", **extra)
    return data, terms


def tenure_spells(frame):
    """Start/stop spells of ``tenure`` (full years in office) up to each government's end."""
    import pandas as pd

    rows = []
    for gid, t in zip(frame["id"], frame["time"], strict=True):
        for year in range(int(np.ceil(t / 365.0))):
            rows.append((gid, 365.0 * year, min(365.0 * (year + 1), t), float(year)))
    return pd.DataFrame(rows, columns=["id", "start", "stop", "tenure"])


def half_a_countries(countries) -> set[str]:
    """Every other country in sorted order (the prior's study; the row fits the others)."""
    return set(sorted(set(np.asarray(countries).astype(str)))[::2])


def load_multistate(*, jitter: int | None = None):
    """ParlGov re-formation histories (``jitter``: sojourn times times U(0.9, 1.1))."""
    import coalsurv

    data = coalsurv.datasets.load_parlgov_transformation(SHARED / "parlgov",
                                                         design="reformation")
    if jitter is None:
        return data
    frame = data.to_frame()
    factor = np.random.default_rng(jitter).uniform(0.9, 1.1, size=frame["id"].nunique())
    per_unit = dict(zip(frame["id"].unique(), factor, strict=True))
    scale = frame["id"].map(per_unit).to_numpy()
    frame["start"], frame["stop"] = frame["start"] * scale, frame["stop"] * scale
    return coalsurv.TransitionData.from_frame(
        frame, id="id", state="state", start="start", stop="stop", to="to",
        covariates=list(data.covariate_names), groups=list(data.group_names),
        time_unit=data.time_unit)


# ----------------------------------------------------------------------------- models


def replication_prior(components: int):
    """``PriorSet.from_fit`` of a Weibull fit of half A (made once, then read from disk)."""
    import warnings

    import coalsurv

    path = PRIOR_DIR / f"half_a_{components}.toml"
    if path.exists():
        return coalsurv.PriorSet.load(path)
    data, terms, group = load("coalgov")
    half_a = np.isin(np.asarray(data.groups[group]).astype(str),
                     list(half_a_countries(data.groups[group])))
    model = coalsurv.SurvivalModel(" + ".join(terms) + f" + (1 | {group})", family="weibull")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data.subset(half_a), draws=500, tune=500, chains=4, random_seed=2,
                        progressbar=False)
    prior = coalsurv.PriorSet.from_fit(fit, components=components)
    PRIOR_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.toml")
    prior.save(tmp)
    os.replace(tmp, path)
    return coalsurv.PriorSet.load(path)


def make_model(family: str, kwargs: dict, group: str = "cname"):
    """Return the row's ``SurvivalModel`` (a ``MultiStateModel`` for ``multistate``)."""
    import coalsurv

    kwargs = dict(kwargs)
    if kwargs.pop("multistate", False):
        # every observed transition must be declared; the row fits one of them
        others = ("coalition -> reformed", "reformed -> dissolved", "reformed -> reformed_twice",
                  "reformed_twice -> dissolved")
        return coalsurv.MultiStateModel({MS_KEY: MS_FORMULA, **dict.fromkeys(others, "1")},
                                        family=family, **kwargs)
    frailty = kwargs.pop("frailty", f"(1 | {group})")
    if "prior_components" in kwargs:
        kwargs["priors"] = replication_prior(kwargs.pop("prior_components"))
    terms = list(COALGOV_TERMS) + ([kwargs.pop("tvc")] if "tvc" in kwargs else [])
    return coalsurv.SurvivalModel(" + ".join(terms) + f" + {frailty}", family=family, **kwargs)


def built(model, data):
    """Return ``(pm.Model, design, info)`` of a row's model (a multi-state one's transition)."""
    import coalsurv

    if isinstance(model, coalsurv.MultiStateModel):
        model, data = model.models[MS_KEY], model.episodes(data)[MS_KEY]
    pm_model, design, info, _ = model.build(data)
    return pm_model, design, info


def fit_row(model, data, **settings):
    """Fit a row's model; a multi-state one: its transition's model on its episodes.

    That is what ``MultiStateModel.fit`` does for each transition.
    """
    import coalsurv

    if isinstance(model, coalsurv.MultiStateModel):
        return model.models[MS_KEY].fit(model.episodes(data)[MS_KEY], **settings)
    return model.fit(data, **settings)
