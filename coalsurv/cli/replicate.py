"""Commands for replication studies: the prior predictive check and ``coalsurv replicate``."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from coalsurv.cli.io import Console, input_file, load_data, output_file
from coalsurv.errors import CommandLineError

__all__ = ["cmd_priors_check_model", "cmd_replicate", "EXIT_ABSURD_PRIOR"]

#: Exit status of ``coalsurv priors check MODEL --priors FILE`` when the priors are absurd.
EXIT_ABSURD_PRIOR = 3


def _num(value: float) -> str:
    from coalsurv._format import fmt_number

    return fmt_number(value)


def cmd_priors_check_model(args: argparse.Namespace, console: Console, command: str) -> int:
    """Prior predictive summary in human units of a model file under a prior file.

    Prints the implied median lifespan of a typical coalition (covariates at their means in
    the data), hazard (or time) ratios per SD and survival at the quartiles of follow-up, as
    5%, 50% and 95% prior quantiles. Exit status 3 when more than 1% of the prior mass puts the
    median lifespan over 1,000 years or under one day.
    """
    from coalsurv.fit.model import SurvivalModel
    from coalsurv.fit.prior_predictive import prior_predictive
    from coalsurv.spec.priors import PriorSet

    if not args.data:
        raise CommandLineError("priors check MODEL --priors FILE needs the data: --data DATA.csv "
                               "--duration COL --event COL (covariate SDs, time unit)")
    if args.event is None:
        raise CommandLineError("--data needs --event COL")
    plot_out = None
    if args.plot:
        suffix = Path(args.plot).suffix.lower()
        if suffix not in (".png", ".pdf", ".svg"):
            raise CommandLineError(f"plot {args.plot!r} must end in .png, .pdf or .svg")
        plot_out = output_file(args.plot, suffix, "plot")
    model = SurvivalModel.load(input_file(args.file, "model file"))
    priors = PriorSet.load(input_file(args.priors, "prior file"))
    model = SurvivalModel.from_spec(model.spec, priors=priors)
    data = load_data(args, spec=model.spec)
    console.progress(f"drawing {args.draws} parameter sets from the priors")
    quartiles = np.quantile(np.asarray(data.time, dtype=float), [0.25, 0.5, 0.75])
    times = quartiles
    if plot_out:  # a smooth curve for the plot; the printed table keeps the quartiles
        grid = np.linspace(0.0, float(np.max(data.time)), 41)[1:]
        times = np.unique(np.concatenate([quartiles, grid]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = prior_predictive(model, data, draws=args.draws, times=times, warn=False)
    table = full[(full["quantity"] != "survival") | full["time"].isin(quartiles)]
    table.attrs = dict(full.attrs)
    console.result(f"prior predictive of {args.file} under prior set {priors.name!r} "
                   f"(time in {table.attrs['unit']}; 5% / 50% / 95% of the prior)")
    for row in table.itertuples():
        what = row.quantity + (f" {row.term}" if row.term else "")
        what += f" at {_num(row.time)}" if row.quantity == "survival" else ""
        console.result(f"  {what:34} {_num(row.q05):>10} {_num(row.median):>10} "
                       f"{_num(row.q95):>10}")
    low, high = table.attrs["limits"]
    share = table.attrs["absurd_share"]
    if plot_out:
        import matplotlib.pyplot as plt

        from coalsurv.plots.prior import plot_prior_predictive

        axes = plot_prior_predictive(full)
        axes[0].figure.savefig(plot_out, bbox_inches="tight")
        plt.close(axes[0].figure)
        console.result(f"wrote {args.plot}")
    verdict = "ABSURD" if table.attrs["absurd"] else "ok"
    console.result(f"{verdict}: {share:.1%} of the prior mass on median lifespans outside "
                   f"[{_num(low)}, {_num(high)}] {table.attrs['unit']} (one day, 1,000 years; "
                   f"limit {table.attrs['max_share']:.0%})")
    return EXIT_ABSURD_PRIOR if table.attrs["absurd"] else 0


def cmd_replicate(args: argparse.Namespace, console: Console, command: str) -> int:
    """Replication metrics of a replication fit against the original, per coefficient.

    Per original unit of each covariate: both posterior means and SDs, whether the
    replication's interval covers the original mean, the overlap of the two posteriors and
    the replication Bayes factor (Verhagen & Wagenmakers 2014; original posterior vs the
    sceptic's no effect; see coalsurv.fit.replication).
    """
    from coalsurv.fit.record import load_fit
    from coalsurv.fit.replication import replication

    original = load_fit(input_file(args.original, "fit file"))
    replica = load_fit(input_file(args.replication, "fit file"))
    table = replication(original, replica, ci_prob=args.ci_prob, sceptic_sd=args.sceptic_sd)
    console.result(f"replication of {original.fit_id} by {replica.fit_id} (per original unit; "
                   f"{args.ci_prob:.0%} intervals)")
    console.result(f"  {'cause':10} {'term':18} {'original':>10} {'replication':>12} "
                   f"{'covers':>7} {'overlap':>8} {'BF_rep':>10}")
    for r in table.itertuples():
        console.result(f"  {r.cause:10} {r.term:18} {_num(r.original_mean):>10} "
                       f"{_num(r.replication_mean):>12} {'yes' if r.covers_original else 'no':>7} "
                       f"{_num(r.overlap):>8} {_num(r.bf_rep):>10}" + (f"  {r.note}" if r.note
                                                                       else ""))
    return 0
