"""Malformed requests to the batch layer: one coalsurv error naming what is wrong, up front.

Table rows: (id, call(ctx), error class, regular expression the message must match). ``ctx``
holds a small data set, a folder and a plain file; no row samples anything.
"""

from __future__ import annotations

import re
import threading

import pandas as pd
import pytest

import coalsurv
from coalsurv.batch import read_batch
from coalsurv.errors import ArgumentError, BatchError

SM = coalsurv.SurvivalModel
M = SM("breadth", family="weibull")
MS = coalsurv.MultiStateModel({"formation -> alliance": "breadth",
                               "formation -> dissolved": "breadth"}, family="weibull")


def _fit_many(ctx, datasets=None, **kwargs):
    kwargs = {"out": ctx["tmp"] / "fits", "progress": False, **kwargs}
    return coalsurv.fit_many(kwargs.pop("model", M), datasets or {"a": ctx["data"]},
                             **kwargs)


def _sbc(ctx, model=M, **kwargs):
    return coalsurv.sbc(model, **{"n_simulations": 2, "n_rows": 20, "seed": 1,
                                  "progress": False, **kwargs})


def _unreachable(ctx):
    import dask
    import distributed  # noqa: F401 - its config defaults must exist before the set below:
    # a dask.config.set that creates the "distributed" key removes it whole on exit

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        return _fit_many(ctx, client="tcp://127.0.0.1:9")


def _damaged_record(ctx):
    folder = ctx["tmp"] / "damaged"
    (folder / "errors").mkdir(parents=True)
    (folder / "errors" / "x.json").write_text("{not json")
    return read_batch(folder)


CASES = [
    ("read_batch missing folder", lambda c: read_batch("no/such/dir"),
     ArgumentError, r"read_batch: 'no/such/dir' does not exist"),
    ("read_batch on a file", lambda c: read_batch(c["file"]),
     ArgumentError, r"is a file, not a folder"),
    ("read_batch damaged record", _damaged_record, BatchError, r"x\.json.*cannot be read"),
    ("fit_many out is a file", lambda c: _fit_many(c, out=c["file"]),
     ArgumentError, r"out='.*plain\.txt' is a file, not a folder"),
    ("fit_many out under a file", lambda c: _fit_many(c, out=c["file"] / "sub"),
     ArgumentError, r"has '.*plain\.txt' as a parent, which is a file"),
    ("fit_many out a URL", lambda c: _fit_many(c, out="s3://bucket/fits"),
     ArgumentError, r"out='s3://bucket/fits': a URL; give a folder on this machine"),
    ("fit_many out empty", lambda c: _fit_many(c, out=""),
     ArgumentError, r"out: expected a folder path"),
    ("fit_many out a number", lambda c: _fit_many(c, out=3),
     ArgumentError, r"out: expected a folder path .*got 3"),
    ("fit_many names differ only in case", lambda c: _fit_many(c, {"a": c["data"],
                                                                   "A": c["data"]}),
     ArgumentError, r"\['a', 'A'\] differ only in case"),
    ("fit_many name with a slash", lambda c: _fit_many(c, {"a/b": c["data"]}),
     ArgumentError, r"name 'a/b'.*file name"),
    ("fit_many unpicklable source", lambda c: _fit_many(c, {"a": threading.Lock()}),
     ArgumentError, r"cannot be sent to the Dask workers.*'a': TypeError: cannot pickle"),
    ("fit_many model a string", lambda c: _fit_many(c, model="breadth"),
     ArgumentError, r"model: expected a coalsurv\.SurvivalModel, got str"),
    ("fit_many retries negative", lambda c: _fit_many(c, retries=-1),
     ArgumentError, r"retries: expected an integer >= 0"),
    ("fit_many unreachable scheduler", _unreachable,
     BatchError, r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"),
    ("sbc model a string", lambda c: _sbc(c, model="x + z"),
     ArgumentError, r"model: expected a coalsurv\.SurvivalModel or MultiStateModel, got str"),
    ("sbc model None", lambda c: _sbc(c, model=None),
     ArgumentError, r"model: expected a coalsurv\.SurvivalModel or MultiStateModel, got "
                    r"NoneType"),
    ("sbc multi-state template a DataFrame",
     lambda c: _sbc(c, model=MS, template=pd.DataFrame({"x": [1]})),
     ArgumentError, r"template: expected a coalsurv\.TransitionData .*got DataFrame"),
    ("sbc template a DataFrame", lambda c: _sbc(c, template=pd.DataFrame({"x": [1]})),
     ArgumentError, r"template: expected a coalsurv\.CoalitionData .*got DataFrame"),
    ("sbc out is a file", lambda c: _sbc(c, out=c["file"]),
     ArgumentError, r"out='.*plain\.txt' is a file, not a folder"),
    ("sbc multi-state out is a file", lambda c: _sbc(c, model=MS, out=c["file"]),
     ArgumentError, r"out='.*plain\.txt' is a file, not a folder"),
    ("spec_curve out is a file",
     lambda c: coalsurv.spec_curve(c["data"], term="breadth", formulas=["breadth"],
                                   out=c["file"], progress=False),
     ArgumentError, r"out='.*plain\.txt' is a file, not a folder"),
]


@pytest.fixture(scope="module")
def ctx(synthetic_small, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad_batch")
    plain = tmp / "plain.txt"
    plain.write_text("not a folder")
    return {"data": synthetic_small, "tmp": tmp, "file": plain}


def test_enough_malformed_batch_inputs():
    assert len(CASES) >= 15
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("call", "error", "pattern"),
                         [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_malformed_batch_input_is_refused_by_name(ctx, call, error, pattern):
    with pytest.raises(error) as info:
        call(ctx)
    message = str(info.value)
    assert re.search(pattern, message, re.S), message


def test_sbc_checks_out_before_sampling_the_prior(ctx, monkeypatch):
    """out= naming a file is refused before the model is pinned or its prior sampled."""
    import importlib

    sbc_module = importlib.import_module("coalsurv.batch.sbc")  # the module, not the function

    def pinned(*args, **kwargs):
        raise AssertionError("pinned the model before checking out=")

    monkeypatch.setattr(sbc_module, "pin_model", pinned)
    with pytest.raises(ArgumentError, match="is a file"):
        _sbc(ctx, out=ctx["file"])


def test_batch_fit_cli_with_a_file_as_output_exits_2_in_one_line(ctx, capsys):
    from coalsurv.cli import main

    model = ctx["tmp"] / "m.toml"
    model.write_text('[model]\nformula = "breadth"\nfamily = "weibull"\n')
    for sub in (["fit", str(ctx["file"]), "--model", str(model), "--duration", "d",
                 "--event", "e", "--time-unit", "days"],
                ["sbc", "--model", str(model)]):
        assert main(["batch", *sub, "-o", str(ctx["file"])]) == 2
        err = capsys.readouterr().err
        assert err.startswith("coalsurv: error: -o/--output=") and "is a file" in err, err
        assert err.count("\n") == 1, err
