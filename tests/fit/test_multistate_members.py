"""mm() members terms in the transitions of a MultiStateModel (issue 21).

A TransitionData carries the units' members table (``members=``, keyed by the unit id); each
sojourn of a unit has the unit's members, so each separately fitted transition can take an
mm() term. Tiny fits (two transitions, 2 chains x 150 draws) check the plumbing: the member
rows of each transition's episodes, names in the tables, occupancy of a typical unit, the
fit-file round trip; bad input and the joint model (shared= / frailty=) are refused.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import coalsurv
from coalsurv.errors import CoalitionDataError, SpecError

TRANSITIONS = {"coalition -> alliance": "x + mm(w)", "alliance -> dissolution": "mm(1)"}
TINY = {"draws": 150, "tune": 150, "chains": 2, "progressbar": False}


def _histories(n: int = 60, seed: int = 2):
    rng = np.random.default_rng(seed)
    rows, members = [], []
    for i in range(n):
        x = rng.normal()
        who = rng.choice(12, size=rng.integers(2, 4), replace=False)
        share = rng.dirichlet(np.ones(len(who)))
        members += [{"id": i, "member": f"p{k}", "share": s, "w": rng.normal()}
                    for k, s in zip(who, share, strict=True)]
        t1 = rng.exponential(1 / (0.15 * np.exp(0.5 * x)))
        c = rng.uniform(5, 30)
        if t1 >= c:
            rows.append((i, "coalition", 0.0, c, "censored", x))
            continue
        rows.append((i, "coalition", 0.0, t1, "alliance", x))
        t2 = t1 + rng.exponential(1 / 0.08)
        rows.append((i, "alliance", t1, min(t2, c), "dissolution" if t2 < c else "censored", x))
    frame = pd.DataFrame(rows, columns=["id", "state", "start", "stop", "to", "x"])
    return frame, pd.DataFrame(members)


def _data(frame=None, members=None):
    f, m = _histories()
    return coalsurv.TransitionData.from_frame(
        f if frame is None else frame, id="id", state="state", start="start", stop="stop",
        to="to", covariates=["x"], time_unit="months",
        members=m if members is None else members)


@pytest.fixture(scope="module")
def fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return coalsurv.MultiStateModel(TRANSITIONS).fit(_data(), random_seed=5, **TINY)


def test_each_sojourn_has_its_units_members():
    data = _data()
    _, members = _histories()
    ep = data.episodes("alliance", "dissolution", clock="reset")
    unit_of = {s: int(str(s).split("#")[0]) for s in ep.ids}
    got = ep.members.assign(unit=ep.members["id"].map(unit_of))
    assert set(got["id"]) == set(ep.ids)
    want = members[members["id"].isin(set(unit_of.values()))]
    assert len(got) == len(want)
    for unit, rows in got.groupby("unit"):
        expected = want[want["id"] == unit]
        assert sorted(rows["member"]) == sorted(expected["member"])
        assert np.allclose(np.sort(rows["w"]), np.sort(expected["w"]))


def test_transitions_fit_with_mm_terms(fit, tmp_path):
    names = fit.summary()
    first = set(names.loc[names["transition"] == "coalition -> alliance", "parameter"])
    second = set(names.loc[names["transition"] == "alliance -> dissolution", "parameter"])
    assert {"beta[x]", "beta[mm(w)]", "sd_mm"} <= first, first
    assert "sd_mm" in second and "beta[mm(w)]" not in second, second
    assert np.all(np.isfinite(names["mean"]))
    occ = fit.state_occupancy([2.0, 10.0])   # a typical unit: member term at its mean
    assert np.allclose(occ.groupby(["row", "time"])["mean"].sum(), 1.0)
    profiles = pd.DataFrame({"x": [-1.0, 1.0]})
    with pytest.raises(SpecError, match=r"mm\(\) model predicts fitted coalitions only"):
        fit.hazard([2.0], profiles)
    profiles.attrs["mm"] = "typical"
    hz = fit.hazard([2.0], profiles)
    assert np.all(np.isfinite(hz["mean"])) and len(hz) == 4
    path = tmp_path / "ms.zip"
    fit.save(path)
    back = coalsurv.load_multistate(path)
    assert back.data.members is not None
    pd.testing.assert_frame_equal(back.summary(), names)


def test_bad_members_tables_are_refused():
    frame, members = _histories()
    bad = members.copy()
    bad.loc[0, "id"] = 999
    bad.loc[1, "share"] = -0.5
    with pytest.raises(CoalitionDataError, match=r"(?s)ids not in.*999.*negative shares"):
        _data(members=bad)
    with pytest.raises(CoalitionDataError, match="members: expected a pandas DataFrame"):
        _data(members=[1, 2])
    lonely = members[members["id"] != 3]   # unit 3 has no members: its mm() sojourns cannot
    with pytest.raises(CoalitionDataError, match=r"coalitions without members: ids .*3#"):
        coalsurv.MultiStateModel(TRANSITIONS).fit(_data(members=lonely), **TINY)


def test_joint_models_refuse_mm():
    with pytest.raises(SpecError, match=r"mm\(\) members terms are not supported with shared"):
        coalsurv.MultiStateModel({"coalition -> alliance": "x + mm(w)",
                                  "alliance -> dissolution": "x"},
                                 shared={"x": ["coalition -> alliance",
                                               "alliance -> dissolution"]})


def _wide(frame):
    """One row per unit: the time it entered alliance and dissolution, its end of follow-up."""
    first = frame.groupby("id").first()
    last = frame.groupby("id").last()
    alliance = frame.loc[frame["state"] == "alliance"].set_index("id")["start"]
    ended = last["to"] == "dissolution"
    return pd.DataFrame({"id": first.index, "x": first["x"].to_numpy(),
                         "t_alliance": alliance.reindex(first.index).to_numpy(),
                         "t_dissolution": np.where(ended, last["stop"], np.nan),
                         "end": last["stop"].to_numpy()})


WIDE_OPTIONS = {"id": "id", "entry_times": {"alliance": "t_alliance",
                                            "dissolution": "t_dissolution"},
                "end": "end", "absorbing": ["dissolution"], "covariates": ["x"],
                "time_unit": "months"}


def test_from_wide_takes_the_units_members():
    """from_wide(members=) keys the members by unit id, as from_frame does."""
    frame, members = _histories()
    wide = coalsurv.TransitionData.from_wide(_wide(frame), members=members, **WIDE_OPTIONS)
    long = _data()
    pd.testing.assert_frame_equal(wide.members, long.members)
    a = wide.episodes("alliance", "dissolution", clock="reset")
    b = long.episodes("alliance", "dissolution", clock="reset")
    assert list(a.ids) == list(b.ids)
    pd.testing.assert_frame_equal(a.members, b.members)
    assert coalsurv.TransitionData.from_wide(_wide(frame), **WIDE_OPTIONS).members is None


def test_from_wide_refuses_bad_members_naming_rows():
    frame, members = _histories()
    bad = members.copy()
    bad.loc[0, "id"] = 999                         # an id that is no unit
    bad.loc[4, "share"] = bad.loc[4, "share"] + 0.3    # its unit's shares do not sum to 1
    dup = pd.concat([bad, bad.iloc[[7]]])          # a (unit, member) pair twice
    unit = int(bad.loc[4, "id"])
    with pytest.raises(CoalitionDataError, match=(
            rf"(?s)ids not in the episode table: .*999.*duplicate \(id, member\) pairs"
            rf".*shares do not sum to 1.*{unit}")):
        coalsurv.TransitionData.from_wide(_wide(frame), members=dup, **WIDE_OPTIONS)
    with pytest.raises(CoalitionDataError, match="members: expected a pandas DataFrame"):
        coalsurv.TransitionData.from_wide(_wide(frame), members=[1, 2], **WIDE_OPTIONS)
    with pytest.raises(CoalitionDataError, match=r"members: .*'member'"):
        coalsurv.TransitionData.from_wide(_wide(frame), members=members.drop(columns="member"),
                                          **WIDE_OPTIONS)
