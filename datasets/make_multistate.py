"""Regenerate the bundled synthetic multi-state data set and its data card.

Run from the repository root::

    .venv/bin/python datasets/make_multistate.py

Writes, next to this script: ``synthetic_multistate.csv`` (one row per sojourn),
``synthetic_multistate_truth.json`` (true parameters) and ``synthetic_multistate.md`` (the
data card). Deterministic: the same coalsurv version gives byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

from coalsurv.simulation.multistate import simulate_multistate

HERE = Path(__file__).resolve().parent
COMMAND = ".venv/bin/python datasets/make_multistate.py"
SETTINGS = {"n": 600, "clock": "reset", "seed": 20261201}


def main() -> None:
    """Simulate and write the three files."""
    sim = simulate_multistate(SETTINGS["n"], clock=SETTINGS["clock"], seed=SETTINGS["seed"])
    frame = sim.data.frame.drop(columns=["entered"])
    frame.to_csv(HERE / "synthetic_multistate.csv", index=False, float_format="%.6f")
    truth = {"params": sim.params.to_dict(), "clock": sim.clock, "settings": SETTINGS,
             "group_effects": {k: [round(float(x), 6) for x in v]
                               for k, v in sim.group_effects.items()},
             "observed": {f"{a} -> {b}": n for (a, b), n in sim.data.observed.items()},
             "command": COMMAND}
    (HERE / "synthetic_multistate_truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    rows = "\n".join(
        f"| `{k}` | {p['scale']} | {p['shape']} | "
        + ", ".join(f"{c} {b:+}" for c, b in p["beta"].items())
        + f" | {p.get('age', 0.0)} | {truth['observed'].get(k, 0)} |"
        for k, p in sim.params.transitions.items())
    card = f"""# Synthetic multi-state coalition histories (coalsurv)

Simulated by `coalsurv.simulate_multistate({SETTINGS['n']}, clock="{SETTINGS['clock']}",
seed={SETTINGS['seed']})`; regenerate with `{COMMAND}`. Not real data: the true parameters are
known, so fits can be checked against them.

- **Units**: {sim.data.n_units} coalitions; **rows**: {sim.data.n} sojourns (one per unit and
  state); **time unit**: years, on each coalition's own clock (0 = formation).
- **Columns**: `id`, `state` (`coalition` or `alliance`), `start`, `stop` (years),
  `to` (the state entered at `stop`: `alliance`, `community`, `dissolution`, or `censored`),
  `breadth` (shared-interest breadth, Beta(2, 2)), `power_hhi` (power concentration,
  Uniform(0.2, 1)), `power_hhi_sq` (its square), `region` (12 groups, frailty per transition).
- **Paths**: coalition -> alliance -> community; dissolution from coalition and from alliance;
  `community` and `dissolution` are absorbing. Follow-up ends at Uniform(5, 30) years.
- **Clock**: reset (semi-Markov): each intensity runs on the time since entering the state.

## True intensities
Weibull proportional hazards `h(t) = (k / lam) (t / lam)^(k - 1) t^(age * breadth)
exp(x'beta + u_region)`, `u_region ~ Normal(0, {sim.params.frailty_sd})` drawn independently
per transition (values in `synthetic_multistate_truth.json`). `age > 0` makes the hazard ratio
of breadth on deepening grow with the coalition's age (`exp(beta) * t^age`): participation
broadens perceived shared interests. Power concentration enters dissolution as
`-6 p + 6 p^2` (U-shaped, lowest at p = 0.5).

| transition | lam | k | log hazard ratios per unit | age | observed |
|---|---|---|---|---|---|
{rows}

Load with `coalsurv.datasets.load_synthetic_multistate()` (a `TransitionData`).
"""
    (HERE / "synthetic_multistate.md").write_text(card)


if __name__ == "__main__":
    main()
