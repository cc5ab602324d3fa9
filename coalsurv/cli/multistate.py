"""``coalsurv multistate``: fit a multi-state model file to a sojourn CSV, occupancy, report.

A multi-state model file is TOML like a ``coalsurv fit`` model file: a ``[model]`` table (name,
family, clock, optional family_options) with a ``[model.transitions]`` table of
``"from -> to" = "formula"``, an optional ``[data]`` table (``time_unit``, ``censored``,
``covariates``, ``groups``) and optional ``[priors]`` (for every transition, or one
``[priors."from -> to"]`` table per transition). Example: ``models/multistate_paths.toml``.
The sojourn CSV has one row per sojourn of a unit in a state: columns ``id``, ``state``,
``start``, ``stop``, ``to`` (other names with ``--id`` ...) plus covariate and group columns.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

from coalsurv.cli.io import (
    Console,
    input_file,
    is_tty,
    output_file,
    read_csv,
    resolve_time_unit,
)
from coalsurv.errors import CommandLineError, SpecError

__all__ = ["add_multistate_parser", "cmd_multistate_fit", "cmd_multistate_occupancy",
           "cmd_multistate_report", "read_multistate_model", "MULTISTATE_SPEC_SCHEMA"]

#: Schema tag of a multi-state model file (optional in the file; another value is refused).
MULTISTATE_SPEC_SCHEMA = "coalsurv.multistate-spec/1"
_MODEL_KEYS = ("schema", "name", "family", "clock", "family_options", "transitions", "shared",
               "frailty")
_DATA_KEYS = ("time_unit", "censored", "covariates", "groups")
_ROLES = ("id", "state", "start", "stop", "to")


# ------------------------------------------------------------------------------ model file
def read_multistate_model(path: Path) -> tuple[Any, dict[str, Any]]:
    """Read a multi-state model file; return (MultiStateModel, its ``[data]`` table).

    Every problem of the file is one :class:`~coalsurv.errors.SpecError` naming the file and
    the key.
    """
    from coalsurv._io import read_text_file
    from coalsurv.fit.multistate import MultiStateModel

    where = f"model file {str(path)!r}"
    text = read_text_file(path, what="model file", expected="a TOML model file", error=SpecError)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where} is not valid TOML: {exc}") from None
    model = doc.get("model")
    if not isinstance(model, dict):
        raise SpecError(f"{where}: missing [model] table with [model.transitions] "
                        "(\"from -> to\" = \"formula\"), family and clock")
    if "formula" in model and "transitions" not in model:
        raise SpecError(f"{where} is a one-ending model file ([model] formula): fit it with "
                        "'coalsurv fit'; a multi-state model file has [model.transitions] with "
                        "one line per transition, \"coalition -> alliance\" = \"breadth\"")
    problems = [f"unknown key {k!r} in [model]; expected keys {list(_MODEL_KEYS)}"
                for k in model if k not in _MODEL_KEYS]
    if model.get("schema", MULTISTATE_SPEC_SCHEMA) != MULTISTATE_SPEC_SCHEMA:
        problems.append(f"[model] schema {model['schema']!r} is not {MULTISTATE_SPEC_SCHEMA!r}")
    transitions = model.get("transitions")
    if not isinstance(transitions, dict) or not transitions:
        problems.append("[model.transitions] is missing or empty: give one line per "
                        "transition, \"coalition -> alliance\" = \"breadth\"")
    data = doc.get("data", {})
    if not isinstance(data, dict):
        problems.append(f"[data] must be a table, got {type(data).__name__}")
        data = {}
    problems += [f"unknown key {k!r} in [data]; expected keys {list(_DATA_KEYS)}"
                 for k in data if k not in _DATA_KEYS]
    for key in ("covariates", "groups"):
        value = data.get(key)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(v, str) for v in value)):
            problems.append(f"[data] {key} must be a list of column names, got {value!r}")
    if "censored" in data and not isinstance(data["censored"], str):
        problems.append(f"[data] censored must be a label (text), got {data['censored']!r}")
    unknown_top = [k for k in doc if k not in ("model", "data", "priors")]
    if unknown_top:
        problems.append(f"unknown table(s) {unknown_top}; expected [model], [data], [priors]")
    if problems:
        raise SpecError(f"{where}: {len(problems)} problem(s)", problems)
    priors = _priors(doc.get("priors"), path, list(transitions))
    try:
        ms = MultiStateModel(transitions, family=model.get("family", "weibull"),
                             clock=model.get("clock", "reset"), priors=priors,
                             family_options=model.get("family_options"),
                             name=model.get("name", path.stem), shared=model.get("shared"),
                             frailty=model.get("frailty", "per_transition"))
    except SpecError as exc:
        raise SpecError(f"{where}: {exc.headline}", exc.problems) from None
    return ms, data


def _priors(table: Any, path: Path, keys: list[str]) -> Any:
    """``[priors]`` for every transition, or per transition (tables under transition keys)."""
    if table is None:
        return None
    from coalsurv.spec.priors import PRIOR_SCHEMA, PriorSet

    if not isinstance(table, dict):
        raise SpecError(f"model file {str(path)!r}: [priors] must be a table, got "
                        f"{type(table).__name__}")

    def one(body: dict, label: str) -> PriorSet:
        return PriorSet.from_dict({"schema": PRIOR_SCHEMA, "name": path.stem, "priors": body},
                                  source=f"{path} {label}")

    per = {k: v for k, v in table.items() if "->" in k}
    if not per:
        return one(table, "[priors]")
    if len(per) != len(table):
        raise SpecError(f"model file {str(path)!r}: [priors] mixes transition tables "
                        f"{sorted(per)} with plain keys {sorted(set(table) - set(per))}; give "
                        "either one prior set or one table per transition")
    return {k: one(v, f"[priors.{k!r}]") for k, v in per.items()}


# ------------------------------------------------------------------------------ data
def _formula_columns(model, frame) -> tuple[list[str], list[str]]:
    """Covariate and group columns the transitions' formulas use; unknown ones are an error."""
    from formulaic import Formula

    covariates: list[str] = []
    groups: list[str] = []
    problems = []
    if model.joint is not None:  # a joint model names plain covariates and its frailty
        covariates, groups = model.joint.covariates(), model.joint.factors
        missing = [c for c in [*covariates, *groups] if c not in frame.columns]
        if missing:
            raise CommandLineError(f"the model's covariates or frailty use column(s) {missing} "
                                   f"that the sojourn file does not have; columns: "
                                   f"{list(frame.columns)}")
        return covariates, groups
    for key, sub in model.models.items():
        spec = sub.spec
        try:
            needed = sorted(Formula(spec.fixed_formula).required_variables)
        except Exception:  # noqa: BLE001 - the model reports the formula problem
            needed = []
        found = [c for g in spec.group_terms for c in g.columns]
        missing = [c for c in [*needed, *found] if c not in frame.columns]
        if missing:
            problems.append(f"transition {key!r}: formula {spec.formula!r} uses column(s) "
                            f"{missing} that the sojourn file does not have; columns: "
                            f"{list(frame.columns)}")
        covariates += [c for c in needed if c not in covariates]
        groups += [c for c in found if c not in groups]
    if problems:
        raise CommandLineError(problems[0] if len(problems) == 1 else
                               f"{problems[0]} (and {len(problems) - 1} more)")
    return covariates, groups


def load_sojourns(args: argparse.Namespace, model, table: dict[str, Any], model_path: Path):
    """Build the TransitionData of the sojourn CSV for ``model``."""
    from coalsurv.data.transitions import TransitionData

    frame = read_csv(args.data)
    resolve_time_unit(args, model_path=model_path)
    columns = {role: getattr(args, role) for role in _ROLES}
    missing = [f"--{r} {c}" if c != r else c for r, c in columns.items()
               if c not in frame.columns]
    if missing:
        raise CommandLineError(f"sojourn file {args.data!r} lacks column(s) {missing}; columns: "
                               f"{list(frame.columns)} (name others with --id, --state, "
                               "--start, --stop, --to)")
    censored = table.get("censored", "censored")
    found = sorted({str(v) for v in frame[columns["to"]].dropna()})
    if censored not in found:
        raise CommandLineError(f"censored label {censored!r} does not occur in column "
                               f"{columns['to']!r}; labels found: {found[:10]}; set [data] "
                               "censored = \"LABEL\" in the model file")
    states = {str(v) for v in frame[columns["state"]].dropna()} | set(found) - {censored}
    for key, t in model.transitions.items():
        for state in (t.source, t.target):
            if state not in states:
                raise CommandLineError(
                    f"transition {key!r} of the model file: state {state!r} does not occur in "
                    f"the sojourn file (columns {columns['state']!r}, {columns['to']!r}); "
                    f"states found: {sorted(states)}")
    covariates, groups = _formula_columns(model, frame)
    for c in frame.columns:  # ids, states and groups are labels, never numbers
        if c in (columns["id"], columns["state"], columns["to"], *groups) and \
                frame[c].notna().all():
            frame[c] = frame[c].astype(str)
    return TransitionData.from_frame(
        frame, **columns, censored=censored,
        covariates=table.get("covariates", covariates), groups=table.get("groups", groups),
        time_unit=args.time_unit, name=Path(args.data).stem)


# ------------------------------------------------------------------------------ commands
def _num(value: float) -> str:
    from coalsurv._format import fmt_number

    return fmt_number(value)


def cmd_multistate_fit(args: argparse.Namespace, console: Console, command: str) -> int:
    """Fit a multi-state model file to a CSV of sojourns and save the fit (one .zip file).

    One hazard model per transition of the model file (the sojourns in its source state;
    other exits censor). Prints the events and the hazard ratios per SD of each transition.
    """
    from coalsurv.backend.sampling import CoalsurvSamplingWarning

    out = output_file(args.output, ".zip", "multi-state fit file")
    model_path = input_file(args.model, "model file")
    model, table = read_multistate_model(model_path)
    data = load_sojourns(args, model, table, model_path)
    console.progress(f"fitting {len(model.transitions)} transitions ({model.clock} clock) to "
                     f"{data.n_units} units, {data.n} sojourns ({args.chains} chains x "
                     f"{args.draws} draws, {args.tune} tuning)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(data, draws=args.draws, tune=args.tune, chains=args.chains,
                        random_seed=args.seed, progressbar=is_tty())
    for w in caught:
        if issubclass(w.category, CoalsurvSamplingWarning):
            print(f"coalsurv: warning: {w.message}", file=sys.stderr)
    console.progress("sampling done")
    fit.save(out)
    console.result(f"wrote {out}: {len(fit.transitions)} transitions, {data.n_units} units; "
                   f"times in {data.time_unit} ({args.time_unit_source}), clock {fit.clock}")
    ratios = fit.hazard_ratios()
    if fit.is_joint:
        rhat = (f"; max R-hat {_num(fit.joint.summary()['r_hat'].max())}" if args.chains > 1
                else "")
        console.result(f"  joint graph: {fit.joint.spec.formula}{rhat}")
        for r in ratios[ratios["scale"] == "per SD"].itertuples():
            console.result(f"      {r.transition}: {ratios.attrs.get('ratio', 'hazard ratio')} "
                           f"per SD of {r.term}: {_num(r.median)} [{_num(r.lower)}, "
                           f"{_num(r.upper)}]")
    for key, one in fit.fits.items():
        t = model.transitions[key]
        events = data.observed.get((t.source, t.target), 0)
        rhat = (f"; max R-hat {_num(one.summary()['r_hat'].max())}" if args.chains > 1
                else "")
        console.result(f"  {key}: {events} events, {model.models[key].spec.formula}{rhat}")
        rows = ratios[(ratios["transition"] == key) & (ratios["scale"] == "per SD")]
        for r in rows.itertuples():
            console.result(f"      {ratios.attrs.get('ratio', 'hazard ratio')} per SD of "
                           f"{r.term}: {_num(r.median)} [{_num(r.lower)}, {_num(r.upper)}]")
    return 0


def _times(text: str):
    """Argparse type: comma-separated times ``1,5,10``."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers such as 1,5,10, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
    return values


def _profile(fit, pairs: list[str] | None):
    """One covariate profile: the covariates' means, with ``--at NAME=VALUE`` set."""
    import pandas as pd

    names = list(fit.data.covariate_names)
    row = {c: float(fit.data.frame[c].mean()) for c in names}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CommandLineError(f"--at {pair!r}: expected NAME=VALUE, e.g. breadth=0.8")
        if name not in names:
            raise CommandLineError(f"--at {pair!r}: {name!r} is not a covariate of the fit; "
                                   f"covariates: {names}")
        try:
            row[name] = float(value)
        except ValueError:
            raise CommandLineError(f"--at {pair!r}: {value!r} is not a number") from None
    return pd.DataFrame([row]) if names else None, row


def cmd_multistate_occupancy(args: argparse.Namespace, console: Console, command: str) -> int:
    """State-occupancy table of a saved multi-state fit: P(in each state at each time).

    Starting in --start at time 0, for one covariate profile (the means of the data, or the
    values given with --at), with equal-tailed credible intervals.
    """
    from coalsurv._io import atomic_write_text
    from coalsurv.fit.multistate_file import load_multistate

    out = output_file(args.output, ".csv", "table") if args.output else None
    fit = load_multistate(input_file(args.fit, "multi-state fit file"))
    newdata, row = _profile(fit, args.at)
    occ = fit.state_occupancy(args.times, newdata, start=args.start, ci_prob=args.ci_prob,
                              n_paths=args.n_paths, random_seed=args.seed)
    profile = ", ".join(f"{k} = {_num(v)}" for k, v in row.items()) or "no covariates"
    console.result(f"state occupancy from {args.start!r} at time 0 (time in {fit.time_unit}; "
                   f"{profile}; mean [{args.ci_prob:.0%} interval])")
    wide = occ.assign(cell=[f"{_num(m)} [{_num(lo)}, {_num(hi)}]" for m, lo, hi in
                            zip(occ["mean"], occ["lower"], occ["upper"], strict=True)])
    wide = wide.pivot(index="time", columns="state", values="cell")[list(fit.states)]
    console.result(wide.to_string())
    if out is not None:
        atomic_write_text(out, occ.to_csv(index=False))
        console.result(f"wrote {out}")
    return 0


def cmd_multistate_report(args: argparse.Namespace, console: Console, command: str) -> int:
    """Write the PDF report of a saved multi-state fit."""
    from coalsurv.fit.multistate_file import load_multistate

    out = output_file(args.output, ".pdf", "report")
    fit = load_multistate(input_file(args.fit, "multi-state fit file"))
    console.progress(f"writing report {out}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit.report(out, title=args.title, ci_prob=args.ci_prob, progress=console.progress)
    for w in caught:
        if str(w.message).startswith("report:"):
            print(f"coalsurv: warning: {w.message}", file=sys.stderr)
    console.result(f"wrote {out}")
    return 0


# ------------------------------------------------------------------------------ parser
def _ci_prob(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def add_multistate_parser(sub, common, add_sampler_args) -> None:
    """Add ``coalsurv multistate fit | occupancy | report``."""
    from coalsurv.cli.parser import Parser, nonneg_int, positive_int

    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("multistate", help="multi-state paths (fit, occupancy, report)",
                       description="Multi-state models: one hazard model per transition "
                       "(coalition -> alliance -> community).\n\n" + __doc__.split("\n\n")[1],
                       formatter_class=fmt)
    ms = p.add_subparsers(dest="multistate_command", metavar="SUBCOMMAND", parser_class=Parser)
    ms.required = True

    q = ms.add_parser("fit", parents=[common], help="fit a multi-state model file to sojourns",
                      description=cmd_multistate_fit.__doc__, formatter_class=fmt)
    q.add_argument("data", metavar="SOJOURNS.csv",
                   help="CSV, one row per sojourn of a unit in a state")
    q.add_argument("--model", metavar="MODEL.toml", required=True,
                   help="multi-state model file: [model] family, clock, [model.transitions]")
    q.add_argument("-o", "--output", metavar="OUT.zip", required=True,
                   help="multi-state fit file to write")
    g = q.add_argument_group("columns of the sojourn file")
    for role, meaning in (("id", "unit id"), ("state", "state of the sojourn"),
                          ("start", "start of the sojourn on the unit's clock (0 = entry)"),
                          ("stop", "end of the sojourn"),
                          ("to", "state entered at stop, or the censored label")):
        g.add_argument(f"--{role}", metavar="COL", default=role,
                       help=f"{meaning} (default {role!r})")
    g.add_argument("--time-unit", choices=("days", "months", "years"), default=None,
                   help="unit of the times; required unless the model file's [data] table or "
                   "a data card beside the CSV states it")
    add_sampler_args(q, draws=1000, tune=1000, chains=4)
    q.set_defaults(func=cmd_multistate_fit)

    q = ms.add_parser("occupancy", parents=[common], help="state-occupancy table of a fit",
                      description=cmd_multistate_occupancy.__doc__, formatter_class=fmt)
    q.add_argument("fit", metavar="OUT.zip", help="file written by 'coalsurv multistate fit'")
    q.add_argument("--times", type=_times, required=True, metavar="T1,T2,...",
                   help="times since --start, in the fit's unit (e.g. 1,5,10)")
    q.add_argument("--start", required=True, metavar="STATE", help="state at time 0")
    q.add_argument("--at", nargs="+", metavar="NAME=VALUE",
                   help="covariate values of the profile (others at their means)")
    q.add_argument("-o", "--output", metavar="TABLE.csv", help="also write the tidy table")
    q.add_argument("--ci-prob", type=_ci_prob, default=0.95, help="interval mass (default 0.95)")
    q.add_argument("--n-paths", type=positive_int, default=500,
                   help="simulated paths per draw (reset clock; default 500)")
    q.add_argument("--seed", type=nonneg_int, default=0, help="seed of the paths (default 0)")
    q.set_defaults(func=cmd_multistate_occupancy)

    q = ms.add_parser("report", parents=[common], help="PDF report of a multi-state fit",
                      description=cmd_multistate_report.__doc__)
    q.add_argument("fit", metavar="OUT.zip", help="file written by 'coalsurv multistate fit'")
    q.add_argument("-o", "--output", metavar="REPORT.pdf", required=True)
    q.add_argument("--title", help="title of the report")
    q.add_argument("--ci-prob", type=_ci_prob, default=0.95, help="interval mass (default 0.95)")
    q.set_defaults(func=cmd_multistate_report)
