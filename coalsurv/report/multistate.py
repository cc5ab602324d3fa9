"""PDF report of a multi-state fit: :func:`write_multistate_report` (``MultiStateFit.report``).

Sections: model and data (transitions, formulas, families, clock, observed transitions), a
transition diagram with the hazard ratios, hazard ratios per transition, diagnostics per
transition (the verdict of each transition's :class:`~coalsurv.diagnostics.Diagnosis`: sampler
checks and posterior predictive checks of its episodes), PSIS-LOO per transition, state
occupancy of the mean profile against the Aalen–Johansen estimate, expected time in each state,
transition hazards, and a reproducibility manifest. A part that cannot be made is replaced by a
visible note (and a warning).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._format import fmt_number
from coalsurv._version import __version__
from coalsurv.report.export import check_label, display_table
from coalsurv.report.layout import Layout, build_pdf
from coalsurv.report.tables import ratio_table

__all__ = ["write_multistate_report"]


def _attempt(L: Layout, what: str, make, failures: list[str]) -> list[Any]:
    try:
        return make()
    except Exception as exc:  # a report is never silently partial
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        warnings.warn(f"multi-state report: {what} could not be made ({why})", stacklevel=3)
        failures.append(what)
        return [L.note(f"{what} could not be made ({why}).")]


def _horizon(fit) -> float:
    return float(np.quantile(fit.data.frame.groupby("id")["stop"].max(), 0.75))


def _story(fit, L: Layout, *, ci: float, progress) -> list[Any]:
    import matplotlib.pyplot as plt

    pct = f"{100 * ci:.0f}%"
    unit = fit.time_unit
    failures: list[str] = []
    L.cover_page = False  # the verdicts table is short: section 1 follows on page 1
    out: list[Any] = [L.text(L.title, "title"),
                      L.text(f"{len(fit.transitions)} transitions, {fit.clock} clock, "
                             f"{fit.data.n_units} units, time in {unit}", "subtitle")]
    progress("multi-state report: diagnostics")
    diagnoses: dict[str, Any] = {}

    def verdicts():
        diagnoses.update(fit.diagnose())
        rows = [{"transition": key, "verdict": diag.verdict,
                 "not passed": "; ".join(check_label(c.name) for c in diag.results
                                         if c.verdict in ("warn", "fail")) or "-"}
                for key, diag in diagnoses.items()]
        return L.table(pd.DataFrame(rows), caption="Diagnostics of each transition's fit "
                       "(sampler checks, posterior predictive checks of its episodes); "
                       "details in each transition's own report (fit.fits[key].report).")

    out += _attempt(L, "diagnostics", verdicts, failures)
    out += L.section("Model and data")
    rows = [(key, f"{f.spec.formula}  ({f.spec.family})") for key, f in fit.fits.items()]
    if fit.is_joint:  # one graph: each transition's covariates, then what is shared
        lay = fit.layout
        rows = [(key, " + ".join(lay.covariates(key)) or "1") for key in fit.transitions]
        rows += [("joint graph", f"{fit.joint.spec.formula}  ({fit.joint.spec.family}; strata "
                                 "by transition)")]
        rows += [(f"shared {cov}", lay.label(keys)) for _, cov, keys in lay.columns
                 if len(keys) > 1]
        rows += [("shared frailty", lay.frailty)] if lay.frailty else []
    out.append(L.key_values([("clock", {"reset": "reset (semi-Markov: time since entering the "
                                                 "state)",
                                        "forward": "forward (Markov: time since the first "
                                                   "state)"}[fit.clock]),
                             ("units / sojourns", f"{fit.data.n_units} / {fit.data.n}"),
                             ("time unit", unit), *rows]))
    obs = pd.DataFrame([{"transition": f"{a} -> {b}", "observed": n}
                        for (a, b), n in fit.data.observed.items()])
    out += L.table(obs, caption="Observed transitions in the data.")

    def diagram():
        # low: the list of ratios under the diagram adds its own lines (fits under the tables)
        fig, ax = plt.subplots(figsize=(7, 2.6))
        fit.plot_transition_diagram(ci_prob=ci, ax=ax)
        return L.figure(fig, f"States and transitions with hazard ratios per SD ({pct} "
                             "intervals).")

    progress("multi-state report: transitions")
    out += _attempt(L, "transition diagram", diagram, failures)

    def ratios():
        hr = fit.hazard_ratios(ci_prob=ci)
        parts = []
        for key, part in hr.groupby("transition", sort=False):
            one = fit.joint if fit.is_joint else fit.fits[key]
            joint = {t: f.variable for f in one.term_families().values() if f.joint
                     for t in f.terms}
            caption = f"{key}: {one.ratio_name}s ({pct} intervals)."
            if joint:
                caption += (" A covariate entering through several terms (a polynomial or an "
                            "interaction) has no ratio per term: its joint effect follows.")
            parts += L.table(ratio_table(part.drop(columns="transition"), pct, joint),
                             caption=caption)
            if joint:  # as the single-ending report: the joint effect of all its terms
                frame, cap = display_table(one, "effects", ci_prob=ci,
                                           variable=list(dict.fromkeys(joint.values())))
                parts += L.table(frame, caption=f"{key}: {cap[:1].lower()}{cap[1:]}",
                                 numeric=[], widths=[0.2, 0.15, 0.29, 0.22, 0.14])
        return parts or [L.note("No transition has covariates.")]

    out += L.section("Hazard ratios per transition")
    out += _attempt(L, "hazard ratios", ratios, failures)

    out += L.section("Model comparison: PSIS-LOO")
    out += _attempt(L, "LOO", lambda: L.table(fit.loo().round(3), caption="PSIS-LOO per "
                    "transition; the total sums them (the likelihood factorises)."), failures)

    horizon = _horizon(fit)
    times = np.linspace(0.0, horizon, 41)

    def occupancy():
        fig, ax = plt.subplots(figsize=(7, 4))
        fit.plot_state_occupancy(times, None, ci_prob=ci, empirical=True, ax=ax)
        occ = fit.state_occupancy(np.quantile(times, [0.25, 0.5, 0.75, 1.0]), None, ci_prob=ci)
        aj = _aj(fit, occ["time"].unique())
        table = occ.merge(aj, on=["time", "state"], how="left")
        table = pd.DataFrame({
            f"time ({unit})": table["time"].map(fmt_number), "state": table["state"],
            f"posterior mean [{pct}]": [f"{fmt_number(m)} [{fmt_number(lo)}, {fmt_number(hi)}]"
                                        for m, lo, hi in zip(table["mean"], table["lower"],
                                                             table["upper"], strict=True)],
            "Aalen–Johansen": table["occupancy"].map(fmt_number)})
        return (L.figure(fig, f"State occupancy of the mean profile (stacked posterior means; "
                              f"grey: {pct} bands of the stacked sums; dashed: Aalen–Johansen "
                              "of the data).")
                + L.table(table, caption="State occupancy at quarters of the horizon."))

    progress("multi-state report: occupancy")
    out += L.section("State occupancy")
    out += _attempt(L, "state occupancy", occupancy, failures)

    def expected():
        e = fit.expected_time_in_state(horizon, None, ci_prob=ci)
        frame = pd.DataFrame({"state": e["state"],
                              f"mean ({unit})": e["mean"].map(fmt_number),
                              f"{pct} interval": [f"[{fmt_number(a)}, {fmt_number(b)}]"
                                                  for a, b in zip(e["lower"], e["upper"],
                                                                  strict=True)]})
        return L.table(frame, caption=f"Expected time in each state within "
                                      f"{fmt_number(horizon)} {unit} (mean profile).")

    out += _attempt(L, "expected time in state", expected, failures)

    def hazards():
        fig, ax = plt.subplots(figsize=(7, 4))
        fit.plot_transition_hazards(times[1:], None, ci_prob=ci, ax=ax)
        return L.figure(fig, f"Transition hazards of the mean profile ({pct} bands).")

    out += L.section("Transition hazards")
    out += _attempt(L, "transition hazards", hazards, failures)
    out += L.section("Reproducibility")
    every = [fit.joint] if fit.is_joint else list(fit.fits.values())
    first = every[0]
    out.append(L.key_values([
        ("coalsurv", __version__), ("fit ids", ", ".join(f.fit_id for f in every)),
        ("sampler", f"{first.settings.chains} chains x {first.settings.draws} draws, "
                    f"{first.settings.tune} tuning, seed {first.settings.random_seed} (+k for "
                    "the k-th transition)"),
        ("data hash", fit.data.data_hash()[:16]),
        ("parts missing", ", ".join(failures) or "none")]))
    return out


def _flatten(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out += _flatten(item) if isinstance(item, list) else [item]
    return out


def _aj(fit, times) -> pd.DataFrame:
    from coalsurv.data.aalen_johansen import aalen_johansen

    start = fit.states[0]
    return aalen_johansen(fit.data, times, start=start, states=fit.states)


def write_multistate_report(fit, path: str | Path, *, title: str | None = None,
                            ci_prob: float = 0.95, progress: Any = None) -> Path:
    """Write the PDF report of a :class:`~coalsurv.MultiStateFit`.

    Parameters
    ----------
    fit : MultiStateFit
    path : str or Path
        Destination ending in ``.pdf`` (written atomically).
    title : str, optional
    ci_prob : float
        Mass of every interval in the report.
    progress : callable, optional
        Called with a short message per part.

    Returns
    -------
    Path
    """
    from coalsurv._io import atomic_write_with
    from coalsurv._stats import check_ci_prob
    from coalsurv.errors import CoalsurvError

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise CoalsurvError(f"report path {str(path)!r} must end in .pdf")
    ci = check_ci_prob(ci_prob)
    title = title or f"coalsurv multi-state report{': ' + fit.name if fit.name else ''}"
    L = Layout(title)
    story = _flatten(_story(fit, L, ci=ci, progress=progress or (lambda _m: None)))
    footer = f"coalsurv {__version__} · multi-state ({fit.clock} clock)"
    atomic_write_with(path, lambda tmp: build_pdf(story, tmp, footer=footer, header=title[:110],
                                                  title=title), suffix=".pdf")
    return path
