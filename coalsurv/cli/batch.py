r"""``coalsurv batch``: many fits on Dask (``fit``), calibration (``sbc``, ``validate``).

Examples
--------
::

    coalsurv batch fit a.csv b.csv --model models/x.toml -o fits/ --duration d --event e \
        --time-unit months
    coalsurv batch sbc --model models/x.toml --simulations 100 --rows 100 -o sbc/
    coalsurv batch validate -o reports/validation            # what `make validate` runs
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

from coalsurv.cli.io import Console, input_file, load_data
from coalsurv.errors import CommandLineError

__all__ = ["add_batch_parser", "cmd_batch_fit", "cmd_batch_sbc", "cmd_batch_validate"]

#: ``coalsurv batch --help``: plain text (the module docstring is reStructuredText).
DESCRIPTION = """\
Many fits on Dask (fit), calibration (sbc, validate).

examples:
  coalsurv batch fit a.csv b.csv --model models/x.toml -o fits/ --duration d --event e \\
      --time-unit months
  coalsurv batch sbc --model models/x.toml --simulations 100 --rows 100 -o sbc/
  coalsurv batch validate -o reports/validation            # what 'make validate' runs
"""


def _plain(doc: str | None) -> str:
    """Return a docstring as --help prints it: no reStructuredText literals."""
    return (doc or "").replace("``", "'")


def _load_model(path: str):
    from coalsurv.fit.model import SurvivalModel

    return SurvivalModel.load(input_file(path, "model file"))


def _cluster_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running Dask scheduler (default: a local cluster)")
    g.add_argument("--workers", type=int, default=2,
                   help="workers of the local cluster, one thread each (default 2)")


def _check_workers(args) -> None:
    if args.workers < 1:
        raise CommandLineError(f"--workers must be >= 1, got {args.workers}")


def cmd_batch_fit(args: argparse.Namespace, console: Console, command: str) -> int:
    """Fit one model file to many CSV files (one fit file per CSV, named by its stem).

    Finished fits are skipped on a rerun; failed ones are listed with their error.
    """
    import coalsurv

    _check_workers(args)
    model_path = input_file(args.model, "model file")
    model = _load_model(args.model)
    names = [Path(p).stem for p in args.data]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CommandLineError(f"data files share the name(s) {dupes}; fit files are named "
                               "by the CSV's stem")
    datasets = {}
    for path in args.data:
        one = copy.copy(args)
        one.data = path
        datasets[Path(path).stem] = load_data(one, spec=model.spec, model_path=model_path)
    console.progress(f"fitting {model.spec.label} to {len(datasets)} data sets")
    frame = coalsurv.fit_many(model, datasets, out=args.output, client=args.scheduler,
                              n_workers=args.workers, retries=args.retries,
                              progress=not args.quiet, draws=args.draws, tune=args.tune,
                              chains=args.chains, random_seed=args.seed, command=command)
    console.result(frame.to_string(index=False))
    return 0 if (frame["status"] == "ok").all() else 1


def cmd_batch_sbc(args: argparse.Namespace, console: Console, command: str) -> int:
    """Simulation-based calibration of a model file: ranks, uniformity and coverage tables."""
    import coalsurv

    _check_workers(args)
    model = _load_model(args.model)
    console.progress(f"calibrating {model.spec.label}: {args.simulations} simulations of "
                     f"{args.rows} coalitions")
    result = coalsurv.sbc(model, n_simulations=args.simulations, n_rows=args.rows,
                          seed=args.seed, client=args.scheduler, out=Path(args.output) / "fits",
                          n_workers=args.workers, progress=not args.quiet, draws=args.draws,
                          tune=args.tune, chains=args.chains)
    paths = result.save(args.output, stem=Path(args.model).stem)
    console.result(result.uniformity().to_string(index=False))
    console.result(result.coverage().to_string(index=False))
    console.result(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def cmd_batch_validate(args: argparse.Namespace, console: Console, command: str) -> int:
    """SBC and coverage of every model (``make validate``); tables and plots under -o."""
    from coalsurv.batch.validate import MODELS, QUICK, rejudge, run_validation

    _check_workers(args)
    known = [m.key for m in MODELS]
    keys = list(QUICK) if args.quick else (args.models or known)
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise CommandLineError(f"--models: unknown {unknown}; expected some of {known}")
    if args.rejudge:
        summary = rejudge(args.output, keys=args.models or (list(QUICK) if args.quick else None))
        console.result(summary.to_string(index=False))
        console.result(f"wrote {Path(args.output) / 'SUMMARY.md'}")
        return 0
    summary = run_validation(args.output, keys=keys, n_simulations=args.simulations,
                             n_rows=args.rows, seed=args.seed, client=args.scheduler,
                             progress=not args.quiet, n_workers=args.workers)
    console.result(summary.to_string(index=False))
    console.result(f"wrote {Path(args.output) / 'SUMMARY.md'}")
    return 0


def add_batch_parser(sub, common: argparse.ArgumentParser, add_data_args,
                     add_sampler_args) -> None:
    """Register ``coalsurv batch fit|sbc|validate``."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("batch", help="many fits on Dask; calibration (fit, sbc, validate)",
                       description=DESCRIPTION, formatter_class=fmt)
    bsub = p.add_subparsers(dest="batch_command", metavar="COMMAND", parser_class=type(p))
    bsub.required = True
    q = bsub.add_parser("fit", parents=[common], help="one model file, many CSV files",
                        description=_plain(cmd_batch_fit.__doc__))
    add_data_args(q)
    q.set_defaults(func=cmd_batch_fit)
    for action in q._actions:  # several data files
        if action.dest == "data":
            action.nargs = "+"
    q.add_argument("--model", metavar="FILE.toml", required=True)
    q.add_argument("-o", "--output", metavar="FOLDER", required=True,
                   help="folder of the fit files (a rerun resumes)")
    q.add_argument("--retries", type=int, default=2, help="retries of a failed task (default 2)")
    add_sampler_args(q, draws=1000, tune=1000, chains=4)
    _cluster_args(q)

    q = bsub.add_parser("sbc", parents=[common], help="simulation-based calibration of a model",
                        description=_plain(cmd_batch_sbc.__doc__))
    q.add_argument("--model", metavar="FILE.toml", required=True)
    q.add_argument("-o", "--output", metavar="FOLDER", required=True)
    q.add_argument("--simulations", type=int, default=100, help="data sets (default 100)")
    q.add_argument("--rows", type=int, default=100, help="coalitions per data set (default 100)")
    add_sampler_args(q, draws=250, tune=300, chains=2)
    _cluster_args(q)
    q.set_defaults(func=cmd_batch_sbc)

    q = bsub.add_parser("validate", parents=[common],
                        help="SBC and coverage of every model (make validate)",
                        description=_plain(cmd_batch_validate.__doc__))
    q.add_argument("-o", "--output", metavar="FOLDER", default="reports/validation",
                   help="folder of the tables, plots and SUMMARY.md (default "
                        "reports/validation)")
    q.add_argument("--models", nargs="+", metavar="KEY",
                   help="a subset of the models, by key (default: every model; an unknown key "
                        "lists the keys)")
    q.add_argument("--quick", action="store_true", help="the quick subset (two families)")
    q.add_argument("--simulations", type=int, default=100,
                   help="simulated data sets per model (default 100)")
    q.add_argument("--rows", type=int, default=100,
                   help="coalitions per simulated data set (default 100)")
    q.add_argument("--seed", type=int, default=20261201,
                   help="seed of the simulations (default 20261201)")
    q.add_argument("--rejudge", action="store_true",
                   help="no fits: judge the ranks saved under -o again with the current rules")
    _cluster_args(q)
    q.set_defaults(func=cmd_batch_validate)
