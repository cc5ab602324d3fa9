"""Every writer is atomic: a crash midway leaves the previous file intact and no temporary.

Each writer of the package (``PriorSet.save``, ``ModelSpec.save``, ``Fit.save``, the
report's PDF, the gallery's PNGs and the CSVs of ``coalsurv simulate``) writes through
:mod:`coalsurv._io`. The write underneath is made to fail after writing part of the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import coalsurv
from coalsurv.spec.modelspec import ModelSpec
from coalsurv.spec.priors import Prior, PriorSet


class Crash(RuntimeError):
    """The simulated crash."""


def _half_then_crash(original):
    """A write_bytes that writes half of the bytes and then fails."""
    def write(self, data):
        original(self, data[: len(data) // 2])
        raise Crash("disk full")
    return write


def _assert_intact(folder: Path, path: Path, before: bytes) -> None:
    assert path.read_bytes() == before, "the previous file was changed"
    assert sorted(p.name for p in folder.iterdir()) == [path.name], "a temporary was left"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_prior_set_save(tmp_path, monkeypatch, suffix):
    path = PriorSet({"beta": Prior("Normal", mu=0, sigma=1)}, name="old").save(
        tmp_path / f"p{suffix}")
    before = path.read_bytes()
    monkeypatch.setattr(Path, "write_bytes", _half_then_crash(Path.write_bytes))
    with pytest.raises(Crash):
        PriorSet({"beta": Prior("Normal", mu=1, sigma=2)}, name="new").save(path)
    monkeypatch.undo()
    _assert_intact(tmp_path, path, before)
    assert PriorSet.load(path).name == "old"


def test_model_spec_save(tmp_path, monkeypatch):
    path = ModelSpec(formula="breadth", name="old").save(tmp_path / "m.toml")
    before = path.read_bytes()
    monkeypatch.setattr(Path, "write_bytes", _half_then_crash(Path.write_bytes))
    with pytest.raises(Crash):
        ModelSpec(formula="breadth + power_hhi", name="new").save(path)
    monkeypatch.undo()
    _assert_intact(tmp_path, path, before)
    assert ModelSpec.load(path).name == "old"


@pytest.fixture(scope="module")
def fit(tiny_fit, synthetic_small):
    return tiny_fit(synthetic_small, "breadth + (1 | group)")


def test_fit_save(fit, tmp_path, monkeypatch):
    from coalsurv.fit import fitfile

    path = fit.save(tmp_path / "fit.nc")
    before = path.read_bytes()
    original = fitfile.write_netcdf

    def crash(filepath, *args, **kwargs):
        original(filepath, *args, **kwargs)
        raw = Path(filepath).read_bytes()
        Path(filepath).write_bytes(raw[: len(raw) // 3])
        raise Crash("killed while writing")

    monkeypatch.setattr(fitfile, "write_netcdf", crash)
    with pytest.raises(Crash):
        fit.save(path)
    monkeypatch.undo()
    _assert_intact(tmp_path, path, before)
    assert coalsurv.load_fit(path).fit_id == fit.fit_id


def test_report_pdf(fit, tmp_path, monkeypatch):
    """The report writes through atomic_write_with; its layout is replaced by a stub."""
    import coalsurv.report as report

    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 previous report")
    before = path.read_bytes()

    class Story:
        def __init__(self, *args, **kwargs):
            pass

        def story(self):
            return []

    def build_pdf(story, tmp, **kwargs):
        Path(tmp).write_bytes(b"%PDF-1.4 half")
        raise Crash("layout failed")

    monkeypatch.setattr(report, "_Report", Story)
    monkeypatch.setattr(report, "build_pdf", build_pdf)
    with pytest.raises(Crash):
        fit.report(path)
    _assert_intact(tmp_path, path, before)


def test_gallery_png(fit, tmp_path, monkeypatch):
    import matplotlib.figure

    try:
        from coalsurv.report.gallery import render_gallery
    except ImportError:  # before the report was split into modules
        from coalsurv.report.figures import render_gallery

    folder = tmp_path / "gallery"
    folder.mkdir()
    old = folder / "survival.png"
    old.write_bytes(b"previous png")

    def savefig(self, fname, *args, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise Crash("renderer died")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    with pytest.raises(Crash):
        render_gallery(fit, folder)
    assert old.read_bytes() == b"previous png"
    assert [p.name for p in folder.iterdir()] == ["survival.png"], "a temporary was left"


def test_simulate_csv(tmp_path, monkeypatch, capsys):
    from coalsurv.cli import main

    out = tmp_path / "sim.csv"
    out.write_text("previous,table\n1,2\n")
    before = out.read_bytes()
    monkeypatch.setattr(Path, "write_bytes", _half_then_crash(Path.write_bytes))
    with pytest.raises(Crash):
        main(["simulate", "-o", str(out), "--n", "30", "--groups", "3", "--traceback"])
    monkeypatch.undo()
    _assert_intact(tmp_path, out, before)
