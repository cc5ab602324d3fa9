"""Execute the example notebooks and render them as HTML: ``make notebooks``.

Each notebook of this folder runs top to bottom in the ``python3`` kernel (nbclient) in its
own folder; the executed copy is written to ``reports/notebooks/executed/<name>.ipynb`` and,
when nbconvert is installed (``pip install -e '.[notebook]'``), rendered to ``<name>.html``
beside it. The committed notebooks stay without outputs. ``COALSURV_QUICK=1`` runs them with
few draws; names on the command line (``run_notebooks.py king1990_cabinets``) run only
those. A notebook whose real data set is absent from ``../shared/data`` is reported and
skipped; a failing notebook makes the script exit with status 1 after the others have run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
OUT = FOLDER / "executed"
SHARED = FOLDER.parents[2] / "shared" / "data"
#: Notebook -> the real data set it reads (None: bundled data only).
NEEDS = {"synthetic_alliances.ipynb": None, "king1990_cabinets.ipynb": "king1990",
         "parlgov_competing_endings.ipynb": "parlgov", "replication.ipynb": "coalgov",
         "multistate_paths.ipynb": None, "parlgov_time_varying.ipynb": "parlgov",
         "transform.ipynb": ("atop", "parlgov"), "members_coalgov.ipynb": "coalgov",
         "members_atop.ipynb": "atop"}


def _names(needs: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """Return the data sets a notebook reads (NEEDS: None, one name or a tuple of names)."""
    return () if needs is None else (needs,) if isinstance(needs, str) else tuple(needs)


def run(name: str) -> Path:
    """Execute one notebook; return the path of the executed copy (HTML beside it if possible)."""
    import nbclient
    import nbformat

    nb = nbformat.read(FOLDER / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                     resources={"metadata": {"path": str(FOLDER)}})
    client.execute()
    OUT.mkdir(exist_ok=True)
    target = OUT / name
    nbformat.write(nb, target)
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        print(f"  {name}: nbconvert is not installed, no HTML (pip install -e '.[notebook]')")
        return target
    body, _ = HTMLExporter().from_notebook_node(nb)
    target.with_suffix(".html").write_text(body, encoding="utf-8")
    return target


def main(names: list[str] | None = None) -> int:
    """Run the notebooks ``names`` (default: every one); return 1 if any failed, 2 if unknown."""
    # inline figures in the kernel, even when the caller forces Agg (MPLBACKEND=Agg)
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    present = sorted(p.name for p in FOLDER.glob("*.ipynb"))
    unlisted = [n for n in present if n not in NEEDS]
    if unlisted:  # a notebook added without saying which data it needs
        print(f"error: {unlisted} are not in NEEDS of {Path(__file__).name}")
        return 2
    wanted = [n if n.endswith(".ipynb") else f"{n}.ipynb" for n in names or NEEDS]
    unknown = [n for n in wanted if n not in NEEDS]
    if unknown:
        print(f"error: unknown notebook(s) {unknown}; expected some of {list(NEEDS)}")
        return 2
    failed = []
    for name in wanted:
        needs = NEEDS[name]
        absent = [SHARED / n for n in _names(needs) if not (SHARED / n).is_dir()]
        if absent:
            print(f"skipped {name}: its data set {absent[0]} is absent")
            continue
        print(f"running {name} ...", flush=True)
        try:
            out = run(name)
        except Exception as exc:  # report every notebook, then fail
            failed.append(name)
            print(f"FAILED {name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        print(f"wrote {out}" + (f" and {out.with_suffix('.html').name}"
                                if out.with_suffix(".html").exists() else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
