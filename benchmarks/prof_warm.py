"""cProfile of a family-table row's warm refit (issue 23: the fixed cost around NUTS).

``PYTHONPATH=$PWD python benchmarks/prof_warm.py ROW [N]``: fits ``ROW`` of
:mod:`families` once (cold, 4 x 1000 draws, seed 1), then refits it ``N`` times (default 1) on
jittered data of the same shape (seeds 2, 3, ...), profiling the refits, and prints the
warm wall time, the time outside NUTS (``PySampler.wait``) and the R-hat check
(``_stats.worst_rhat``), and the functions by cumulative and own time.
"""

import cProfile
import io
import pstats
import sys
import time
import warnings

sys.path.insert(0, "benchmarks")
import families  # noqa: E402
import family_rows  # noqa: E402

row = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1
model = families.make_model(row)
data, _ = families.load_variant(families.ROWS[row][2])
kw = dict(draws=1000, tune=1000, chains=4, progressbar=False, kernel="auto")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    family_rows.fit_row(model, data, random_seed=1, **kw)
    print(f"cold {time.perf_counter() - t0:.2f}")
news = [families.load_variant(families.ROWS[row][2], jitter=j)[0] for j in range(1, n + 1)]
pr = cProfile.Profile()
walls = []
for j, new in enumerate(news):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr.enable()
        t0 = time.perf_counter()
        family_rows.fit_row(model, new, random_seed=2 + j, **kw)
        walls.append(time.perf_counter() - t0)
        pr.disable()
st = pstats.Stats(pr)
WAIT = "<method 'wait' of 'builtins.PySampler' objects>"
wait = sum(v[3] for k, v in st.stats.items() if k[2] == WAIT)
rhat = sum(v[3] for k, v in st.stats.items() if k[2] == "worst_rhat")
print(f"warm mean {sum(walls) / n:.3f} s; NUTS wait {wait / n:.3f}; R-hat {rhat / n:.3f}; "
      f"rest {(sum(walls) - wait - rhat) / n:.3f}")
for order in ("cumulative", "tottime"):
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats(order).print_stats(70)
    print(s.getvalue())
