"""Specification curves: the effect of interest across a grid of coding choices.

One model idea fitted across every combination of formulas (covariate sets), families and
data codings (e.g. censoring rules), on the batch runner; one table and one plot
(:func:`coalsurv.plots.plot_spec_curve`) of the effect of one term across them
(Simonsohn, Simmons & Nelson 2020).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from coalsurv.batch.cluster import DEFAULT_WORKERS
from coalsurv.batch.many import check_fit_options, run_jobs
from coalsurv.errors import ArgumentError

__all__ = ["spec_curve", "SPEC_COLUMNS"]

#: Columns of the specification-curve table.
SPEC_COLUMNS = ("spec", "formula", "family", "data", "cause", "ratio", "mean", "median",
                "lower", "upper", "ci_prob", "prob_above_1", "status", "error", "file")


def _named(value, what: str) -> dict[str, Any]:
    if isinstance(value, Mapping):
        out = dict(value)
    elif isinstance(value, str):
        out = {value: value}
    elif isinstance(value, Sequence):
        out = {str(v): v for v in value}
    else:
        out = {"data": value} if what == "data" else {}
    if not out:
        raise ArgumentError(f"{what}: expected a non-empty mapping name -> value or a list, "
                            f"got {value!r}")
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:60] or "x"


def spec_curve(data, *, term: str, formulas, families=("weibull",), causes=None,
               out: str | Path, client=None, ci_prob: float = 0.95, scale: str = "per unit",
               retries: int = 2, n_workers: int = DEFAULT_WORKERS, progress: bool = True,
               **fit_kwargs) -> pd.DataFrame:
    """Fit every combination of formulas, families and data codings; tabulate ``term``.

    Parameters
    ----------
    data : CoalitionData or mapping of str to CoalitionData
        One data set, or one per coding choice (``{"censor at 5y": d1, "no cap": d2}``).
    term : str
        The effect of interest: a design term present in every formula (e.g. ``"breadth"``).
    formulas : str, list or mapping of str to str
        Covariate sets (named by themselves when a list).
    families : list or mapping
        Family names (``"weibull"``, ``"weibull_aft"``, ...): hazard ratios for
        proportional-hazards families, time ratios for AFT ones (column ``ratio``).
    causes : list of str, optional
        Endings modelled (as for :class:`~coalsurv.SurvivalModel`).
    out : str or Path
        Folder of the fit files (a rerun resumes).
    ci_prob : float
        Mass of the equal-tailed interval.
    scale : {"per unit", "per SD"}
        Scale of the ratio.
    client, retries, n_workers, progress, **fit_kwargs
        As for :func:`coalsurv.fit_many`.

    Returns
    -------
    pandas.DataFrame
        One row per specification (and cause): :data:`SPEC_COLUMNS`, sorted by ``median``;
        failed specifications are kept with their error.
    """
    from coalsurv.data.episodes import CoalitionData
    from coalsurv.fit.model import SurvivalModel

    if not isinstance(term, str) or not term:
        raise ArgumentError(f"term: expected a term name, got {term!r}")
    if scale not in ("per unit", "per SD"):
        raise ArgumentError(f"scale: expected 'per unit' or 'per SD', got {scale!r}")
    codings = _named(data, "data")
    bad = [k for k, v in codings.items() if not isinstance(v, CoalitionData)]
    if bad:
        raise ArgumentError(f"data: expected CoalitionData for every coding, not for {bad}")
    formulas, families = _named(formulas, "formulas"), _named(families, "families")
    from coalsurv.build.design import make_design

    jobs, meta, problems = {}, {}, []
    for (fk, formula), (mk, family), (dk, coded) in itertools.product(
            formulas.items(), families.items(), codings.items()):
        model = SurvivalModel(formula, family=family, causes=causes)
        name = f"{_slug(mk)}--{_slug(fk)}--{_slug(dk)}"
        if name in jobs:
            raise ArgumentError(f"specifications {meta[name]} and {(fk, mk, dk)} share the "
                                f"file name {name!r}; give them distinct names")
        jobs[name], meta[name] = (model, coded), (fk, mk, dk)
        terms = list(make_design(model.spec, coded).terms)
        if term not in terms:
            problems.append(f"formula {fk!r} ({formula!r}) has terms {terms}, not {term!r}")
    if problems:
        raise ArgumentError(f"term {term!r} must be in every specification", problems)
    frame = run_jobs(jobs, out=out, client=client, retries=retries, n_workers=n_workers,
                     progress="spec_curve" if progress else False,
                     fit_kwargs=check_fit_options(fit_kwargs))
    return _effects(frame, meta, formulas, families, term, ci_prob, scale)


def _effects(frame, meta, formulas, families, term, ci_prob, scale) -> pd.DataFrame:
    from coalsurv.fit.record import load_fit

    rows = []
    for row in frame.itertuples():
        fk, mk, dk = meta[row.name]
        base = {"spec": row.name, "formula": formulas[fk], "family": families[mk], "data": dk,
                "status": row.status, "error": row.error, "file": row.file}
        if row.status != "ok":
            rows.append(base)
            continue
        fit = load_fit(row.file)
        table = fit.hazard_ratios(ci_prob=ci_prob)
        table = table[(table["term"] == term) & (table["scale"] == scale)]
        if table.empty:
            rows.append({**base, "status": "failed",
                         "error": f"term {term!r} not among the fitted terms "
                                  f"{list(fit.info.terms)}"})
            continue
        for t in table.to_dict("records"):
            rows.append({**base, "cause": t.get("cause", fit.info.causes[0]),
                         "ratio": table.attrs.get("ratio", ""),
                         **{k: t[k] for k in ("mean", "median", "lower", "upper", "ci_prob",
                                              "prob_above_1")}})
    out = pd.DataFrame(rows, columns=list(SPEC_COLUMNS))
    return out.sort_values("median", kind="stable", na_position="last").reset_index(drop=True)
