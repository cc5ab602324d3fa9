"""Generic kernel's log density + gradient at 10^5 rows for one coalsurv tree (CPU time).

Used to bisect the generic kernel's slowdown (BENCHMARKS.md, "Quiet-machine checks at the end
of the fourth session"): ``python benchmarks/grad_tree.py TREE`` times ``kernel.logp_grad`` on
the sim100000 Weibull + ``(1 | group)`` buffer (non-centred and centred frailty) built by the
tree at ``TREE`` (a directory holding ``coalsurv/`` and ``benchmarks/run.py``; its numba cache
is compiled first, untimed): best and median of 10 blocks of 20 calls, with the 1-min load.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np


def main(tree: str) -> None:
    """Print ms per ``logp_grad`` call for both frailty forms of ``tree``'s kernel."""
    warnings.simplefilter("ignore")
    sys.path.insert(0, os.path.join(tree, "benchmarks"))
    sys.path.insert(0, tree)
    import run

    import coalsurv
    from coalsurv.backend import kernel, native

    print(coalsurv.__file__)
    data, terms, group = run.load("sim100000")
    for centring in ("noncentred", "centred"):
        model, _, info, _ = coalsurv.SurvivalModel(
            " + ".join(terms) + f" + (1 | {group})", family="weibull",
            family_options={"frailty_centring": centring}).build(data)
        kplan, _ = native.plan(model, info, {})
        buf = native.make_buffer(kplan, model)
        x = np.random.default_rng(0).normal(scale=0.3, size=kplan.ndim)
        grad = np.empty(kplan.ndim)
        kernel.logp_grad(buf, x, grad)  # compile / load the cache
        blocks = []
        for _ in range(10):
            start = time.process_time()
            for _ in range(20):
                kernel.logp_grad(buf, x, grad)
            blocks.append((time.process_time() - start) / 20 * 1e3)
        print(f"{centring}: ms per logp_grad (CPU, best / median of 10 x 20): "
              f"{min(blocks):.3f} / {float(np.median(blocks)):.3f}, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
