"""Execute the example notebooks and render them as HTML: ``make notebooks``.

Each notebook of this folder runs top to bottom in the ``python3`` kernel (nbclient) in its
own folder; the executed copy is written to ``reports/notebooks/executed/<name>.ipynb`` and,
when nbconvert is installed (``pip install -e '.[notebook]'``), rendered to ``<name>.html``
beside it. The committed notebooks stay without outputs. ``COALSURV_QUICK=1`` runs them with
few draws. A notebook whose real data set is absent from ``../shared/data`` is reported and
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
         "parlgov_competing_endings.ipynb": "parlgov", "replication.ipynb": "coalgov"}


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


def main() -> int:
    """Run every notebook; return 1 if any failed."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    failed = []
    for name, needs in NEEDS.items():
        if needs is not None and not (SHARED / needs).is_dir():
            print(f"skipped {name}: its data set {SHARED / needs} is absent")
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
    sys.exit(main())
