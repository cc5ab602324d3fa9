"""A refit's fixed cost around NUTS (issue 23, warmfix): the same draws, records and ids.

nutpie's raw trace converted by :func:`coalsurv.backend.nutpie_trace.sampler_trace` equals
nutpie's own conversion; the fit id hashed on a second thread equals :func:`fit_id`; a refit
on other data or another spec gives that fit's own answer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import coalsurv
from coalsurv.fit.identity import FitIdInBackground, fit_id

TINY = {"draws": 200, "tune": 200, "chains": 2, "progressbar": False}


def _compiled(data, formula):
    from coalsurv.backend import native, native_fast, nutpie_model

    model = coalsurv.SurvivalModel(formula)
    pm_model, _, info, _ = model.build(data)
    kplan, reason = native.plan(pm_model, info, model.spec.family_options)
    assert kplan is not None, reason
    buf = native.make_buffer(kplan, pm_model)
    fast = native_fast.fast_buffer(kplan, buf)
    return nutpie_model.compile_native(kplan, buf, route="native", fast=fast)


def test_sampler_trace_is_nutpies_conversion(synthetic_small):
    """Same seed: nutpie's DataTree and ours have the same groups, variables, coordinates,
    dtypes, values and attributes; without warm-up draws only warmup_posterior is missing.
    """
    from coalsurv.backend.nutpie_import import import_nutpie
    from coalsurv.backend.nutpie_trace import raw_trace_ok, sampler_trace

    nutpie = import_nutpie()
    if not raw_trace_ok(nutpie):
        pytest.skip(f"nutpie {nutpie.__version__} is converted by nutpie itself")
    compiled = _compiled(synthetic_small, "breadth + (1 | group)")
    kw = {"draws": 60, "tune": 40, "chains": 2, "cores": 2, "seed": 5, "progress_bar": False}
    theirs = nutpie.sample(compiled, **kw)
    run = nutpie.sample(compiled, **kw, blocking=False, return_raw_trace=True)
    results = run.wait()
    ours = sampler_trace(run, results, warmup_draws=True)
    assert list(ours.children) == list(theirs.children)
    for group in theirs.children:
        a, b = ours[group].to_dataset(), theirs[group].to_dataset()
        a.attrs.pop("created_at", None), b.attrs.pop("created_at", None)
        assert a.identical(b), group
        assert list(a.variables) == list(b.variables) and list(a.coords) == list(b.coords)
        assert all(a[v].dtype == b[v].dtype for v in b.variables), group
        assert list(a.attrs.items()) == list(b.attrs.items()), group
    run = nutpie.sample(compiled, **kw, blocking=False, return_raw_trace=True)
    lean = sampler_trace(run, run.wait())  # a trace is taken once: the same draws again
    assert [g for g in theirs.children if g != "warmup_posterior"] == list(lean.children)
    for group in lean.children:
        a, b = lean[group].to_dataset(), ours[group].to_dataset()
        a.attrs.pop("created_at", None), b.attrs.pop("created_at", None)
        assert a.identical(b), group


def test_fit_id_on_a_second_thread_is_fit_id(synthetic_small, tiny_fit):
    fit = tiny_fit(synthetic_small, "breadth + (1 | group)")
    post = fit.idata["posterior"]
    assert fit.data_hash == synthetic_small.data_hash()
    hashing = FitIdInBackground(synthetic_small.data_hash)
    hashing.start(post)
    assert hashing.data_hash_value() == fit.data_hash
    assert hashing.result(post) == fit_id(fit.data_hash, post) == fit.fit_id
    # arrays other than the hashed ones (a changed posterior): hashed again, from them
    changed = post.to_dataset().copy(deep=True)
    changed["beta"] = changed["beta"] + 1.0
    assert hashing.result(changed) == fit_id(fit.data_hash, changed) != fit.fit_id
    never = FitIdInBackground(synthetic_small.data_hash)  # the hook never called
    assert never.result(post) == fit.fit_id and never.data_hash_value() == fit.data_hash

    def broken():
        raise ValueError("no hash")

    failing = FitIdInBackground(broken)
    failing.start(post)
    with pytest.raises(ValueError, match="no hash"):
        failing.result(post)


def test_refits_in_one_process_keep_nothing_of_the_other_data_or_spec(synthetic_small):
    """B, then A, then B again (same seed): B's fit is the same fit both times (draws, data
    hash, fit id, log likelihood); A's is A's own; another formula on B is another model.
    """
    data_b = synthetic_small
    frame = data_b.to_frame().reset_index(drop=True)
    frame["time"] = frame["time"] * np.random.default_rng(3).uniform(0.9, 1.1, len(frame))
    data_a = coalsurv.CoalitionData.from_frame(
        frame, duration="time", event="status", covariates=list(data_b.covariate_names),
        groups=list(data_b.group_names), time_unit=data_b.time_unit)
    model = coalsurv.SurvivalModel("breadth + (1 | group)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = model.fit(data_b, random_seed=4, **TINY)
        other = model.fit(data_a, random_seed=4, **TINY)
        again = model.fit(data_b, random_seed=4, **TINY)
        respec = coalsurv.SurvivalModel("breadth").fit(data_b, random_seed=4, **TINY)
    assert again.fit_id == first.fit_id and again.data_hash == first.data_hash
    for group in ("posterior", "log_likelihood", "sample_stats"):
        for name in first.idata[group].data_vars:
            np.testing.assert_array_equal(again.idata[group][name].values,
                                          first.idata[group][name].values, err_msg=name)
    assert other.data_hash == data_a.data_hash() != first.data_hash
    assert other.fit_id != first.fit_id
    assert not np.array_equal(other.idata["log_likelihood"]["lifespan"].values,
                              first.idata["log_likelihood"]["lifespan"].values)
    assert "sd_group" not in respec.idata["posterior"] and respec.fit_id != first.fit_id
    assert "warmup_sample_stats" in first.idata.children
