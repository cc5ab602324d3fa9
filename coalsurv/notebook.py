"""Rich HTML displays for Jupyter: ``Fit._repr_html_`` and ``SurvivalModel._repr_html_``.

Small, self-contained HTML (inline styles, no scripts, no external resources); every text taken
from the model, the data or the user is escaped. :func:`fit_html` shows the model, the data, the
sampler settings, the posterior summary and one badge per convergence check coloured by its
verdict; :func:`model_html` shows the formula, family, endings and priors.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from coalsurv._format import VERDICT_COLOURS, fmt_number

__all__ = ["fit_html", "model_html", "VERDICT_COLOURS"]

_TABLE = "border-collapse:collapse;font-size:12px;margin:4px 0"
_TH = "text-align:left;padding:2px 8px;border-bottom:1px solid #888;background:#eef1f5"
_TD = "padding:2px 8px;border-bottom:1px solid #e3e3e3"
_TDR = _TD + ";text-align:right;font-variant-numeric:tabular-nums"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    """Return a number as escaped HTML text (:func:`coalsurv._format.fmt_number`)."""
    return _e(fmt_number(value, digits))


def badge(verdict: str, text: str | None = None, *, title: str = "") -> str:
    """Return an inline coloured badge for a verdict (pass, warn, fail, skipped)."""
    colour = VERDICT_COLOURS.get(verdict, VERDICT_COLOURS["skipped"])
    tip = f' title="{_e(title)}"' if title else ""
    return (f'<span{tip} style="display:inline-block;background:{colour};color:white;'
            f'padding:1px 6px;margin:1px 2px;border-radius:3px;font-size:11px;'
            f'font-weight:bold">{_e(text if text is not None else verdict.upper())}</span>')


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """HTML table; ``rows`` hold already-escaped cell HTML."""
    head = "".join(f'<th style="{_TH}">{_e(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{_TDR if i in right else _TD}">{c}</td>'
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f'<table style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _checks(fit) -> tuple[str, list[Any]]:
    """Verdict and checks of the sampler diagnostics (fast: no model checks)."""
    try:
        diag = fit.diagnose(checks=False, loo=False)
        return diag.verdict, list(diag.results)
    except Exception as exc:  # noqa: BLE001 - a display must never raise
        return "skipped", [type("Check", (), {"name": "diagnostics", "verdict": "skipped",
                                              "value": None, "threshold": "",
                                              "advice": f"{type(exc).__name__}: {exc}",
                                              "detail": ""})()]


def fit_html(fit) -> str:
    """HTML summary of a :class:`~coalsurv.Fit` for notebooks.

    Parameters
    ----------
    fit : Fit

    Returns
    -------
    str
        A ``<div>`` with the model, data and sampler line, badges of the convergence checks
        (colour = verdict, tooltip = value, rule and advice) and the posterior summary table
        (95% equal-tailed intervals).
    """
    post = fit.idata["posterior"]
    data = fit.data
    n_events = sum(data.n_events.values())
    verdict, checks = _checks(fit)
    badges = "".join(
        badge(c.verdict, c.name, title=" ".join(str(t) for t in (
            f"value {_num(c.value, 4)}" if c.value is not None else "", c.threshold,
            c.detail, c.advice) if t))
        for c in checks)
    causes = "any ending" if fit.info.pooled else ", ".join(fit.info.causes)
    try:
        summ = fit.summary()
        pct = f"{100 * float(summ['ci_prob'].iloc[0]):.0f}%" if len(summ) else "95%"
        rows = [[_e(r.parameter), _num(r.mean), _num(r.sd), _num(r.lower), _num(r.upper),
                 _num(r.ess_bulk, 4), _num(r.r_hat, 4)] for r in summ.itertuples()]
        table = _table(["parameter", "mean", "sd", f"{pct} lower", f"{pct} upper",
                        "ESS bulk", "R-hat"], rows, right={1, 2, 3, 4, 5, 6})
    except Exception as exc:  # noqa: BLE001
        table = f"<p><i>summary unavailable: {_e(type(exc).__name__)}: {_e(exc)}</i></p>"
    return (
        '<div style="font-family:sans-serif;max-width:860px">'
        f'<div style="font-size:14px"><b>coalsurv.Fit</b> {_e(fit.spec.label)} '
        f'{badge(verdict, "overall " + verdict.upper())}</div>'
        f'<div style="font-size:12px;color:#444">formula <code>{_e(fit.spec.formula)}</code>'
        f" · family {_e(fit.spec.family)} ({_e(fit.ratio_name)}s) · endings {_e(causes)}<br>"
        f"{_e(data.name or 'data')}: {data.n:,} coalitions, {n_events:,} endings, "
        f"{int((np.asarray(data.status) == 0).sum()):,} censored; time in {_e(fit.time_unit)}"
        f" · {post.sizes['chain']} chains × {post.sizes['draw']} draws, seed "
        f"{_e(fit.settings.random_seed)} · fit id <code>{_e(fit.fit_id)}</code></div>"
        f'<div style="margin:4px 0">{badges}</div>{table}'
        '<div style="font-size:11px;color:#666">Coefficients per SD of their covariate; '
        "fit.hazard_ratios() gives ratios per SD and per unit; fit.diagnose() runs the model "
        "checks.</div></div>")


def model_html(model) -> str:
    """HTML summary of a :class:`~coalsurv.SurvivalModel` for notebooks.

    Parameters
    ----------
    model : SurvivalModel

    Returns
    -------
    str
        A ``<div>`` with the formula, family, modelled endings, group terms and a table of the
        priors (explicit ones marked; defaults for the rest).
    """
    from coalsurv.spec.priors import DEFAULT_PRIORS

    spec, priors = model.spec, model.priors
    try:
        family = spec.family_object
        kind = {"ph": "proportional hazards", "po": "proportional odds"}.get(
            family.kind, "accelerated failure time")
        params = [p.key for p in family.parameters]
    except Exception:  # noqa: BLE001 - display must not fail
        kind, params = "", []
    causes = "any ending (pooled)" if spec.causes is None else ", ".join(spec.causes)
    groups = ", ".join(str(g) for g in spec.group_terms) or "none"
    keys = ["intercept", "beta", *params, *(["sd"] if spec.group_terms else [])]
    rows = []
    for key in dict.fromkeys([*keys, *priors.priors]):
        explicit = key in priors.priors
        prior = priors.priors.get(key) or DEFAULT_PRIORS.get(key.split("[", 1)[0])
        if prior is None:
            continue
        rows.append([f"<code>{_e(key)}</code>", _e(prior), "set" if explicit else "default"])
    options = (f" · options <code>{_e(spec.family_options)}</code>"
               if spec.family_options else "")
    return (
        '<div style="font-family:sans-serif;max-width:760px">'
        f'<div style="font-size:14px"><b>coalsurv.SurvivalModel</b> {_e(spec.name)}</div>'
        f'<div style="font-size:12px;color:#444">formula <code>{_e(spec.formula)}</code><br>'
        f"family {_e(spec.family)}{' (' + _e(kind) + ')' if kind else ''}{options} · endings "
        f"{_e(causes)} · group terms {_e(groups)}</div>"
        f"{_table(['parameter', 'prior', ''], rows)}"
        f'<div style="font-size:11px;color:#666">Prior set {_e(priors.name or "default")}; '
        "coefficients per SD of their covariate (covariates are standardised).</div></div>")
