"""Tables for a paper: :meth:`coalsurv.Fit.table` as LaTeX (booktabs), Markdown or HTML.

Kinds: ``hazard_ratios`` (time ratios for AFT families), ``summary``, ``effects`` (joint effects
of covariates entering several terms, :mod:`coalsurv.fit.effects`), ``comparison`` (PSIS-LOO,
``others={"name": fit}``), ``replication`` (``original=<Fit>``) and ``variance_components``
(the linear predictor's variance by level, :meth:`coalsurv.Fit.variance_components`; an
``mm()`` model's member rows are in ``summary`` and ``hazard_ratios`` too). Every caption
states the interval's mass and the time unit; numbers are written by
:mod:`coalsurv._format` (significant digits by quantity, R-hat with the digits its rule needs,
probabilities never printed as exactly 0 or 1). Readers see words, not internal names:
``beta[alliance, breadth]`` is "alliance: breadth (per SD)".
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from coalsurv._format import fmt_interval, fmt_number, fmt_prob, fmt_rhat
from coalsurv.errors import ArgumentError

__all__ = ["CHECK_LABELS", "FORMATS", "KINDS", "check_label", "display_table",
           "member_term_label", "parameter_label", "reader_text", "render", "table"]

KINDS = ("hazard_ratios", "summary", "effects", "comparison", "replication",
         "variance_components")
FORMATS = ("latex", "markdown", "html")


# ==================================================================================== names
def parameter_label(fit: Any, name: str) -> str:
    """Reader's name of a summary row: ``beta[alliance, breadth]`` → "alliance: breadth (per SD)".

    Intercepts and family parameters keep their symbol with the ending in brackets, ``sd_<g>``
    becomes "SD of <g> effects"; an ``mm()`` term's rows read "members' x (per SD, weighted)",
    "SD of member effects" and "power weight gamma" (logistic "weight b0", "weight b1").
    """
    member = _member_label(fit, name)
    if member:
        return member
    m = re.fullmatch(r"(\w+?)(?:\[(.*)\])?", name)
    if not m:
        return name
    stem, inside = m.group(1), m.group(2)
    parts = [p.strip() for p in inside.split(",")] if inside else []
    several = len(fit.info.causes) > 1
    if not several and parts and parts[0] in fit.info.causes:
        parts = parts[1:]  # the one ending ("any") names nothing
    if stem == "beta":
        term = parts[-1] if parts else ""
        cause = parts[0] if len(parts) == 2 else ""
        return f"{cause + ': ' if cause else ''}{term} (per SD)"
    if stem.startswith("sd_"):
        factor = stem[3:].replace("__", ":")
        where = f" ({', '.join(parts)})" if parts else ""
        return f"SD of {factor} effects{where}"
    if stem == "intercept":
        return f"intercept{f' ({parts[0]})' if parts and several else ''}"
    return f"{stem}{f' ({', '.join(parts)})' if parts else ''}"


def _member_label(fit: Any, name: str) -> str:
    """Reader's name of an ``mm()`` row of the summary ("" for other rows)."""
    mm = getattr(fit.info, "members", None) or {}
    if not mm:
        return ""
    m = re.fullmatch(r"(\w+?)(?:\[(.*)\])?", name)
    stem, inside = (m.group(1), m.group(2) or "") if m else (name, "")
    parts = [p.strip() for p in inside.split(",")] if inside else []
    if stem == "beta" and parts and parts[-1].startswith("mm("):
        cause = f"{parts[0]}: " if len(parts) == 2 else ""
        return f"{cause}members' {parts[-1][3:-1]} (per SD, weighted)"
    if stem == "sd_mm":
        return "SD of member effects" + (f" ({parts[0]})" if parts else "")
    words = {"gamma": "power weight gamma", "b0": "weight b0 (logistic)",
             "b1": "weight b1 (logistic)"}
    for param, posterior in mm.get("weight_params", {}).items():
        if name == posterior:
            return words[param]
    return ""


def member_term_label(term: str) -> str:
    """Return a ratio table's term as readers see it: ``mm(x)`` → "members' x (weighted)"."""
    return f"members' {term[3:-1]} (weighted)" if term.startswith("mm(") else term


#: Internal names in check details and notes -> words (frailty draws, coefficients).
_READER = ((re.compile(r"\bz_(\w+?)\["), r"standardised \1 effect ["),
           (re.compile(r"\bu_(\w+?)\["), r"\1 effect ["),
           (re.compile(r"\bv_(\w+?)\["), r"\1 slope ["),
           (re.compile(r"\bsd_(\w+?)\["), r"SD of \1 effects ["),
           (re.compile(r"\bbeta\["), "coefficient ["),
           (re.compile(r"Diagnosis\.mle"), "the maximum-likelihood comparison"),
           (re.compile(r"\.excluded\b"), " excluded rows"))


def reader_text(text: str) -> str:
    """Replace internal parameter names in a check's text by words (``z_group[`` → ...)."""
    for pattern, words in _READER:
        text = pattern.sub(words, text)
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ==================================================================================== frames
TVE_MARK = "‡"


def tve_note(fit: Any, where: str = "the time-varying-effect figure") -> str:
    """Caption note for ratios of ``tve(x)`` terms: the ratio changes over follow-up."""
    tve = getattr(fit.info, "tve", None) or {}
    if not tve:
        return ""
    smooth = getattr(fit.info, "tve_splines", None) or {}
    names = ", ".join(tve)
    pieces = [f"{len(c) + 1} intervals for {t}" for t, c in tve.items() if t not in smooth]
    pieces += [f"a spline in log time with {s['df']} df for {t}" for t, s in smooth.items()]
    mean = ("its geometric mean over the intervals of follow-up (the deviations per interval "
            "sum to zero)" if not smooth else
            "its geometric mean over the intervals of follow-up, or over log time between the "
            "first and last event for a spline" if len(smooth) < len(tve) else
            "its geometric mean over log time between the first and the last event")
    return (f" {TVE_MARK} Time-varying effect (tve): the ratio of {names} changes over "
            f"follow-up ({'; '.join(pieces)}); the value shown is {mean}, not a constant "
            f"ratio. See {where} for the ratio over time.")


def tve_lines(fit: Any) -> str:
    """Say what the dotted lines of the time-varying-effect figure mark (caption text)."""
    smooth = getattr(fit.info, "tve_splines", None) or {}
    pw = [t for t in (getattr(fit.info, "tve", None) or {}) if t not in smooth]
    parts = (["dotted lines bound the intervals of a piecewise effect (constant between "
              "them)"] if pw else []) + (["dotted lines mark the knots of a smooth effect "
                                          "(spline in log time)"] if smooth else [])
    return "; ".join(parts)


def tve_label(fit: Any, term: str) -> str:
    """``term`` as a table shows it: marked when its effect changes over time."""
    tve = getattr(fit.info, "tve", None) or {}
    return f"{term} (changes over time){TVE_MARK}" if term in tve else term


def _hazard_ratios(fit: Any, ci_prob: float, pct: str) -> tuple[pd.DataFrame, str]:
    from coalsurv.fit.effects import families

    ratios = fit.hazard_ratios(ci_prob=ci_prob)
    name = ratios.attrs.get("ratio", fit.ratio_name)
    joint = {t: fam.variable for fam in families(fit).values() if fam.joint for t in fam.terms}
    keys = ["cause", "term"] if "cause" in ratios.columns else ["term"]
    rows = []
    for key, part in ratios.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(["ending" if k == "cause" else k for k in keys], key, strict=True))
        row["term"] = member_term_label(tve_label(fit, row["term"]))
        sd = part[part["scale"] == "per SD"].iloc[0]
        unit = part[part["scale"] == "per unit"].iloc[0]
        term = key[-1]
        alone = term not in joint
        row["per SD"] = (f"{fmt_number(sd['median'])} {fmt_interval(sd['lower'], sd['upper'])}"
                         if alone else f"joint effect of {joint[term]}†")
        row["per unit"] = (f"{fmt_number(unit['median'])} "
                           f"{fmt_interval(unit['lower'], unit['upper'])}" if alone else "†")
        row["SD of covariate"] = fmt_number(sd["sd_of_covariate"])
        row[f"P({ {'ph': 'HR', 'po': 'OR'}.get(fit.info.kind, 'TR')} > 1)"] = (
            fmt_prob(sd["prob_above_1"]) if alone else "†")
        rows.append(row)
    caption = (f"{_cap(name)}s: posterior median and {pct} equal-tailed interval, per SD and "
               f"per original unit of each covariate; P(> 1) is the posterior probability "
               f"that the ratio exceeds 1. Time in {fit.time_unit}.")
    if joint:
        caption += (" † The covariate enters through several terms (a polynomial or an "
                    "interaction), so the ratio of one term alone has no meaning; its joint "
                    "effect is in the joint-effects table.")
    caption += tve_note(fit)
    return pd.DataFrame(rows), caption


def _summary(fit: Any, ci_prob: float, pct: str) -> tuple[pd.DataFrame, str]:
    summ = fit.summary(ci_prob=ci_prob)
    frame = pd.DataFrame({
        "parameter": [parameter_label(fit, p) for p in summ["parameter"]],
        "mean": [fmt_number(v) for v in summ["mean"]],
        "SD": [fmt_number(v) for v in summ["sd"]],
        f"{pct} interval": [fmt_interval(a, b) for a, b in summ[["lower", "upper"]].to_numpy()],
        "ESS bulk": [f"{round(v):,}" for v in summ["ess_bulk"]],
        "ESS tail": [f"{round(v):,}" for v in summ["ess_tail"]],
        "R-hat": [fmt_rhat(v) for v in summ["r_hat"]],
    })
    scale = {"ph": "hazard", "po": "odds"}.get(fit.info.kind, "time")
    caption = (f"Posterior summary: mean, SD and {pct} equal-tailed interval; coefficients per "
               f"SD of their covariate on the log {scale} scale; intercept and shape on the "
               f"internal time scale of {fmt_number(fit.info.time_scale)} {fit.time_unit}. "
               f"R-hat < 1.01 and ESS > 400 indicate converged chains.")
    return frame, caption


def _effects(fit: Any, ci_prob: float, pct: str, variable: str | list[str] | None = None,
             percentiles=None) -> tuple[pd.DataFrame, str]:
    from coalsurv.fit.effects import DEFAULT_CONTRASTS, families

    if variable is None:
        names = [v for v, fam in families(fit).items() if fam.joint]
        if not names:
            raise ArgumentError("table('effects'): no covariate enters the model through "
                                "several terms; name one with variable=")
    else:
        names = [variable] if isinstance(variable, str) else list(variable)
    rows = []
    for name in names:
        con = fit.effect_contrasts(name, percentiles=percentiles or DEFAULT_CONTRASTS,
                                   ci_prob=ci_prob)
        for _, r in con.iterrows():
            is_ratio = r["quantity"] == fit.ratio_name
            prob = r["prob_above"]
            unit = fit.time_unit
            q = r["quantity"]
            if is_ratio:
                quantity = f"{q} ({r['cause']})"
            elif q.endswith(" at from") or q.endswith(" at to"):
                at = r["from"] if q.endswith(" at from") else r["to"]
                quantity = f"{q.rsplit(' at ', 1)[0]} ({unit}) at {name} = {fmt_number(at)}"
            else:
                quantity = q.replace(" (to - from)", "") + f" ({unit}, to − from)"
            rows.append({
                "covariate": name,
                "contrast": r["contrast"],
                "values": f"{fmt_number(r['to'])} vs {fmt_number(r['from'])}",
                "quantity": quantity,
                f"median [{pct} interval]": f"{fmt_number(r['median'])} "
                                            f"{fmt_interval(r['lower'], r['upper'])}",
                "P(> 1) or P(> 0)": "" if pd.isna(prob) else fmt_prob(prob),
            })
    if len(names) == 1:
        rows = [{k: v for k, v in r.items() if k != "covariate"} for r in rows]
    caption = (f"Joint effects of covariates that enter the model through several terms "
               f"(polynomials, interactions), between percentiles of the covariate in the data, "
               f"the other covariates at their means and group effects at zero: posterior "
               f"median and {pct} equal-tailed interval; times in {fit.time_unit}.")
    return pd.DataFrame(rows), caption


def _comparison(fit: Any, ci_prob: float, pct: str, others: dict | None = None
                ) -> tuple[pd.DataFrame, str]:
    from coalsurv.diagnostics import compare

    if not isinstance(others, dict) or not others:
        raise ArgumentError("table('comparison') needs others={'name': fit, ...}: the fits to "
                            "compare this one with")
    table = compare({"this model": fit, **others}).reset_index()
    frame = pd.DataFrame({
        "model": table["model"],
        "specification": [f"{f}: {g}" for f, g in zip(table["family"], table["formula"],
                                                      strict=True)],
        "rank": [str(int(r) + 1) for r in table["rank"]],
        "elpd (SE)": [f"{e:.1f} ({s:.1f})" for e, s in table[["elpd", "se"]].to_numpy()],
        "Δ elpd (SE)": [f"{e:.1f} ({s:.1f})" for e, s in table[["elpd_diff", "dse"]].to_numpy()],
        "p_loo": [f"{p:.1f}" for p in table["p"]],
        "weight": [f"{w:.2f}" for w in table["weight"]],
    })
    caption = ("Model comparison by PSIS-LOO expected log predictive density (elpd, higher is "
               "better; rank 1 is best); Δ elpd against the best model with its standard "
               "error: a difference below about two SE does not separate the models; "
               f"stacking weights. Time in {fit.time_unit}.")
    return frame, caption


def _replication(fit: Any, ci_prob: float, pct: str, original: Any = None
                 ) -> tuple[pd.DataFrame, str]:
    from coalsurv.fit.replication import replication

    if original is None or not hasattr(original, "idata"):
        raise ArgumentError("table('replication') needs original=<Fit of the original study>")
    rep = replication(original, fit, ci_prob=ci_prob)
    frame = pd.DataFrame({
        **({"ending": rep["cause"]} if len(fit.info.causes) > 1 else {}),
        "term": rep["term"],
        "original mean (SD)": [f"{fmt_number(m)} ({fmt_number(s)})" for m, s in
                               rep[["original_mean", "original_sd"]].to_numpy()],
        f"replication mean [{pct} interval]": [
            f"{fmt_number(m)} {fmt_interval(a, b)}" for m, a, b in
            rep[["replication_mean", "replication_lower", "replication_upper"]].to_numpy()],
        "covers original": ["yes" if c else "no" for c in rep["covers_original"]],
        "overlap": [fmt_number(v) for v in rep["overlap"]],
        "log10 BF_rep": [f"{v:.2f}" for v in rep["log10_bf_rep"]],
    })
    scale = {"ph": "log hazard ratio", "po": "log odds ratio"}.get(fit.info.kind,
                                                                   "log time ratio")
    caption = (f"Replication against the original study ({scale} per original unit of each "
               f"covariate): "
               f"the replication's {pct} equal-tailed interval, whether it covers the original "
               f"mean, the overlap of the two posteriors and the replication Bayes factor. "
               f"Time in {fit.time_unit}.")
    return frame, caption


def _variance_components(fit: Any, ci_prob: float, pct: str,
                         method: str = "finite") -> tuple[pd.DataFrame, str]:
    vc = fit.variance_components(method=method, ci_prob=ci_prob)
    frame = pd.DataFrame({
        **({"ending": vc["cause"]} if "cause" in vc.columns else {}),
        "component": vc["component"], "level": vc["level"],
        "variance": [f"{fmt_number(m)} {fmt_interval(a, b)}"
                     for m, a, b in vc[["mean", "lower", "upper"]].to_numpy()],
        "share": [f"{fmt_number(m)} {fmt_interval(a, b)}"
                  for m, a, b in vc[["share", "share_lower", "share_upper"]].to_numpy()]})
    scale = "hazard" if fit.info.kind == "ph" else "time"
    if method == "bml":
        return frame, (
            f"Variance decomposition as bml's varDecomp (log {scale} scale): the random "
            f"components' model variances, sd_mm^2 times the mean over coalitions of the "
            f"summed squared member weights, and sd^2 of each group frailty; share among "
            f"them (no residual, as for bml's Cox model); posterior mean and {pct} interval.")
    caption = (f"Variance decomposition of the linear predictor (log {scale} scale): per "
               f"posterior draw, the variance over the {fit.data.n:,} fitted coalitions of "
               f"each part of it (coalition covariates x'beta; an mm() term's weighted member "
               f"covariates and member effects; each group frailty), and its share of their "
               f"sum; posterior mean and {pct} interval. Covariances between parts and the "
               f"baseline's own randomness are not shares.")
    return frame, caption


_BUILDERS = {"hazard_ratios": _hazard_ratios, "summary": _summary, "effects": _effects,
             "comparison": _comparison, "replication": _replication,
             "variance_components": _variance_components}


def display_table(fit: Any, kind: str, *, ci_prob: float,
                  **options: Any) -> tuple[pd.DataFrame, str]:
    """Return the table of ``kind`` as text cells and its caption (see the module docstring)."""
    from coalsurv._stats import check_ci_prob

    ci_prob = check_ci_prob(ci_prob)
    if kind not in _BUILDERS:
        raise ArgumentError(f"table kind {kind!r}; expected one of {list(KINDS)}")
    allowed = {"effects": {"variable", "percentiles"}, "comparison": {"others"},
               "replication": {"original"}, "variance_components": {"method"}}.get(kind, set())
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ArgumentError(f"table({kind!r}): unknown option(s) {unknown}; "
                            f"{kind!r} takes {sorted(allowed) or 'none'}")
    pct = f"{100 * ci_prob:g}%"
    return _BUILDERS[kind](fit, ci_prob, pct, **options)


# ==================================================================================== render
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
          "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}", "<": r"$<$", ">": r"$>$", "∞": r"$\infty$",
          "−": r"$-$", "–": "--", "†": r"\textsuperscript{\dag}", "Δ": r"$\Delta$",
          "≥": r"$\geq$", "≤": r"$\leq$"}


def latex_escape(text: str) -> str:
    """Text safe in LaTeX's text mode (special characters and a few symbols)."""
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


def _is_numeric_text(cells: pd.Series) -> bool:
    return all(re.match(r"^[\s<>−\-–\d.,\[\]()%∞e+]*$", str(c) or "") for c in cells)


def render(frame: pd.DataFrame, caption: str, *, format: str, label: str | None = None) -> str:
    """Write a table of text cells as LaTeX (booktabs), Markdown (pipe table) or HTML."""
    if format not in FORMATS:
        raise ArgumentError(f"table format {format!r}; expected one of {list(FORMATS)}")
    cols = list(frame.columns)
    cells = frame.astype(str)
    if format == "latex":
        align = "".join("r" if _is_numeric_text(cells[c]) else "l" for c in cols)
        lines = [r"\begin{table}[htbp]", r"\centering",
                 rf"\caption{{{latex_escape(caption)}}}"]
        if label:
            lines.append(rf"\label{{{label}}}")
        lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule",
                  " & ".join(latex_escape(c) for c in cols) + r" \\", r"\midrule"]
        lines += [" & ".join(latex_escape(v) for v in row) + r" \\"
                  for row in cells.itertuples(index=False)]
        lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
        return "\n".join(lines) + "\n"
    if format == "markdown":
        def md(v: str) -> str:
            return str(v).replace("|", r"\|")

        lines = [f"Table: {md(caption)}", "",
                 "| " + " | ".join(md(c) for c in cols) + " |",
                 "|" + "|".join("---:" if _is_numeric_text(cells[c]) else ":---"
                                for c in cols) + "|"]
        lines += ["| " + " | ".join(md(v) for v in row) + " |"
                  for row in cells.itertuples(index=False)]
        return "\n".join(lines) + "\n"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                   for row in cells.itertuples(index=False))
    ident = f' id="{html.escape(label)}"' if label else ""
    return (f"<table{ident}><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table>\n")


def table(fit: Any, kind: str, *, format: str = "latex", ci_prob: float = 0.95,
          label: str | None = None, **options: Any) -> str:
    """Compute :meth:`coalsurv.Fit.table` (see there)."""
    if format not in FORMATS:
        raise ArgumentError(f"table format {format!r}; expected one of {list(FORMATS)}")
    frame, caption = display_table(fit, kind, ci_prob=ci_prob, **options)
    return render(frame, caption, format=format,
                  label=label or f"tab:{kind.replace('_', '-')}")


#: Reader names of the checks in reports (``Fit.diagnose()`` keeps the identifiers).
CHECK_LABELS = {"r_hat": "R-hat", "ess_bulk": "ESS bulk", "ess_tail": "ESS tail",
                "mcse": "MCSE", "e_bfmi": "E-BFMI", "pareto_k": "Pareto k",
                "ppc_km": "survival vs Kaplan–Meier", "ppc_cif": "incidence vs Aalen–Johansen",
                "loo_pit": "LOO-PIT", "mle_agreement": "agreement with MLE"}


def check_label(name: str) -> str:
    """Reader name of a diagnostic check, e.g. ``"r_hat"`` -> ``"R-hat"``."""
    return CHECK_LABELS.get(name, name.replace("_", " "))
