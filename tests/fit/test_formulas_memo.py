"""The disk memo of the kernel's formula check (backend/formulas_memo.py): kept, invalidated."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

from coalsurv.backend import formulas_memo, native
from coalsurv.families.weibull import WeibullPH


@pytest.fixture
def memo(tmp_path, monkeypatch):
    """An empty memo folder and process memo; counts the checks that really run."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(formulas_memo, "_seen", {})
    calls = []
    check = native._formulas_match_now

    def counted(family):
        calls.append(type(family).__name__)
        return check(family)

    monkeypatch.setattr(native, "_formulas_match_now", counted)
    return tmp_path / "coalsurv_formulas", calls


def _fresh_process(monkeypatch):
    monkeypatch.setattr(formulas_memo, "_seen", {})


def test_verdict_is_written_and_read_back(memo, monkeypatch):
    folder, calls = memo
    assert native.formulas_match(WeibullPH())
    files = list(folder.glob("*.json"))
    assert calls == ["WeibullPH"] and len(files) == 1
    assert json.loads(files[0].read_text()) == {"match": True}
    assert not list(folder.glob(".tmp-*"))
    native.formulas_match(WeibullPH())
    assert calls == ["WeibullPH"]  # the process memo
    _fresh_process(monkeypatch)
    assert native.formulas_match(WeibullPH())
    assert calls == ["WeibullPH"]  # the disk memo


def test_changed_formula_is_refused_with_a_memo(memo, monkeypatch):
    folder, calls = memo
    assert native.formulas_match(WeibullPH())

    class Shifted(WeibullPH):
        def _log_hazard(self, t, eta, xp, *, shape):
            return super()._log_hazard(t, eta + 0.01, xp, shape=shape)

    assert not native.formulas_match(Shifted())
    assert calls == ["WeibullPH", "Shifted"]
    # a method replaced at run time changes the key: checked again, refused
    original = WeibullPH._log_hazard

    def replaced(self, t, eta, xp, *, shape):
        return original(self, t, eta - 0.01, xp, shape=shape)

    monkeypatch.setattr(WeibullPH, "_log_hazard", replaced)
    _fresh_process(monkeypatch)
    assert not native.formulas_match(WeibullPH())
    assert calls == ["WeibullPH", "Shifted", "WeibullPH"]


def test_changed_source_or_options_check_again(memo, monkeypatch):
    folder, calls = memo
    from coalsurv.families import get_family

    native.formulas_match(WeibullPH())
    monkeypatch.setattr(formulas_memo, "_tree_digest", [b"another kernel source"])
    _fresh_process(monkeypatch)
    assert native.formulas_match(WeibullPH())
    assert calls == ["WeibullPH", "WeibullPH"]
    knots = [np.array([-1.5, -0.2, 0.4, 1.1]), np.array([-1.5, 0.1, 0.4, 1.1])]
    for k in knots:
        assert native.formulas_match(get_family("rp", log_knots=k))
    assert calls[2:] == ["RoystonParmar"] * 2
    assert len(list(folder.glob("*.json"))) == 4
    # the piecewise baseline's NumPy-only check is not kept
    assert native.formulas_match(get_family("piecewise", cuts=np.array([1.0, 2.0])))
    assert len(calls) == 4 and len(list(folder.glob("*.json"))) == 4


def test_unreadable_memo_and_unkeyed_class_check(memo, monkeypatch):
    folder, calls = memo
    native.formulas_match(WeibullPH())
    (path,) = folder.glob("*.json")
    path.write_text('{"match": "yes"}')
    _fresh_process(monkeypatch)
    assert native.formulas_match(WeibullPH())
    assert json.loads(path.read_text()) == {"match": True} and len(calls) == 2
    # a class whose module has no source file is checked every time, never memoised
    module = types.ModuleType("made_in_a_cell")
    Cell = type("Cell", (WeibullPH,), {"__module__": module.__name__})
    monkeypatch.setitem(__import__("sys").modules, module.__name__, module)
    assert formulas_memo.memo_key(Cell()) is None
    assert native.formulas_match(Cell()) and native.formulas_match(Cell())
    assert calls[2:] == ["Cell", "Cell"] and len(list(folder.glob("*.json"))) == 1


def test_unwritable_package_folder_falls_back_to_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "backend").write_text("a file where the folder would be")
    monkeypatch.setattr(formulas_memo, "_PACKAGE", tmp_path / "pkg")
    monkeypatch.setattr(formulas_memo, "_seen", {})
    assert native.formulas_match(WeibullPH())
    (path,) = (tmp_path / "user" / "coalsurv" / "coalsurv_formulas").glob("*.json")
    assert json.loads(path.read_text()) == {"match": True}
