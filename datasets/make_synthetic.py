"""Regenerate the bundled synthetic coalition data set and its data card.

Run from the repository root::

    .venv/bin/python datasets/make_synthetic.py

Writes, next to this script:

- ``synthetic_coalitions.csv``: episode table (one row per coalition);
- ``synthetic_members.csv``: member table (one row per member per coalition);
- ``synthetic_truth.json``: the true parameters (``coalsurv.simulate`` truth);
- ``synthetic_coalitions.md``: the data card.

The output is deterministic: the same coalsurv version gives byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from coalsurv.simulation import COVARIATES, simulate

HERE = Path(__file__).resolve().parent
COMMAND = ".venv/bin/python datasets/make_synthetic.py"
SETTINGS = {
    "n_coalitions": 600,
    "n_groups": 20,
    "seed": 20240601,
    "delayed_entry_share": 0.2,
    "interval_share": 0.0,
    "time_unit": "months",
}
TIME_COLUMNS = ("duration", "entry", "lower", "upper")

_DESCRIPTIONS = {
    "id": "coalition id (C001 ...)",
    "group": "group label (country / war), G01 ... G20; shares a frailty",
    "duration": "months from formation to the ending or to censoring",
    "event": "how it ended: dissolution, goal_reached, alliance, or censored",
    "entry": "delayed entry: months since formation when observation began (0 = from the start)",
    "lower": "interval-censored endings: lower bound (empty in this file)",
    "upper": "interval-censored endings: upper bound (empty in this file)",
    "n_members": "number of members (2-6)",
    "power_hhi": "Herfindahl index of members' power shares, sum s_i^2 (1/n to 1)",
    "power_hhi_sq": "power_hhi squared (dissolution hazard is U-shaped in power_hhi)",
    "leader_share": "largest member's share (no effect in truth; collinear with power_hhi)",
    "banzhaf_max": "largest normalised Banzhaf index, simple-majority quota (no effect in truth)",
    "breadth": "mean pairwise Jaccard overlap of members' issue portfolios, 8 areas (0-1)",
    "ideological_breadth": "minus the SD of members' left-right positions (larger = closer)",
}


def _round(frame, columns, digits):
    out = frame.copy()
    for c in columns:
        out[c] = out[c].round(digits)
    return out


def _card(truth: dict, frame) -> str:
    causes = truth["causes"]
    names = list(causes)
    lines = [
        "# Synthetic coalition histories (`synthetic_coalitions.csv`)",
        "",
        "Simulated by `coalsurv.simulate`, so every true parameter is known: use it to check that",
        "a model recovers what generated the data. Not real coalitions.",
        "",
        f"- **Size:** {truth['n_coalitions']} coalitions (episodes) in {truth['n_groups']} groups;"
        f" member table with {truth['n_members_rows']} rows (`synthetic_members.csv`).",
        f"- **Time unit:** {truth['time_unit']}.",
        f"- **Regenerate:** `{COMMAND}` (seed {truth['seed']}; deterministic).",
        "- **Load:** `coalsurv.datasets.load_synthetic()` (a `CoalitionData`; "
        "`causes=\"collapsed\"` labels every ending `ended`); true parameters: "
        "`coalsurv.datasets.synthetic.load_synthetic_truth()` (`synthetic_truth.json`).",
        "",
        "## Generative story",
        "",
        f"1. {truth['n_groups']} groups (countries / wars) with a shared log-normal frailty:"
        " log-hazard shift"
        f" b_g ~ N(0, {truth['frailty']['sd']}^2), the same for every ending.",
        "2. Each coalition has 2-6 members with Dirichlet(1) power shares, left-right positions"
        " (0-10) around a coalition centre, and portfolios over 8 issue areas whose overlap"
        " depends on a coalition-level cohesion (Beta(1.5, 1.5)) and a core agenda.",
        "3. Covariates derived with `coalsurv.covariates` (raw units, columns below).",
        "4. Three competing endings, each a Weibull proportional-hazards model with its own",
        "   shape k_c and scale lambda_c (months, at the reference profile r):",
        "   `h_c(t) = (k_c/lambda_c) (t/lambda_c)^(k_c-1) exp(sum_j beta_cj (x_j - r_j) + b_g)`,",
        "   equivalently `k_c t^(k_c-1) exp(alpha_c + sum_j beta_cj x_j + b_g)` (coalsurv's",
        "   `weibull_ph`), the intercept alpha_c below. The first latent ending wins.",
        "5. Observation: administrative censoring"
        f" {truth['censoring']['admin_censor']:g} months after formation, random exponential"
        f" censoring at rate {truth['censoring']['random_censor_rate']:g} per month; a share"
        f" {truth['censoring']['delayed_entry_share']:g} of generated coalitions is observed only"
        f" from a delayed entry time U(0, {truth['censoring']['entry_max']:g}) months, and those"
        " that ended before it are never seen (left truncation;"
        f" {truth['n_generated']} generated to observe {truth['n_coalitions']}). No interval"
        " censoring in this file (`coalsurv.simulate(interval_share=...)` makes some).",
        "",
        "## True parameters",
        "",
        "Coefficients are log hazard ratios **per original unit** of each covariate (the model"
        " standardises internally; per-SD values = coefficient x sample SD, given in the JSON).",
        "",
        "| parameter | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        "| shape k | " + " | ".join(f"{causes[c]['shape']:g}" for c in names) + " |",
        "| scale lambda (months, at r) | "
        + " | ".join(f"{causes[c]['scale']:g}" for c in names) + " |",
        "| intercept alpha (PH, raw x) | "
        + " | ".join(f"{causes[c]['intercept']:.4f}" for c in names) + " |",
    ]
    for x in COVARIATES:
        lines.append(
            f"| beta: {x} (r = {truth['reference'][x]:g}) | "
            + " | ".join(f"{causes[c]['coefficients'][x]:g}" for c in names) + " |"
        )
    lines += [
        "",
        f"Frailty: SD {truth['frailty']['sd']:g} on the log-hazard scale, shared by all causes"
        " (realised group effects in the JSON). The dissolution hazard is U-shaped in"
        " `power_hhi`, lowest at 0.5. `leader_share` and `banzhaf_max` have no effect given"
        " `power_hhi` (distractors).",
        "",
        "## Counts",
        "",
        "| ending | n |",
        "|---|---|",
    ]
    counts = truth["counts"]
    for label in [*names, "censored"]:
        lines.append(f"| {label} | {counts.get(label, 0)} |")
    lines += [
        f"| total | {truth['n_coalitions']} |",
        "",
        f"Delayed entry: {counts['delayed_entry']} coalitions; interval-censored:"
        f" {counts['interval']}. Follow-up: median {np.median(frame['duration']):.1f}, max"
        f" {frame['duration'].max():g} months.",
        "",
        "## Columns of `synthetic_coalitions.csv`",
        "",
        "| column | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{c}` | {_DESCRIPTIONS[c]} |" for c in frame.columns]
    lines += [
        "",
        "## Columns of `synthetic_members.csv`",
        "",
        "| column | meaning |",
        "|---|---|",
        "| `id` | coalition id |",
        "| `member` | member label within the coalition (M1 ...) |",
        "| `share` | power share (sums to 1 within a coalition) |",
        "| `position` | left-right position, 0-10 |",
        "| `issue_1` ... `issue_8` | 1 if the member holds the issue area |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Simulate the bundled data set and write the four files."""
    sim = simulate(**SETTINGS)
    frame = _round(sim.frame, TIME_COLUMNS, 4)
    frame = _round(frame, [c for c in COVARIATES if c != "n_members"], 6)
    bad = frame["duration"] <= frame["entry"]
    if bad.any():
        raise SystemExit(f"rounding broke entry < duration for {frame.loc[bad, 'id'].tolist()}")
    members = _round(sim.members, ["share"], 12)
    members = _round(members, ["position"], 4)
    truth = dict(sim.truth)
    truth["n_members_rows"] = len(members)
    truth["settings"] = SETTINGS
    truth["command"] = COMMAND
    truth["files"] = {
        "episodes": "synthetic_coalitions.csv",
        "members": "synthetic_members.csv",
        "card": "synthetic_coalitions.md",
    }
    frame.to_csv(HERE / "synthetic_coalitions.csv", index=False)
    members.to_csv(HERE / "synthetic_members.csv", index=False)
    (HERE / "synthetic_truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    (HERE / "synthetic_coalitions.md").write_text(_card(truth, frame))
    print(f"wrote {len(frame)} coalitions, {len(members)} members to {HERE}")
    print({k: v for k, v in truth["counts"].items()})


if __name__ == "__main__":
    main()
