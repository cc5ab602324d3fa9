"""Same results across two trees: a cold then a warm fit per row, every array and the fit id.

``PYTHONPATH=TREE python benchmarks/warm_same.py OUT.pkl ROW [ROW ...]`` (from a tree holding
``benchmarks/families.py``): for each row of :mod:`families`, a cold fit (seed 1) and a warm
refit on jittered data (seed 2), 4 x 1000 draws; the warm fit is saved, loaded back with
``coalsurv.load_fit`` (which checks the seal and the fit id), and every array of every group
in memory and in the file is kept with the fit id in ``OUT.pkl``.
``python benchmarks/warm_same.py --compare A.pkl B.pkl`` checks that two trees' outputs agree:
the same fit ids, every array present in both equal (dtype, shape, values; NaN equal NaN), the
same stored groups and values in the fit file; it names the groups only one tree has.
"""

import hashlib
import os
import pickle
import sys
import tempfile
import warnings

import numpy as np


def compare(path_a: str, path_b: str) -> None:
    with open(path_a, "rb") as fa, open(path_b, "rb") as fb:
        a, b = pickle.load(fa), pickle.load(fb)
    for row in a:
        ra, rb = a[row], b[row]
        assert ra["fit_id"] == rb["fit_id"], (row, ra["fit_id"], rb["fit_id"])
        common = sorted(set(ra["arrays"]) & set(rb["arrays"]))
        only = sorted(set(ra["arrays"]) ^ set(rb["arrays"]))
        for key in common:
            x, y = ra["arrays"][key], rb["arrays"][key]
            assert x.dtype == y.dtype and x.shape == y.shape, (row, key)
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (row, key)
        assert ra["file"] == rb["file"], row
        print(f"{row}: fit id {ra['fit_id']} the same; {len(common)} arrays equal; only in one "
              f"tree: {sorted({k.split('/')[0] for k in only})}; fit file groups equal: "
              f"{sorted(ra['file'])}")


def run(out: str, rows: list[str]) -> None:
    import xarray as xr

    sys.path.insert(0, "benchmarks")
    import families
    import family_rows

    import coalsurv

    kw = {"draws": 1000, "tune": 1000, "chains": 4, "progressbar": False}
    result = {}
    for row in rows:
        model = families.make_model(row)
        data, _ = families.load_variant(families.ROWS[row][2])
        new, _ = families.load_variant(families.ROWS[row][2], jitter=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            family_rows.fit_row(model, data, random_seed=1, **kw)  # cold
            fit = family_rows.fit_row(model, new, random_seed=2, **kw)  # warm
        arrays = {}
        for group in fit.idata.children:
            ds = fit.idata[group].to_dataset()
            for name in ds.variables:
                arrays[f"{group}/{name}"] = np.asarray(ds[name].values)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "fit.nc")
            fit.save(path)
            assert coalsurv.load_fit(path).fit_id == fit.fit_id
            tree = xr.open_datatree(path)
            stored = {group: {str(name): hashlib.sha256(
                np.asarray(tree[group].to_dataset()[name].values).tobytes()).hexdigest()
                for name in tree[group].to_dataset().variables} for group in tree.children}
            tree.close()
        result[row] = {"fit_id": fit.fit_id, "arrays": arrays, "file": stored}
    with open(out, "wb") as f:
        pickle.dump(result, f)
    print("saved", out, list(result))


if __name__ == "__main__":
    if sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        run(sys.argv[1], sys.argv[2:])
