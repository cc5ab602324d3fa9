"""Aalen–Johansen estimator of state occupancy for multi-state data (written here).

lifelines' ``AalenJohansenFitter`` covers competing risks out of one state only; this is the
general product-integral estimator: per transition ``r -> s`` the Nelson–Aalen increment
``dA_rs(t) = d_rs(t) / Y_r(t)`` (``d`` transitions at ``t``, ``Y`` units in ``r`` just before
``t``, with delayed entry: a sojourn ``(start, stop]`` is at risk on that interval), and the
transition matrix ``P(0, t) = prod_{u <= t} (I + dA(u))`` over the distinct event times. Time
is the process clock (time since the first state), so the estimator is the Markov (forward
clock) one; state occupancy is however consistent without the Markov assumption when every
unit starts in the same state at 0 (Datta & Satten 2001).

>>> import pandas as pd
>>> from coalsurv.data.transitions import TransitionData
>>> df = pd.DataFrame({"id": [1, 2, 2, 3], "state": ["c", "c", "a", "c"],
...                    "start": [0., 0., 2., 0.], "stop": [1., 2., 5., 4.],
...                    "to": ["d", "a", "censored", "censored"]})
>>> data = TransitionData.from_frame(df, id="id", state="state", start="start", stop="stop",
...                                  to="to", time_unit="years")
>>> aalen_johansen(data, [3.0], start="c").round(3)[["time", "state", "occupancy"]]
   time state  occupancy
0   3.0     c      0.333
1   3.0     a      0.333
2   3.0     d      0.333
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from coalsurv.errors import ArgumentError

__all__ = ["aalen_johansen"]


def aalen_johansen(data, times: Sequence[float], *, start: str = "coalition",
                   states: Sequence[str] | None = None) -> pd.DataFrame:
    """Aalen–Johansen state occupancy from ``start`` at time 0.

    Parameters
    ----------
    data : TransitionData
    times : sequence of float
        Times (process clock, the data's unit) at which to report the occupancy.
    start : str
        Initial state (every path starts there at 0).
    states : sequence of str, optional
        Order of the states in the output (default ``data.states``).

    Returns
    -------
    DataFrame
        ``time``, ``state``, ``occupancy`` (right-continuous step function; sums to 1 at each
        time); ``attrs["time_unit"]``.
    """
    states = list(states) if states is not None else list(data.states)
    if start not in states:
        raise ArgumentError(f"start={start!r}: not a state of the data; states are {states}")
    given = times
    try:
        times = np.asarray(times, dtype=float)
    except (TypeError, ValueError):  # text or ragged input: the same one error
        times = np.array([np.nan])
    if times.ndim != 1 or times.size == 0 or np.any(~np.isfinite(times)) or np.any(times < 0):
        raise ArgumentError(f"times must be a non-empty 1-D sequence of finite times >= 0, "
                            f"got {given!r:.60}")
    frame = data.frame
    idx = {s: i for i, s in enumerate(states)}
    moved = frame[frame["to"] != data.censored_label]
    event_times = np.unique(moved["stop"].to_numpy())
    event_times = event_times[event_times <= times.max()]
    starts, stops = frame["start"].to_numpy(), frame["stop"].to_numpy()
    src = frame["state"].map(idx).to_numpy()
    m_src, m_dst = moved["state"].map(idx).to_numpy(), moved["to"].map(idx).to_numpy()
    m_stop = moved["stop"].to_numpy()
    k = len(states)
    p = np.zeros(k)
    p[idx[start]] = 1.0
    path = np.empty((event_times.size, k))
    for j, t in enumerate(event_times):
        at_risk = np.bincount(src[(starts < t) & (stops >= t)], minlength=k).astype(float)
        here = m_stop == t
        d = np.zeros((k, k))
        np.add.at(d, (m_src[here], m_dst[here]), 1.0)
        rates = np.divide(d, at_risk[:, None], out=np.zeros_like(d), where=at_risk[:, None] > 0)
        step = np.eye(k) + rates - np.diag(rates.sum(axis=1))
        p = p @ step
        path[j] = p
    out = np.empty((times.size, k))
    pos = np.searchsorted(event_times, times, side="right") - 1
    initial = np.zeros(k)
    initial[idx[start]] = 1.0
    for i, j in enumerate(pos):
        out[i] = initial if j < 0 else path[j]
    result = pd.DataFrame({"time": np.repeat(times, k), "state": states * times.size,
                           "occupancy": out.ravel()})
    result.attrs["time_unit"] = data.time_unit
    return result
