"""MultiStateFit: a fitted multi-state model — per-transition tables, occupancy, save/load.

Everything a :class:`~coalsurv.Fit` offers is delegated to the fit of each transition
(``fit.fits["coalition -> alliance"]``) and stacked with a ``transition`` column; the
multi-state quantities (state occupancy, expected time in each state, transition
probabilities) combine the transitions' posterior draws (:mod:`coalsurv.fit.occupancy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coalsurv._stats import DEFAULT_CI_PROB, check_ci_prob, check_times, summarise
from coalsurv.errors import ArgumentError
from coalsurv.fit import occupancy
from coalsurv.fit.predict import FRAILTY_MODES

__all__ = ["MultiStateFit"]

#: Most array cells (draw x row x path, or draw x row x state x grid) evaluated at once.
_CHUNK_CELLS = 2e7


@dataclass
class MultiStateFit:
    """A fitted :class:`~coalsurv.MultiStateModel`.

    Attributes
    ----------
    fits : dict of str to Fit
        One fit per transition key, in the model's order (empty for a joint fit).
    transitions : dict of str to Transition
    clock : {"reset", "forward"}
    data : TransitionData
    name : str
    joint : Fit or None
        The one fit of a joint model (shared effects or frailty) on the stacked sojourns.
    layout : JointLayout or None
        How the joint fit's columns and strata map onto the transitions.
    """

    fits: dict[str, Any]
    transitions: dict[str, Any]
    clock: str
    data: Any
    name: str = ""
    joint: Any = None
    layout: Any = None

    @property
    def is_joint(self) -> bool:
        """Whether the transitions were fitted as one joint graph (shared effects/frailty)."""
        return self.joint is not None

    def _sources(self) -> dict[str, Any]:
        """Return what occupancy reads per transition: its fit or the joint fit's view."""
        if self.joint is None:
            return self.fits
        from coalsurv.fit.multistate_joint import JointTransition

        return {k: JointTransition(self.joint, self.layout, k) for k in self.transitions}

    # ------------------------------------------------------------------ structure
    @property
    def states(self) -> tuple[str, ...]:
        """Every state of the model, in order of first appearance in the transitions."""
        out: list[str] = []
        for t in self.transitions.values():
            for st in (t.source, t.target):
                if st not in out:
                    out.append(st)
        return tuple(out)

    @property
    def absorbing(self) -> tuple[str, ...]:
        """States with no transition out of them."""
        sources = {t.source for t in self.transitions.values()}
        return tuple(s for s in self.states if s not in sources)

    @property
    def time_unit(self) -> str:
        """Unit of time of the data."""
        return self.data.time_unit

    def __repr__(self) -> str:
        joint = ", joint graph" if self.is_joint else ""
        return (f"<coalsurv.MultiStateFit {self.name!r}: {len(self.transitions)} transitions"
                f"{joint}, clock={self.clock!r}, {self.data.n_units} units, "
                f"time in {self.time_unit}>")

    # ------------------------------------------------------------------ tables
    def _stack(self, method: str, **kwargs) -> pd.DataFrame:
        if self.is_joint:  # one table of the joint fit; its cells labelled by transition
            column = {"summary": "parameter", "hazard_ratios": "term"}.get(method, "group")
            frame = getattr(self.joint, method)(**kwargs)
            return self.layout.relabel(frame, column) if column in frame else frame.assign(
                transition="all").pipe(lambda f: f[["transition", *f.columns[:-1]]])
        frames = []
        for key, fit in self.fits.items():
            frame = getattr(fit, method)(**kwargs)
            if frame.empty:
                continue
            frame = frame.drop(columns=[c for c in ("cause",) if c in frame])
            frame.insert(0, "transition", key)
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["transition"])
        return pd.concat(frames, ignore_index=True)

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Posterior summary per transition (:meth:`coalsurv.Fit.summary` + ``transition``)."""
        return self._stack("summary", ci_prob=ci_prob)

    def hazard_ratios(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Hazard (or time) ratios per transition (:meth:`coalsurv.Fit.hazard_ratios`)."""
        return self._stack("hazard_ratios", ci_prob=ci_prob)

    def group_effects(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Frailty effects per transition (:meth:`coalsurv.Fit.group_effects`)."""
        return self._stack("group_effects", ci_prob=ci_prob)

    def hazard(self, times, newdata: pd.DataFrame | None = None, *,
               ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Transition hazards per time unit (time on the model's clock), with ``transition``."""
        newdata = self._newdata(newdata)
        if self.is_joint:
            frames = [self.joint.hazard(times, self.layout.newdata(key, newdata),
                                        ci_prob=ci_prob).pipe(self.layout.drop_added)
                      .assign(transition=key) for key in self.transitions]
            out = pd.concat(frames, ignore_index=True)
            return out[["transition", *[c for c in out.columns if c != "transition"]]]
        return self._stack("hazard", times=times, newdata=newdata, ci_prob=ci_prob)

    def diagnose(self, **kwargs) -> dict[str, Any]:
        """One :class:`~coalsurv.Diagnosis` per transition (keyed by transition).

        A joint fit has one graph: one Diagnosis, keyed ``"joint"``.
        """
        if self.is_joint:
            return {"joint": self.joint.diagnose(**kwargs)}
        return {key: fit.diagnose(**kwargs) for key, fit in self.fits.items()}

    def loo(self) -> pd.DataFrame:
        """PSIS-LOO per transition and in total (the likelihood factorises over transitions).

        Columns ``transition``, ``elpd``, ``se``, ``p_loo``, ``n_obs``, ``max_pareto_k``; the
        total row sums elpd and p_loo, its se is ``sqrt(sum se^2)``. A joint fit gives one
        row ``joint`` (its stacked rows are the same likelihood terms) and the total.
        """
        rows = []
        if self.is_joint:
            res = self.joint.loo()
            rows.append({"transition": "joint", "elpd": float(res.elpd), "se": float(res.se),
                         "p_loo": float(res.p), "n_obs": int(res.n_data_points),
                         "max_pareto_k": float(np.max(res.pareto_k))})
        for key, fit in ({} if self.is_joint else self.fits).items():
            res = fit.loo()
            rows.append({"transition": key, "elpd": float(res.elpd), "se": float(res.se),
                         "p_loo": float(res.p), "n_obs": int(res.n_data_points),
                         "max_pareto_k": float(np.max(res.pareto_k))})
        frame = pd.DataFrame(rows)
        total = {"transition": "total", "elpd": frame["elpd"].sum(),
                 "se": float(np.sqrt((frame["se"] ** 2).sum())), "p_loo": frame["p_loo"].sum(),
                 "n_obs": int(frame["n_obs"].sum()), "max_pareto_k": frame["max_pareto_k"].max()}
        return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)

    def priors_from_fit(self, *, discount: float = 1.0, joint: bool = True,
                        name: str | None = None, **options) -> dict[str, Any]:
        """Posterior-informed prior sets keyed by transition (:meth:`PriorSet.from_fit` each).

        The mapping can be passed as ``priors=`` to a new :class:`~coalsurv.MultiStateModel`;
        ``options`` (``include_intercept``, ``include_frailty``, ``components``) go to every
        transition's :meth:`PriorSet.from_fit`, ``name`` is prefixed to each transition key.
        """
        from coalsurv.errors import SpecError
        from coalsurv.spec.priors import PriorSet

        if self.is_joint:
            raise SpecError("priors_from_fit: a joint multi-state fit (shared effects or "
                            "frailty) has transition strata, which PriorSet.from_fit cannot "
                            "export yet; write the priors (keys beta[x__shared], "
                            "beta[x__<source>_to_<target>]) from fit.summary()")
        unknown = sorted(set(options) - {"include_intercept", "include_frailty", "components"})
        if unknown:
            raise ArgumentError(f"priors_from_fit: unknown options {unknown}; expected "
                                "include_intercept, include_frailty, components")
        return {key: PriorSet.from_fit(fit, discount=discount, joint=joint, **options,
                                       name=f"{name}: {key}" if name else None)
                for key, fit in self.fits.items()}

    # ------------------------------------------------------------------ multi-state
    def _newdata(self, newdata) -> pd.DataFrame:
        if newdata is None:   # the mean profile; a typical unit for mm() transitions
            cols = list(self.data.covariate_names)
            means = self.data.frame[cols].mean() if cols else pd.Series(dtype=float)
            out = means.to_frame().T if cols else pd.DataFrame(index=[0])
            out.attrs["mm"] = "typical"
            return out
        if isinstance(newdata, dict):
            try:
                newdata = pd.DataFrame(newdata)
            except (TypeError, ValueError) as exc:
                raise ArgumentError(f"newdata: this dict cannot be a table of profiles ({exc}); "
                                    "give lists of values, e.g. {'x': [0.0, 1.0]}") from None
        if not isinstance(newdata, pd.DataFrame):
            raise ArgumentError(f"newdata must be a pandas DataFrame, got "
                                f"{type(newdata).__name__}")
        if len(newdata) == 0:
            raise ArgumentError("newdata has no rows: give at least one covariate profile "
                                f"(columns {list(self.data.covariate_names)}), or None for "
                                "the mean profile")
        return newdata

    def _times(self, times, name: str = "times") -> np.ndarray:
        """Return ``times`` in the data's unit (Timedeltas converted, dates refused)."""
        return check_times(times, time_unit=self.time_unit, name=name)

    def _one_time(self, value, name: str, *, positive: bool = False) -> float:
        """One time (number or Timedelta) in the data's unit, >= 0 (> 0 if ``positive``)."""
        if isinstance(value, bool | str) or np.ndim(value) != 0:
            raise ArgumentError(f"{name} must be one time (a number in {self.time_unit} or a "
                                f"Timedelta), got {value!r}")
        out = float(self._times(value, name)[0])
        if positive and out <= 0:
            raise ArgumentError(f"{name} must be a finite time > 0, got {value!r}")
        return out

    def _check_state(self, start: str, option: str = "start") -> None:
        if start not in self.states:
            raise ArgumentError(f"{option}={start!r}: not a state of the model; states are "
                                f"{list(self.states)}")
        if start in self.absorbing:
            raise ArgumentError(f"{option}={start!r} is absorbing: nothing moves out of it")

    def occupancy_draws(self, times, newdata=None, *, start: str = "coalition",
                        s: float = 0.0, n_paths: int = 500, random_seed: int = 0,
                        max_draws: int = 1000, frailty: str = "conditional"):
        """Draws of P(state at ``s + u`` | ``start`` at ``s``), u in ``times``.

        Returns an ndarray (draw, row, state, time) in the order of :attr:`states`. The forward
        clock uses the product integral on a 400-point grid; the reset clock simulates
        ``n_paths`` paths per draw and row (seeded by ``random_seed``; ``start`` entered at
        ``s``, so ``s`` only shifts the time axis). Rows are evaluated in chunks so that
        memory stays bounded (the seeded stream runs through the chunks in order).
        """
        _check_options(n_paths=n_paths, random_seed=random_seed, max_draws=max_draws,
                       frailty=frailty)
        self._check_state(start)
        times = self._times(times)
        s = self._one_time(s, "s")
        newdata = self._newdata(newdata)
        rng = np.random.default_rng(random_seed)
        per_row = max_draws * (n_paths if self.clock == "reset" else 400 * len(self.states))
        size = max(1, int(_CHUNK_CELLS // per_row))
        parts = []
        for first in range(0, len(newdata), size):   # rows in chunks: memory stays bounded
            chunk = newdata.iloc[first:first + size]
            if self.clock == "forward":
                parts.append(occupancy.forward_occupancy(
                    self._sources(), self.transitions, self.states, chunk, start=start, t_from=s,
                    times=s + times, max_draws=max_draws, frailty=frailty))
                continue
            parts.append(occupancy.simulated_occupancy(
                self._sources(), self.transitions, chunk, start=start, times=times,
                order=self.states, n_paths=n_paths, rng=rng, max_draws=max_draws,
                frailty=frailty))
        return np.concatenate(parts, axis=1)

    def state_occupancy(self, times, newdata: pd.DataFrame | None = None, *,
                        start: str = "coalition", ci_prob: float = DEFAULT_CI_PROB,
                        summary: bool = True, average: bool = False, n_paths: int = 500,
                        random_seed: int = 0, frailty: str = "conditional"):
        """Probability of being in each state at each time, with credible bands.

        Parameters
        ----------
        times : sequence of float
            Times since entering ``start`` (the first state), in the data's unit.
        newdata : DataFrame, optional
            Covariate profiles (original units); default the mean sojourn profile.
        start : str
            State every path starts in at time 0.
        ci_prob : float
        summary : bool
            False returns the draws (xarray: draw, row, state, time).
        average : bool
            Average over the rows of ``newdata`` per draw before summarising (row = "average").
        n_paths : int
            Simulated paths per draw and row (``clock="reset"`` only).
        random_seed : int
            Seed of the simulated paths (same seed, same numbers).
        frailty : {"conditional", "zero", "marginal"}

        Returns
        -------
        DataFrame
            ``row``, ``time``, ``state``, ``mean``, ``lower``, ``upper``, ``ci_prob``;
            occupancies of one draw sum to 1 at every time.
        """
        ci_prob = check_ci_prob(ci_prob)
        _check_options(summary=summary, average=average, n_paths=n_paths,
                       random_seed=random_seed, frailty=frailty)
        times = self._times(times)
        newdata = self._newdata(newdata)
        draws = self.occupancy_draws(times, newdata, start=start, n_paths=n_paths,
                                     random_seed=random_seed, frailty=frailty)
        rows = newdata.index.to_numpy()
        if average:
            draws, rows = draws.mean(axis=1, keepdims=True), np.array(["average"], dtype=object)
        return self._tidy(draws, rows, times, ci_prob, summary, "state_occupancy")

    def transition_probability(self, s: float, t, newdata: pd.DataFrame | None = None, *,
                               start: str = "coalition", ci_prob: float = DEFAULT_CI_PROB,
                               n_paths: int = 500, random_seed: int = 0) -> pd.DataFrame:
        """P(in each state at ``t`` | in ``start`` at ``s``), for ``t`` >= ``s``.

        For ``clock="forward"`` ``s`` and ``t`` are times since the first state (Markov: the
        history before ``s`` does not matter). For ``clock="reset"`` the unit entered
        ``start`` at ``s`` (semi-Markov: only the time since entry matters).

        Returns
        -------
        DataFrame
            ``row``, ``from``, ``s``, ``time``, ``state``, ``mean``, ``lower``, ``upper``.
        """
        ci_prob = check_ci_prob(ci_prob)
        _check_options(n_paths=n_paths, random_seed=random_seed)
        t = self._times(t, "t")
        s = self._one_time(s, "s")
        if np.any(t < s):
            raise ArgumentError(f"every t >= s is needed (s={s:g}), got t={list(t[t < s])}")
        newdata = self._newdata(newdata)
        draws = self.occupancy_draws(t - s, newdata, start=start, s=float(s), n_paths=n_paths,
                                     random_seed=random_seed)
        out = self._tidy(draws, newdata.index.to_numpy(), t, ci_prob, True,
                         "transition_probability")
        out.insert(1, "from", start)
        out.insert(2, "s", float(s))
        return out

    def expected_time_in_state(self, horizon: float, newdata: pd.DataFrame | None = None, *,
                               start: str = "coalition", ci_prob: float = DEFAULT_CI_PROB,
                               n_grid: int = 200, n_paths: int = 500,
                               random_seed: int = 0) -> pd.DataFrame:
        """Return the expected time spent in each state up to ``horizon`` (restricted mean).

        The integral of the state occupancy over ``[0, horizon]`` (trapezoid rule on
        ``n_grid`` points), per draw. Columns ``row``, ``state``, ``mean``, ``lower``,
        ``upper``, ``ci_prob``, ``horizon``; the states' means add up to ``horizon``.
        """
        ci_prob = check_ci_prob(ci_prob)
        _check_options(n_grid=n_grid, n_paths=n_paths, random_seed=random_seed)
        horizon = self._one_time(horizon, "horizon", positive=True)
        newdata = self._newdata(newdata)
        grid = np.linspace(0.0, float(horizon), n_grid)
        draws = self.occupancy_draws(grid, newdata, start=start, n_paths=n_paths,
                                     random_seed=random_seed)
        area = np.trapezoid(draws, grid, axis=-1)  # (S, m, state)
        stat = summarise(area, ci_prob)
        idx = pd.MultiIndex.from_product([newdata.index.to_numpy(), list(self.states)],
                                         names=["row", "state"])
        out = pd.DataFrame({k: np.ravel(v) for k, v in stat.items()}, index=idx).reset_index()
        out["ci_prob"], out["horizon"] = ci_prob, float(horizon)
        out.attrs["time_unit"] = self.time_unit
        return out

    def _tidy(self, draws, rows, times, ci_prob, summary, name):
        if not summary:
            import xarray as xr

            return xr.DataArray(draws, dims=["draw", "row", "state", "time"], name=name,
                                coords={"row": rows, "state": list(self.states),
                                        "time": times},
                                attrs={"time_unit": self.time_unit, "clock": self.clock})
        stat = summarise(draws, ci_prob)
        idx = pd.MultiIndex.from_product([rows, list(self.states), times],
                                         names=["row", "state", "time"])
        out = pd.DataFrame({k: np.ravel(v) for k, v in stat.items()}, index=idx).reset_index()
        out = out[["row", "time", "state", "mean", "lower", "upper"]]
        out = out.sort_values(["row", "time"], kind="stable").reset_index(drop=True)
        out["ci_prob"] = ci_prob
        out.attrs.update(time_unit=self.time_unit, clock=self.clock)
        return out

    # ------------------------------------------------------------------ plots
    def plot_state_occupancy(self, times, newdata: pd.DataFrame | None = None, *,
                             start: str = "coalition", ci_prob: float = DEFAULT_CI_PROB,
                             empirical: bool = False, n_paths: int = 500,
                             random_seed: int = 0, ax=None):
        """Stacked state occupancy of the first row of ``newdata`` with boundary bands.

        ``empirical=True`` overlays the Aalen–Johansen estimate of the data (dashed steps;
        meaningful for a model without covariates, or as a reference).
        """
        from coalsurv.data.aalen_johansen import aalen_johansen
        from coalsurv.plots.multistate import cumulative_bands, plot_state_occupancy

        ci_prob = check_ci_prob(ci_prob)
        _check_options(empirical=empirical, n_paths=n_paths, random_seed=random_seed)
        newdata = self._newdata(newdata).iloc[:1]
        times = self._times(times)
        draws = self.occupancy_draws(times, newdata, start=start, n_paths=n_paths,
                                     random_seed=random_seed)
        frame = self._tidy(draws, newdata.index.to_numpy(), times, ci_prob, True,
                           "state_occupancy")
        lo, hi = cumulative_bands(draws, ci_prob)
        states = list(self.states)
        frame["cum_lower"] = [lo[0, states.index(s), j] for s, j in
                              zip(frame["state"], np.searchsorted(times, frame["time"]),
                                  strict=True)]
        frame["cum_upper"] = [hi[0, states.index(s), j] for s, j in
                              zip(frame["state"], np.searchsorted(times, frame["time"]),
                                  strict=True)]
        emp = None
        if empirical:
            grid = np.linspace(0, float(times.max()), 200)
            emp = aalen_johansen(self.data, grid, start=start, states=self.states)
        return plot_state_occupancy(frame, time_unit=self.time_unit, empirical=emp, ax=ax)

    def plot_transition_hazards(self, times, newdata: pd.DataFrame | None = None, *,
                                ci_prob: float = DEFAULT_CI_PROB, ax=None):
        """Hazard of each transition over time for the first row of ``newdata``."""
        from coalsurv.plots.multistate import plot_transition_hazards

        frame = self.hazard(times, self._newdata(newdata).iloc[:1], ci_prob=ci_prob)
        return plot_transition_hazards(frame, time_unit=self.time_unit, clock=self.clock, ax=ax)

    def plot_transition_diagram(self, *, ci_prob: float = DEFAULT_CI_PROB, ax=None):
        """States and transitions, each arrow labelled with its hazard ratios per SD.

        A covariate entering a transition through several terms (``x + x_sq``) is written
        once, as its joint ratio between the 75th and the 25th percentile.
        """
        from coalsurv.fit.effects import forest_contrasts
        from coalsurv.plots.multistate import plot_transition_diagram

        pairs = [(t.source, t.target) for t in self.transitions.values()]
        ratios = self.hazard_ratios(ci_prob=ci_prob)
        if self.is_joint:  # a shared ratio labels every transition it enters
            ratios = pd.concat([ratios[ratios["transition"].str.contains(key, regex=False)]
                                .assign(transition=key) for key in self.transitions],
                               ignore_index=True)
        joint = [c.assign(transition=key) for key, fit in self.fits.items()
                 if (c := forest_contrasts(fit, ci_prob=ci_prob)) is not None]
        return plot_transition_diagram(
            self.states, pairs, ratios, ax=ax,
            contrasts=pd.concat(joint, ignore_index=True) if joint else None)

    # ------------------------------------------------------------------ io, report
    def save(self, path: str | Path) -> Path:
        """Save as one sealed file (see :mod:`coalsurv.fit.multistate_file`)."""
        from coalsurv.fit.multistate_file import save_multistate

        return save_multistate(self, path)

    def table(self, kind: str = "hazard_ratios", *, format: str = "latex",
              ci_prob: float = DEFAULT_CI_PROB, label: str | None = None) -> str:
        """Return a paper table (``hazard_ratios`` or ``summary``) with a transition column.

        As :meth:`coalsurv.Fit.table`; a joint fit's shared rows name every transition they
        enter (see :mod:`coalsurv.report.multistate_tables`).
        """
        from coalsurv.report.multistate_tables import multistate_table

        return multistate_table(self, kind, format=format, ci_prob=ci_prob, label=label)

    def report(self, path: str | Path, **kwargs) -> Path:
        """Write the multi-state PDF report (see :mod:`coalsurv.report.multistate`)."""
        from coalsurv.report.multistate import write_multistate_report

        return write_multistate_report(self, path, **kwargs)


#: Options of the multi-state methods: flags, counts (with their minimum), seeds.
_FLAGS = ("summary", "average", "empirical")
_COUNTS = {"n_paths": 1, "max_draws": 1, "n_grid": 2}


def _check_options(**options) -> None:
    """One ArgumentError listing every option of the wrong type or value (by name)."""
    problems = []
    for name, value in options.items():
        if name in _FLAGS and not isinstance(value, bool | np.bool_):
            problems.append(f"{name} must be True or False, got {value!r}")
        elif name in _COUNTS and (isinstance(value, bool | np.bool_)
                                  or not isinstance(value, int | np.integer)
                                  or value < _COUNTS[name]):
            problems.append(f"{name} must be an integer >= {_COUNTS[name]}, got {value!r}")
        elif name == "random_seed" and value is not None and (
                isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer)
                or value < 0):
            problems.append(f"random_seed must be an integer >= 0 (or None), got {value!r}")
        elif name == "frailty" and (not isinstance(value, str) or value not in FRAILTY_MODES):
            problems.append(f"frailty={value!r}: expected one of {list(FRAILTY_MODES)}")
    if problems:
        raise ArgumentError("invalid arguments" if len(problems) > 1 else problems[0],
                            problems if len(problems) > 1 else None)
