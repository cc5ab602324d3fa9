"""Floor of the native kernel's row loop at N = 10^5: the same Weibull-frailty math, specialised.

A diagnostic for BENCHMARKS.md's log-density target: ``one_pass`` is the kernel's row loop
written for exactly one model (one cause, one frailty factor, no delayed entry, no pointwise
output), ``two_pass`` the same split into eta / exp / gradient passes. Their times against
``coalsurv.backend.kernel.logp_grad`` (1.4 ms at best, ``benchmarks/run.py --child logp 100000``)
say what the kernel's generality costs; run it in several fresh processes: on this machine
even ``one_pass`` is bimodal between processes (about 1.0 or 1.7 ms). Run:
``.venv/bin/python benchmarks/logp_floor.py``.
"""

import math
import time

import numpy as np
from numba import njit


@njit(cache=False, error_model="numpy")
def one_pass(X, beta, a, u, idx, log_t, ev, theta, log_theta, g_beta, g_u):
    """Weibull PH + one frailty: log likelihood and gradient in one loop over the rows."""
    n, P = X.shape
    total = 0.0
    d_a = 0.0
    d_th = 0.0
    for i in range(n):
        eta = a
        for j in range(P):
            eta += X[i, j] * beta[j]
        eta += u[int(idx[i])]
        log_s = -math.exp(theta * log_t[i] + eta)
        total += ev[i] * (log_theta + (theta - 1.0) * log_t[i] + eta) + log_s
        d_eta = ev[i] + log_s
        d_a += d_eta
        d_th += ev[i] * (1.0 / theta + log_t[i]) + log_s * log_t[i]
        for j in range(P):
            g_beta[j] += d_eta * X[i, j]
        g_u[int(idx[i])] += d_eta
    return total + d_a + d_th

@njit(cache=False, error_model="numpy")
def two_pass(X, beta, a, u, idx, log_t, ev, theta, log_theta, g_beta, g_u, scratch):
    """Compute the same in three passes: eta, the family terms (exp), the gradient."""
    n, P = X.shape
    for i in range(n):
        eta = a
        for j in range(P):
            eta += X[i, j] * beta[j]
        scratch[i] = eta + u[int(idx[i])]
    total = 0.0
    d_a = 0.0
    d_th = 0.0
    for i in range(n):
        eta = scratch[i]
        log_s = -math.exp(theta * log_t[i] + eta)
        total += ev[i] * (log_theta + (theta - 1.0) * log_t[i] + eta) + log_s
        d_eta = ev[i] + log_s
        scratch[i] = d_eta
        d_a += d_eta
        d_th += ev[i] * (1.0 / theta + log_t[i]) + log_s * log_t[i]
    for i in range(n):
        d_eta = scratch[i]
        for j in range(P):
            g_beta[j] += d_eta * X[i, j]
        g_u[int(idx[i])] += d_eta
    return total + d_a + d_th

def best_ms(fn, *, blocks: int = 10, calls: int = 20) -> float:
    """Fastest block's mean time per call, in milliseconds."""
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return 1e3 * min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    n, p, g = 100_000, 4, 500
    X = rng.normal(size=(n, p))
    beta = rng.normal(size=p) * 0.1
    u = rng.normal(size=g) * 0.1
    idx = rng.integers(0, g, n).astype(float)
    log_t = rng.normal(size=n)
    ev = (rng.random(n) < 0.7).astype(float)
    g_beta, g_u, scratch = np.zeros(p), np.zeros(g), np.zeros(n)
    args = (X, beta, 0.1, u, idx, log_t, ev, 1.2, math.log(1.2), g_beta, g_u)
    one_pass(*args)
    two_pass(*args, scratch)
    print(f"one pass {best_ms(lambda: one_pass(*args)):.2f} ms, "
          f"two passes {best_ms(lambda: two_pass(*args, scratch)):.2f} ms (N = {n})")


if __name__ == "__main__":
    main()
