"""SurvivalModel: the user's entry point — a spec plus priors, fitted to CoalitionData."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from coalsurv._io import read_text_file
from coalsurv._version import package_versions
from coalsurv.backend.pointwise import POINTWISE_LIMIT
from coalsurv.errors import ArgumentError, SpecError
from coalsurv.fit.identity import FitIdInBackground
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import PriorSet

__all__ = ["SurvivalModel", "TVE_TARGET_ACCEPT"]

#: Default NUTS target acceptance of a model with tve() terms (``SurvivalModel.fit``).
TVE_TARGET_ACCEPT = 0.9


class SurvivalModel:
    """A Bayesian survival model of coalition lifespans.

    Parameters
    ----------
    formula : str
        Right-hand side with group terms, e.g. ``"breadth + power_hhi + (1 | country)"``.
    family : str
        ``exponential``, ``weibull`` (PH), ``weibull_aft``, ``lognormal``, ``loglogistic``,
        ``gompertz`` or ``piecewise`` (flexible baseline; the Bayesian analogue of Cox).
    causes : list of str, optional
        Endings to model; ``None`` pools all endings.
    priors : PriorSet, dict or str/Path, optional
        Priors overriding the defaults (:mod:`coalsurv.spec.priors`); a path loads a prior file.
    family_options : dict, optional
        E.g. ``{"n_intervals": 8}`` or ``{"cuts": [6, 12, 24]}`` for ``piecewise``;
        ``{"time_scale": 12.0}`` fixes the internal time scale.
    name : str, optional
        Label used in reports and comparisons.
    cure : str, optional
        Mixture-cure model: formula of the cured share's logit (fixed effects), e.g.
        ``"breadth + power_hhi"`` or ``"1"``; one pooled or single ending only.
    strata : str, optional
        A group column whose levels get separate baselines (level and scalar family
        parameters such as the Weibull shape), effects shared; predictions need it in
        newdata.
    strata_parts : tuple of str, optional
        What the strata make stratum-specific: ``("level", "shape")`` (the default: each
        stratum its own baseline level and shape), ``("shape",)`` (survreg's ``strata()``:
        the location shared, each stratum its own scale/shape) or ``("level",)``.
    cure_link : {"logit", "probit", "cloglog"}, optional
        Link of a mixture cure's cured share (default ``"logit"``).
    cure_type : {"mixture", "promotion"}, optional
        Mixture cure ``S = pi + (1 - pi) S_u`` (default) or the promotion-time (non-mixture)
        cure ``S = exp(-theta F_u)`` with cured share ``exp(-theta)``, ``theta =
        exp(-(cure_intercept + Z @ cure_beta))`` (a larger linear predictor: more cured).
    shape : str, optional
        Covariates of the family's shape (``"x + z"``): ``log shape_i = log shape +
        Z_std[i] @ beta_shape`` (Weibull, log-logistic and gamma shape; log-normal and
        generalised-gamma sigma); posterior ``beta_shape[term]`` per SD of each term.

    Examples
    --------
    >>> import coalsurv
    >>> data = coalsurv.datasets.load_synthetic()                      # doctest: +SKIP
    >>> model = coalsurv.SurvivalModel("breadth + power_hhi + (1 | group)", family="weibull")
    >>> fit = model.fit(data, draws=500, tune=500, chains=2, random_seed=1)  # doctest: +SKIP
    >>> fit.hazard_ratios()                                             # doctest: +SKIP
    """

    def __init__(self, formula: str, *, family: str = "weibull", causes=None, priors=None,
                 family_options: dict[str, Any] | None = None, name: str = "",
                 cure: str | None = None, strata: str | None = None,
                 strata_parts: tuple[str, ...] | None = None, shape: str | None = None,
                 cure_link: str | None = None, cure_type: str | None = None):
        self.spec = ModelSpec(formula=formula, family=family,
                              causes=tuple(causes) if isinstance(causes, list) else causes,
                              family_options=family_options or {}, name=name, cure=cure,
                              strata=strata, strata_parts=strata_parts, shape=shape,
                              cure_link=cure_link, cure_type=cure_type)
        self.priors = _as_prior_set(priors)

    @classmethod
    def from_spec(cls, spec: ModelSpec, *, priors=None) -> SurvivalModel:
        """Model from an existing spec (e.g. ``ModelSpec.load("models/x.toml")``)."""
        self = cls.__new__(cls)
        self.spec = spec
        self.priors = _as_prior_set(priors)
        return self

    @classmethod
    def load(cls, path: str | Path) -> SurvivalModel:
        """Model from a TOML file with a ``[model]`` table and an optional ``[priors]`` table."""
        import tomllib

        path = Path(path)
        text = read_text_file(path, what="model file", expected="a TOML model file",
                              error=SpecError)
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"model file {str(path)!r} is not valid TOML: {exc}") from None
        if "model" not in doc:
            raise SpecError(f"model file {str(path)!r}: missing [model] table (formula, family)")
        spec = ModelSpec.from_dict(doc["model"], source=str(path))
        priors = None
        if "priors" in doc:
            if not isinstance(doc["priors"], dict):
                raise SpecError(f"model file {str(path)!r}: [priors] must be a table, got "
                                f"{type(doc['priors']).__name__}")
            from coalsurv.spec.priors import PRIOR_SCHEMA

            priors = PriorSet.from_dict({"schema": PRIOR_SCHEMA, "name": path.stem,
                                         "priors": doc["priors"]}, source=f"{path} [priors]")
        return cls.from_spec(spec, priors=priors)

    def __repr__(self) -> str:
        """Show the formula, family and causes."""
        return (f"SurvivalModel({self.spec.formula!r}, family={self.spec.family!r}, "
                f"causes={self.spec.causes!r})")

    def _repr_html_(self) -> str:
        from coalsurv.notebook import model_html

        return model_html(self)

    def build(self, data):
        """Build (without sampling) the PyMC model for ``data``.

        Returns
        -------
        model : pymc.Model
        design : Design
        info : ModelInfo
        resolved : dict of str to Prior
        """
        from coalsurv.build.design import make_design
        from coalsurv.build.graph import build_model
        from coalsurv.build.info import model_info

        _check_data(data)
        design = make_design(self.spec, data)
        info = model_info(self.spec, data, design, self.priors)
        model, resolved = build_model(self.spec, self.priors, data, design, info)
        return model, design, info, resolved

    def sample_prior(self, data, *, draws: int = 200, random_seed: int = 0):
        """Draw the parameters from their priors, as built for ``data`` (no posterior).

        Data-based ``"auto"`` priors are filled in from ``data`` as in :meth:`fit`.

        Parameters
        ----------
        data : CoalitionData
        draws : int
            Number of prior draws.
        random_seed : int
            Seed; the same seed gives the same draws.

        Returns
        -------
        xarray.Dataset
            Parameters with dimensions ``(chain, draw, ...)`` (one chain).
        """
        from coalsurv.backend.sampling import sample_prior

        model, _, _, _ = self.build(data)
        return sample_prior(model, draws=draws, random_seed=random_seed)

    def fit(self, data, *, draws: int = 1000, tune: int = 1000, chains: int = 4,
            random_seed: int = 0, target_accept: float | None = None,
            progressbar: bool | None = None,
            cores: int | None = None, command: str = "", kernel: str = "auto",
            pointwise_limit: int = POINTWISE_LIMIT):
        """Sample the posterior with NUTS (nutpie) and return a :class:`~coalsurv.Fit`.

        Parameters
        ----------
        data : CoalitionData
            When it has a ``spells`` table and the formula uses its columns, the covariates
            vary over time (every family, with cure and piecewise tve;
            :mod:`coalsurv.build.spell_likelihood`). The
            fit's ``data`` then also holds each time-varying covariate's last-spell value
            as an episode covariate, and predictions take profiles constant over time.
        draws, tune, chains : int
            Kept draws per chain, tuning steps per chain, number of chains.
        random_seed : int
            Seed; the same seed gives the same draws.
        target_accept : float, optional
            NUTS target acceptance; raise to 0.9–0.99 after divergences. Default 0.8, and
            :data:`TVE_TARGET_ACCEPT` (0.9) for a model with ``tve()`` terms: their random
            walk's steps narrow as 1 / ``tve_sd`` where the data pin the deviations, and at
            0.8 coalgov's smooth tve diverged in 9 of 2,000 draws (0 at 0.9; issue 23).
            ``fit.settings.target_accept`` holds the value used.
        progressbar : bool, optional
            Progress: a line per stage on standard error (building, compiling and sampling,
            checks; :mod:`coalsurv.fit.progress`), in scripts too, plus nutpie's bar in a
            terminal or notebook (default: the bar when interactive). False is quiet.
        cores : int, optional
            Parallel chains (default: up to 2).
        command : str
            Command that produced the fit, recorded in the reproducibility manifest.
        kernel : {"auto", "pymc"}
            ``"auto"`` samples a model the native kernel provably implements without PyTensor
            (:mod:`coalsurv.backend.native`) and every other model through the PyMC graph;
            ``"pymc"`` always takes the PyMC graph. ``fit.sampler`` says which ran.
        pointwise_limit : int
            Most pointwise log-likelihood values (draws x chains x rows) computed with the fit
            (default 5 x 10^8; above 5 x 10^7 they are stored as float32). Above it the fit
            holds none, ``fit.sampler["log_likelihood"]`` says so, LOO and ``compare`` ask
            for ``fit.add_log_likelihood()`` (:mod:`coalsurv.backend.pointwise`).
        """
        from coalsurv.backend.sampling import SamplerSettings, sample
        from coalsurv.fit.record import Fit

        _check_fit_arguments(draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                             target_accept=target_accept, progressbar=progressbar, cores=cores,
                             command=command, kernel=kernel, pointwise_limit=pointwise_limit)
        from coalsurv.fit.progress import Progress

        progress = Progress(progressbar is not False)
        from coalsurv.data.episodes import CoalitionData

        size = f" ({data.n:,} coalitions)" if isinstance(data, CoalitionData) else ""
        named = f" {self.spec.name}" if self.spec.name else ""  # multi-state: the transition
        with progress.stage(f"building the model{named}{size}"), _no_node_traces():
            model, design, info, resolved = self.build(data)
        if design.spells is not None:
            # fitted-row predictions, diagnostics and reports take one constant profile per
            # episode: carry each time-varying covariate's last-spell value (coalsurv.spells)
            from coalsurv.data.spells import with_last_spell_covariates

            data = with_last_spell_covariates(data, design.spells.variables)
        if target_accept is None:
            target_accept = TVE_TARGET_ACCEPT if info.tve else 0.8
        settings = SamplerSettings(draws=int(draws), tune=int(tune), chains=int(chains),
                                   random_seed=int(random_seed), target_accept=float(target_accept),
                                   cores=cores, kernel=kernel,
                                   pointwise_limit=int(pointwise_limit))
        if progressbar is None:
            progressbar = _interactive()
        key = self._cache_key(data, design, info)
        # the data hash and fit id, hashed on another thread once the draws are final
        hashing = FitIdInBackground(data.data_hash)
        with progress.stage(f"compiling and sampling ({chains} chains x {draws:,} draws after "
                            f"{tune:,} tuning steps)"):
            idata = sample(model, settings, progressbar=progressbar, cache_key=key,
                           native=(info, self.spec.family_options), on_draws=hashing.start)
        with progress.stage("recording the fit (data hash, fit id, versions)"):
            versions = package_versions()
            created = datetime.now(UTC).isoformat(timespec="seconds")
            fit = Fit(idata=idata, spec=self.spec, priors=self.priors,
                      resolved_priors=resolved, data=data, design=design, info=info,
                      settings=settings, data_hash=hashing.data_hash_value(), versions=versions,
                      created=created, command=command)
            fit.fit_id = hashing.result(idata["posterior"])
        return fit

    def _cache_key(self, data, design, info) -> str:
        from coalsurv.build.graph import data_constants

        parts = {
            "constants": data_constants(self.priors, info),
            "spec": self.spec.to_dict(), "priors": self.priors.to_dict(), "n": data.n,
            "terms": list(design.terms), "levels": [list(g.levels) for g in design.groups],
            "status": sorted(set(np.asarray(data.status).tolist())),
            "entry": bool(np.any(np.asarray(data.entry) > 0)),
            "spells": design.spells.m if design.spells is not None else None,
            "strata": list(design.strata.levels) if design.strata is not None else None,
            "members": ([*design.members.key(), info.members.get("centred"),
                         *_rotation_key(design, info)]
                        if design.members is not None else None),
            # frailty_centring="auto" decides from the data: new data of the same shape can
            # get the other parameterisation (other free variables), hence another graph
            "centred": list(info.centred_groups),
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _no_node_traces():
    """PyTensor records no creation stack on the fit's graph nodes (``traceback__limit=0``).

    By default PyTensor walks 8 frames of the Python stack for every variable and node it
    creates (``tag.trace``, for error messages pointing at the user's line); on a fit's graph
    those frames are coalsurv's own, and the walk was a third of a warm ``build_model``
    (gompertz: 27 -> 17 ms CPU). :meth:`SurvivalModel.build` keeps PyTensor's setting.
    """
    from pytensor import config

    return config.change_flags(traceback__limit=0)


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _check_fit_arguments(*, draws, tune, chains, random_seed, target_accept, progressbar,
                         cores, command, kernel="auto",
                         pointwise_limit=POINTWISE_LIMIT) -> None:
    """Raise one ArgumentError listing every bad sampler argument of :meth:`fit`."""
    problems = [
        f"{name} must be an integer >= {low}, got {value!r}"
        for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1),
                                 ("random_seed", random_seed, 0))
        if not _is_int(value) or value < low
    ]
    number = (isinstance(target_accept, float | int | np.floating | np.integer)
              and not isinstance(target_accept, bool))
    ok = target_accept is None or (number and 0 < target_accept < 1)
    if not ok:
        problems.append(f"target_accept: expected a number in (0, 1), got {target_accept!r}")
    if progressbar is not None and not isinstance(progressbar, bool):
        problems.append(f"progressbar: expected True, False or None, got {progressbar!r}")
    if cores is not None and (not _is_int(cores) or cores < 1):
        problems.append(f"cores: expected an integer >= 1 or None, got {cores!r}")
    if not (isinstance(kernel, str) and kernel in ("auto", "pymc")):
        problems.append(f"kernel: expected 'auto' or 'pymc', got {kernel!r}")
    if not _is_int(pointwise_limit) or pointwise_limit < 0:
        problems.append(f"pointwise_limit: expected an integer >= 0, got {pointwise_limit!r}")
    if not isinstance(command, str):
        problems.append(f"command: expected a str, got {type(command).__name__}")
    if problems:
        raise ArgumentError("invalid fit() arguments", problems)


def _check_data(data) -> None:
    from coalsurv.data.episodes import CoalitionData

    if not isinstance(data, CoalitionData):
        raise SpecError(
            f"fit() needs a CoalitionData, got {type(data).__name__}; build one with "
            "CoalitionData.from_frame(df, duration=..., event=...)")


def _as_prior_set(priors) -> PriorSet:
    if priors is None:
        return PriorSet()
    if isinstance(priors, PriorSet):
        return priors
    if isinstance(priors, str | Path):
        return PriorSet.load(priors)
    if isinstance(priors, dict):
        from coalsurv.spec.priors import Prior

        converted = {k: (v if isinstance(v, Prior) else Prior.from_dict(v, key=k))
                     for k, v in priors.items()}
        return PriorSet(converted, name="custom")
    raise SpecError(f"priors must be a PriorSet, dict or path, got {type(priors).__name__}")


def _interactive() -> bool:
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            return True
    except ImportError:  # pragma: no cover
        pass
    return sys.stderr.isatty()


def _rotation_key(design, info) -> list:
    """Return the rotated member effects' factor and each member's level (graph constants)."""
    group = (info.members or {}).get("rotation_group", "")
    if not group:
        return []
    from coalsurv.build.member_rotation import member_levels

    factor = next(g for g in design.groups if g.name == group)
    return [group, member_levels(design.members, factor)[0].tolist()]
