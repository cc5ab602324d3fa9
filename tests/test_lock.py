"""The install lock: the environment the tests run in is the one ``constraints.txt`` pins.

``make demo`` / ``make test`` install with ``pip -c constraints.txt``; these checks make a
test run on an environment that drifted from the lock (a hand-made venv, a newer PyMC) fail
with the packages named, instead of failing later in a golden test for reasons nobody sees.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

from packaging.requirements import Requirement

LOCK = Path(__file__).resolve().parents[1] / "constraints.txt"


def canonical(name: str) -> str:
    """PEP 503 normal form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    """Package -> version pinned in the lock."""
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)\s*$", LOCK.read_text(), flags=re.M)
    return {canonical(name): ver for name, ver in found}


def test_lock_pins_exact_versions_only():
    lines = [line.strip() for line in LOCK.read_text().splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    loose = [line for line in entries if not re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line)]
    assert not loose, f"constraints.txt lines that are not exact pins: {loose}"
    assert len(entries) == len(pinned()), "a package is pinned twice in constraints.txt"


def test_every_dependency_is_locked():
    """Each requirement of coalsurv (and its test and notebook extras) has a pin."""
    requires = distribution("coalsurv").requires or []
    lock = pinned()
    missing = sorted({canonical(Requirement(r).name) for r in requires} - set(lock))
    assert not missing, f"dependencies of coalsurv without a pin in constraints.txt: {missing}"


def test_installed_versions_are_the_locked_ones():
    drift = {}
    for name, want in pinned().items():
        try:
            have = version(name)
        except PackageNotFoundError:
            continue  # an extra this environment does not install (e.g. notebook)
        if have != want:
            drift[name] = (want, have)
    assert not drift, (
        f"installed versions differ from constraints.txt (package: (lock, installed)): {drift}; "
        "reinstall with `make setup` (pip -c constraints.txt) or update the lock on purpose "
        "with `make lock`")
