"""Population averages over newdata's rows (``average=True``), computed in chunks of rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coalsurv.errors import ArgumentError
from coalsurv.fit.averaging import average_over_rows, chunk_rows


def test_chunked_average_equals_mean_of_rows_for_any_chunk_size():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(5, 2, 23, 4))  # (draw, cause, row, time)
    frame = pd.DataFrame({"i": np.arange(23)})

    def evaluate(rows):
        return values[:, :, rows["i"].to_numpy(), :]

    for per_row in (1.0, 3e8, 7.0 * 2**20 * 40):
        got = average_over_rows(evaluate, frame, bytes_per_row=per_row, budget_bytes=7 * 2**20)
        np.testing.assert_allclose(got, values.mean(axis=2), rtol=1e-12)
    assert chunk_rows(23, 3e8, budget_bytes=2**20) == 1
    assert chunk_rows(23, 1.0, budget_bytes=2**20) == 23
    with pytest.raises(ArgumentError, match="at least one row"):
        average_over_rows(evaluate, frame.iloc[:0], bytes_per_row=1.0)


@pytest.mark.parametrize("curve", ["survival", "hazard", "cumulative_incidence"])
def test_average_true_equals_mean_of_per_row_draws(tiny_fit, synthetic_small, curve):
    fit = tiny_fit(synthetic_small, "breadth + (1 | group)")
    new = synthetic_small.episode_profiles().iloc[:7].copy()
    new.loc[new.index[:2], "group"] = "unseen"  # rows integrated over the frailty
    times = [3.0, 12.0, 30.0]
    method = getattr(fit, curve)
    rows = method(times, new, summary=False)
    avg = method(times, new, summary=False, average=True)
    np.testing.assert_allclose(avg.values, rows.mean("row").values, rtol=1e-10)
    frame = method(times, new, average=True, ci_prob=0.9)
    assert "row" not in frame.columns and set(frame["n_rows"]) == {7}
    assert {"time", "mean", "lower", "upper", "ci_prob"} <= set(frame.columns)
    expected_rows = len(times) * (len(fit.info.causes) if curve != "survival" else 1)
    assert len(frame) == expected_rows
    assert np.all(frame["lower"] <= frame["mean"]) and np.all(frame["mean"] <= frame["upper"])
    with pytest.raises(ArgumentError, match="average must be True or False"):
        method(times, new, average="yes")
