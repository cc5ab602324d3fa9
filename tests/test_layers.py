"""The package's layers: imports point down, no import circle, no private names across modules.

Run ``python tests/test_layers.py`` to list the problems (``--map`` also prints every
module's layer and imports); the tests below fail with the offending module and import.
The layers (DEVELOPING.md):

====  ==========================================================================
rank  packages (a module may import its own package and lower ranks only)
====  ==========================================================================
0     ground: errors, _io, _version, _stats, _rank_kernel, _format (may import one another)
1     families (hazard math) · plots (tidy frames in, axes out) — separately
2     data
3     endings · simulation
4     datasets
5     spec
6     build
7     backend (how a built model is sampled: native kernel, nutpie, the PyMC route)
8     fit
9     diagnostics
10    batch
11    report
12    face: coalsurv (re-exports), cli, notebook, __main__ (may import one another)
====  ==========================================================================

The only upward imports are the documented conveniences of a :class:`~coalsurv.Fit` and a
model (``fit.diagnose()``, ``fit.report()``, notebook HTML), made lazily inside the method so
that nothing is imported until it is used: :data:`LAZY_CONVENIENCES`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coalsurv"

RANKS = {
    "errors": 0, "_io": 0, "_version": 0, "_stats": 0, "_rank_kernel": 0, "_format": 0,
    "families": 1, "plots": 1,
    "data": 2,
    "endings": 3, "simulation": 3,
    "datasets": 4,
    "spec": 5,
    "build": 6,
    "backend": 7,
    "fit": 8,
    "diagnostics": 9,
    "batch": 10,
    "report": 11,
    "": 12, "cli": 12, "notebook": 12, "__main__": 12,
}
#: ranks whose packages may import one another (the ground; the face)
SHARED_RANKS = (0, 12)

#: (importing module, imported package): upward imports allowed, inside a method only.
LAZY_CONVENIENCES = {
    ("coalsurv.fit.record", "coalsurv.diagnostics"),   # Fit.diagnose()
    ("coalsurv.fit.record", "coalsurv.report"),        # Fit.report()
    ("coalsurv.fit.record", "coalsurv.notebook"),      # Fit._repr_html_()
    ("coalsurv.fit.model", "coalsurv.notebook"),       # SurvivalModel._repr_html_()
    ("coalsurv.fit.multistate_fit", "coalsurv.report"),  # MultiStateFit.report()
    ("coalsurv.spec.moments", "coalsurv.fit"),         # PriorSet.from_fit(path)
}


def module_name(path: Path) -> str:
    """Dotted module name of a file under the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def top_package(module: str) -> str:
    """The layer key of a module: ``coalsurv.fit.record`` → ``fit``, ``coalsurv`` → ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")[: -node.level] if node.level else []
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path) -> list[tuple[str, list[str], bool]]:
    """``(imported module, names, at module level)`` for every coalsurv import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module_name(path)
    top_level = set()
    for node in tree.body:
        top_level.add(id(node))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue  # type-only imports never run
    out = []
    type_only = {id(n) for node in tree.body if isinstance(node, ast.If)
                 and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if target.split(".")[0] == "coalsurv":
                out.append((target, [a.name for a in node.names], id(node) in top_level))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "coalsurv":
                    out.append((alias.name, [], id(node) in top_level))
    return out


def all_modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_module(name: str, modules: dict[str, Path]) -> bool:
    return name in modules


def direction_violations() -> list[str]:
    """Imports that point up (or sideways between packages of one rank)."""
    modules = all_modules()
    bad = []
    for module, path in modules.items():
        here = top_package(module)
        for target, names, _ in imports_of(path):
            targets = [target]
            if target == "coalsurv":  # ``from coalsurv import x``: the submodule or a re-export
                targets = [f"coalsurv.{n}" if _is_module(f"coalsurv.{n}", modules)
                           else "coalsurv" for n in names] or ["coalsurv"]
            for t in targets:
                there = top_package(t)
                if there == here:
                    continue
                if (module, f"coalsurv.{there}" if there else "coalsurv") in LAZY_CONVENIENCES:
                    continue
                if RANKS[there] > RANKS[here] or (RANKS[there] == RANKS[here]
                                                  and RANKS[here] not in SHARED_RANKS):
                    bad.append(f"{module} (rank {RANKS[here]}) imports {t} (rank {RANKS[there]})")
    return bad


def private_imports() -> list[str]:
    """``from other_module import _private`` across modules."""
    bad = []
    for module, path in all_modules().items():
        for target, names, _ in imports_of(path):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and target != module:
                    bad.append(f"{module} imports private {target}.{name}")
    return bad


def import_cycles() -> list[list[str]]:
    """Circles among module-level imports (strongly connected components of size > 1)."""
    modules = all_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for target, names, top in imports_of(path):
            if not top:
                continue
            for n in names or [""]:
                sub = f"{target}.{n}"
                graph[module].add(sub if sub in modules else target)
    graph = {m: {t for t in ts if t in modules and t != m} for m, ts in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def long_modules(limit: int = 520) -> list[str]:
    """Modules over ``limit`` lines (the house rule is ~500)."""
    return [f"{module_name(p)}: {n} lines" for p in sorted(PACKAGE.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit]


def test_every_package_has_a_layer():
    assert not [m for m in all_modules() if top_package(m) not in RANKS]


def test_imports_point_down():
    assert direction_violations() == []


def test_no_import_circle():
    assert import_cycles() == []


def test_no_private_names_across_modules():
    assert private_imports() == []


def test_no_module_over_about_500_lines():
    assert long_modules() == []


def test_one_place_builds_graphs_and_one_place_samples():
    """Only build/graph.py creates pm.Model; only backend/sampling.py calls a sampler."""
    builders, samplers = set(), set()
    for module, path in all_modules().items():
        text = path.read_text(encoding="utf-8")
        if "pm.Model(" in text:
            builders.add(module)
        if any(call in text for call in ("nutpie.sample(", "pm.sample(", "sample_prior_predictive(",
                                         "pm.sample_posterior_predictive(")):
            samplers.add(module)
    assert builders == {"coalsurv.build.graph"}
    assert samplers == {"coalsurv.backend.sampling"}


if __name__ == "__main__":  # pragma: no cover - prints problems (and the map with --map)
    if "--map" in sys.argv:
        for name, path in all_modules().items():
            deps = sorted({t for t, _, _ in imports_of(path)})
            print(f"[{RANKS[top_package(name)]:>2}] {name}: {', '.join(deps)}")
    problems = direction_violations() + private_imports() + [
        " <-> ".join(c) for c in import_cycles()] + long_modules()
    print("\n".join(problems) if problems else "layers: OK")
    sys.exit(1 if problems else 0)
