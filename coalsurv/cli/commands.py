"""The subcommands of ``coalsurv``: one ``cmd_*`` function each, ``(args, console, command)``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from coalsurv.cli.io import (
    Console,
    duplicate_rows,
    input_file,
    is_tty,
    load_data,
    output_file,
    role_notes,
    unused_role_columns,
)
from coalsurv.errors import CommandLineError

__all__ = [
    "DEMO_FORMULA",
    "DEMO_ALT_FORMULA",
    "DEMO_CAUSES",
    "cmd_demo",
    "cmd_fit",
    "cmd_report",
    "cmd_data_check",
    "cmd_simulate",
    "cmd_gallery",
    "cmd_priors_show",
    "cmd_priors_check",
    "cmd_priors_from_fit",
]

#: The demo's model: cause-specific Weibull hazards of the three endings with a group frailty
#: (as ``models/competing_endings.toml``), compared with a model without power's square term.
DEMO_FORMULA = "breadth + power_hhi + power_hhi_sq + (1 | group)"
DEMO_ALT_FORMULA = "breadth + power_hhi + (1 | group)"
DEMO_CAUSES = ("dissolution", "goal_reached", "alliance")



def fit_quietly(model, data, args, console: Console, command: str):
    """Fit with a progress bar on a terminal, plain lines otherwise; sampler warnings as lines."""
    from coalsurv.backend.sampling import CoalsurvSamplingWarning

    console.progress(f"fitting {model.spec.label} to {data.n} coalitions "
                     f"({args.chains} chains x {args.draws} draws, {args.tune} tuning; "
                     "compiling first)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(data, draws=args.draws, tune=args.tune, chains=args.chains,
                        random_seed=args.seed, progressbar=is_tty(), command=command)
    for w in caught:
        if issubclass(w.category, CoalsurvSamplingWarning):
            print(f"coalsurv: warning: {w.message}", file=sys.stderr)
    console.progress("sampling done")
    return fit


def write_report(fit, path: Path, console: Console, **kwargs: Any) -> Path:
    console.progress(f"writing report {path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fit.report(path, progress=console.progress, **kwargs)
    for w in caught:
        if str(w.message).startswith("report:"):
            print(f"coalsurv: warning: {w.message}", file=sys.stderr)
    return out


def cmd_demo(args: argparse.Namespace, console: Console, command: str) -> int:
    """Fit the bundled synthetic coalitions and write the demo report and fit."""
    import coalsurv

    out = output_file(args.out, ".pdf", "report", create_folder=True)
    fit_out = output_file(args.fit_out, ".nc", "fit file", create_folder=True)
    if args.quick:
        args.draws, args.tune = min(args.draws, 200), min(args.tune, 200)
    console.progress("loading the bundled synthetic coalitions")
    data = coalsurv.datasets.load_synthetic()
    model = coalsurv.SurvivalModel(DEMO_FORMULA, family="weibull", causes=DEMO_CAUSES,
                                   name="Competing endings, Weibull with group frailty")
    fit = fit_quietly(model, data, args, console, command)
    compare_with = None
    if not args.no_compare:
        alt = coalsurv.SurvivalModel(DEMO_ALT_FORMULA, family="weibull", causes=DEMO_CAUSES,
                                     name="Without power concentration squared")
        compare_with = {"without power_hhi_sq": fit_quietly(alt, data, args, console,
                                                             command)}
    console.progress(f"saving the fit to {fit_out}")
    fit.save(fit_out)
    console.result(f"wrote {fit_out}")
    write_report(fit, out, console, compare_with=compare_with,
                  title="coalsurv demo: how synthetic coalitions end")
    console.result(f"wrote {out}")
    return 0


def cmd_fit(args: argparse.Namespace, console: Console, command: str) -> int:
    """Fit a model file to a CSV and save the fit."""
    from coalsurv.errors import CoalsurvError
    from coalsurv.fit.model import SurvivalModel

    out = output_file(args.output, ".nc", "fit file")
    report = output_file(args.report, ".pdf", "report") if args.report else None
    model_path = input_file(args.model, "model file")
    try:
        model = SurvivalModel.load(model_path)
    except CoalsurvError as exc:
        if args.model in exc.headline:
            raise
        raise type(exc)(f"model file {args.model!r}: {exc.headline}", exc.problems) from None
    if args.priors:
        from coalsurv.spec.priors import PriorSet

        model = SurvivalModel.from_spec(model.spec, priors=PriorSet.load(
            input_file(args.priors, "prior file")))
    data = load_data(args, spec=model.spec, model_path=model_path)
    unit_note = f"durations in {data.time_unit} ({args.time_unit_source})"
    for line in [*duplicate_rows(data.frame), *unused_role_columns(data.frame, args)]:
        print(f"coalsurv: warning: {line}", file=sys.stderr)
    if len(data.excluded):
        console.progress(f"left out {len(data.excluded)} row(s) with missing values "
                         "(--dropna); they are listed in the report's data description")
    fit = fit_quietly(model, data, args, console, command)
    fit.save(out)
    console.result(f"wrote {out}: {unit_note}")
    if report is not None:
        write_report(fit, report, console)
        console.result(f"wrote {report}")
    return 0


def cmd_report(args: argparse.Namespace, console: Console, command: str) -> int:
    """Write the PDF report of a saved fit."""
    from coalsurv.fit.record import load_fit

    out = output_file(args.output, ".pdf", "report")
    source = input_file(args.fit, "fit file")
    if is_multistate_file(source):
        return _report_multistate(args, source, out, console)
    fit = load_fit(source)
    others = {}
    for path in args.compare or []:
        other = load_fit(input_file(path, "fit file"))
        others[Path(path).stem] = other
    style = getattr(args, "style", "full")
    extra = ({"style": style, "figure_format": args.figure_format} if style == "paper"
             else {})
    write_report(fit, out, console, title=args.title, compare_with=others or None, **extra)
    console.result(f"wrote {out}")
    if style == "paper":
        console.result(f"wrote its figures to {out.with_name(out.stem + '_figures')}")
    return 0


def is_multistate_file(path: Path) -> bool:
    """Whether ``path`` is a multi-state fit file (a zip archive, ``coalsurv.multistate/1``)."""
    import zipfile

    return zipfile.is_zipfile(path)


def _report_multistate(args: argparse.Namespace, source: Path, out: Path,
                       console: Console) -> int:
    """``coalsurv report MS.zip``: the multi-state report (no comparisons, no paper style)."""
    from coalsurv.fit.multistate_file import load_multistate

    if args.compare:
        raise CommandLineError(f"{str(source)!r} is a multi-state fit file: --compare takes "
                               "single-ending fit files only")
    if getattr(args, "style", "full") == "paper":
        raise CommandLineError(f"{str(source)!r} is a multi-state fit file: its report has one "
                               "style (leave out --style paper)")
    ms = load_multistate(source)
    console.result(f"{source}: multi-state fit file ({len(ms.transitions)} transitions)")
    console.progress(f"writing report {out}")
    ms.report(out, title=args.title, progress=console.progress)
    console.result(f"wrote {out}")
    return 0


def cmd_data_check(args: argparse.Namespace, console: Console, command: str) -> int:
    """Validate a CSV of coalitions and print its description."""
    from coalsurv.errors import CoalitionDataError

    data = load_data(args)
    dups = [] if args.id is not None else duplicate_rows(data.frame)
    if dups:
        raise CoalitionDataError(f"invalid coalition data: {len(dups)} problem(s)", dups)
    console.result(f"time unit: {data.time_unit} ({args.time_unit_source})")
    if args.id is None:
        console.result("rows are named by their line in the file (header = line 1); "
                       "pass --id COL to name them by a column")
    for line in unused_role_columns(data.frame, args):
        console.result(f"warning: {line}")
    lines, warns = role_notes(args.raw_frame, args, data)
    for line in lines:
        console.result(line)
    for line in warns:
        console.result(f"warning: {line}")
    if getattr(args, "ignored_columns", None):
        console.result(f"note: empty column(s) {args.ignored_columns} ignored")
    console.result(str(data.describe()))
    if len(data.excluded):
        console.result(f"\n{len(data.excluded)} row(s) left out (--dropna):")
        console.result(data.excluded.to_string(index=False))
    verdict = "ok" if not warns else f"ok with {len(warns)} warning(s) above"
    console.result(f"\n{verdict}: {data!r}")
    return 0


def cmd_simulate(args: argparse.Namespace, console: Console, command: str) -> int:
    """Simulate coalition histories to a CSV (and their members)."""
    from coalsurv._io import atomic_write_text
    from coalsurv.simulation import simulate

    out = output_file(args.output, ".csv", "output")
    members = output_file(args.members_out, ".csv", "members output") if args.members_out \
        else None
    sim = simulate(n_coalitions=args.n, n_groups=args.groups, seed=args.seed,
                   collapse_causes=args.collapse)
    atomic_write_text(out, sim.frame.to_csv(index=False))
    console.result(f"wrote {out}: {len(sim.frame)} coalitions, endings "
                   f"{sim.frame['event'].value_counts().to_dict()}; durations in "
                   f"{sim.data.time_unit} (pass --time-unit {sim.data.time_unit} when reading it)")
    if members is not None:
        atomic_write_text(members, sim.members.to_csv(index=False))
        console.result(f"wrote {members}: {len(sim.members)} member rows")
    return 0


def cmd_gallery(args: argparse.Namespace, console: Console, command: str) -> int:
    """Render every plot for the bundled data to PNG files."""
    from coalsurv.report.gallery import render_gallery

    fit = None
    if args.fit:
        from coalsurv.fit.record import load_fit

        fit = load_fit(input_file(args.fit, "fit file"))
    else:
        import coalsurv

        data = coalsurv.datasets.load_synthetic()
        model = coalsurv.SurvivalModel(DEMO_FORMULA, family="weibull", causes=DEMO_CAUSES)
        fit = fit_quietly(model, data, args, console, command)
    paths = render_gallery(fit, Path(args.out), progress=console.progress)
    for p in paths:
        console.result(f"wrote {p}")
    return 0


def cmd_priors_show(args: argparse.Namespace, console: Console, command: str) -> int:
    """Print a prior file."""
    from coalsurv.spec.priors import DEFAULT_PRIORS, PriorSet

    priors = PriorSet.load(input_file(args.file, "prior file"))
    console.result(f"prior set: {priors.name or '(unnamed)'}")
    if priors.description:
        console.result(f"description: {priors.description}")
    for key, value in priors.provenance.items():
        if key != "translations":
            console.result(f"provenance: {key} = {value}")
    width = max([9, *(len(k) for k in priors.priors)])
    console.result(f"\n{'parameter':{width}}  prior")
    for key, prior in priors.priors.items():
        console.result(f"{key:{width}}  {prior}")
    if priors.translations:
        console.result("\ngiven on interpretable scales (translation):")
        for sentence in priors.translations.values():
            console.result(f"  {sentence}")
    defaults = [k for k in DEFAULT_PRIORS if k not in priors.priors]
    if defaults:
        console.result("\nother parameters take the defaults: "
                       + ", ".join(f"{k} ~ {DEFAULT_PRIORS[k]}" for k in defaults))
    return 0


def cmd_priors_check(args: argparse.Namespace, console: Console, command: str) -> int:
    """Validate a prior file."""
    from coalsurv.spec.priors import PriorSet

    priors = PriorSet.load(input_file(args.file, "prior file"))
    console.result(f"ok: {args.file}: prior set {priors.name!r} with {len(priors.priors)} "
                   f"prior(s): {', '.join(priors.priors) or 'none (all defaults)'}")
    return 0


def cmd_priors_from_fit(args: argparse.Namespace, console: Console, command: str) -> int:
    """Turn a saved fit's posterior into a prior file (power prior)."""
    from coalsurv.fit.record import load_fit
    from coalsurv.spec.priors import PriorSet

    out = Path(args.output)
    if out.suffix not in (".toml", ".json"):
        raise CommandLineError(f"prior file {args.output!r} must end in .toml or .json")
    source = input_file(args.fit, "fit file")
    options = dict(discount=args.discount, joint=not args.independent,
                   include_intercept=args.include_intercept,
                   include_frailty=not args.drop_frailty, components=args.components)
    if is_multistate_file(source):
        from coalsurv.fit.multistate_file import load_multistate

        ms = load_multistate(source)
        if ms.is_joint:  # refused by name (no prior file is written)
            ms.priors_from_fit(**options)
        console.result(f"{source}: multi-state fit file ({len(ms.fits)} transitions): one "
                       "prior file per transition")
        for key, fit in ms.fits.items():
            safe = "".join(ch if ch.isalnum() else "_" for ch in key).strip("_")
            while "__" in safe:
                safe = safe.replace("__", "_")
            target = out.with_name(f"{out.stem}_{safe}{out.suffix}")
            name = f"{args.name} ({key})" if args.name else key
            priors = PriorSet.from_fit(fit, name=name, **options)
            priors.save(target)
            console.result(f"wrote {target}: {_count(len(priors.priors), 'prior')} for "
                           f"transition {key} (discount {args.discount:g})")
        return 0
    fit = load_fit(source)
    priors = PriorSet.from_fit(fit, name=args.name, **options)
    priors.save(out)
    console.result(f"wrote {out}: {_count(len(priors.priors), 'prior')} from fit {fit.fit_id} "
                   f"(discount {args.discount:g})")
    return 0


def _count(n: int, word: str) -> str:
    """``1 prior``, ``3 priors``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
