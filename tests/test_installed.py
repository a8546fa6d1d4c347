"""The package as a user installs it: the wheel in a venv of its own (``make test-wheel``).

``make test`` runs the whole suite against the wheel installed into ``.venv-wheel`` from a copy of
``tests/`` where the source tree's ``python/`` is not reachable. These tests check that this is so
(the package really comes from that venv's site-packages), that the wheel carries every file of
``python/agentdb`` (the stub, ``py.typed``, every subpackage), that the stub matches the installed
module and type checkers see it, that every extra is declared and installed, and that the sdist
lists every source it needs and builds the same wheel on its own.

The Makefile passes the paths: ``AGENTDB_SOURCE_ROOT`` (the checkout), ``AGENTDB_DIST`` (the
wheel and sdist of ``make wheel``), ``AGENTDB_SDIST_WHEEL`` (the wheel ``make check-sdist`` built
from the sdist). On the source tree (``make test-python``) they are skipped.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Dict, List, Set

import pytest
from packaging.requirements import Requirement

import agentdb

pytestmark = pytest.mark.skipif(
    os.environ.get("AGENTDB_TEST_INSTALLED") != "1", reason="runs against the installed wheel: make test-wheel"
)

DIST_NAME = "agentdb-embedded"


def _env_path(name: str) -> Path:
    value = os.environ.get(name)
    assert value, f"{name} is not set (make test-wheel sets it)"
    return Path(value).resolve()


@pytest.fixture(scope="module")
def source_root() -> Path:
    return _env_path("AGENTDB_SOURCE_ROOT")


def _tracked(root: Path, *dirs: str) -> List[str]:
    """The files under ``dirs`` that git tracks or would add (not ignored): what maturin packs."""
    out = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--cached", "--others", "--exclude-standard", "--", *dirs],
        check=True,
        capture_output=True,
        text=True,
    )
    files = [f for f in out.stdout.splitlines() if f]
    assert files, f"git tracks nothing under {dirs}"
    return files


def _one(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0]


def _wheel_files(wheel: Path) -> Set[str]:
    with zipfile.ZipFile(wheel) as z:
        return {n for n in z.namelist() if not n.endswith("/")}


def _package_files(files: Set[str]) -> Set[str]:
    """The entries under agentdb/, without the dist-info (whose name and SBOM differ per build)."""
    return {f for f in files if f.startswith("agentdb/")}


def test_imported_from_this_venv_not_the_source_tree(source_root: Path) -> None:
    assert sys.prefix != sys.base_prefix, "not running in a venv"
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert Path(sys.prefix).resolve() in site.parents
    pkg = Path(agentdb.__file__).resolve()
    assert site in pkg.parents, f"agentdb imported from {pkg}, not from {site}"
    native = Path(agentdb._native.__file__).resolve()
    assert native.parent == pkg.parent and native.name == "_native.abi3.so"
    source = str(source_root / "python")
    assert not [p for p in sys.path if p and Path(p).resolve() == Path(source)], "python/ is on sys.path"
    for pth in site.glob("*.pth"):
        assert source not in pth.read_text(), f"{pth} points into the source tree"
    assert md.distribution(DIST_NAME).version == agentdb.__version__


def test_wheel_carries_every_package_file(source_root: Path) -> None:
    # What pip installed (the RECORD) must hold every file of python/agentdb that git tracks or would
    # add, and the extension; and nothing else under agentdb/ (a stray build product would ship).
    tracked = {f[len("python/"):] for f in _tracked(source_root, "python/agentdb")}
    assert {"agentdb/_native.pyi", "agentdb/py.typed", "agentdb/__init__.py"} <= tracked
    installed = {str(f) for f in (md.files(DIST_NAME) or [])}
    expected = tracked | {"agentdb/_native.abi3.so"}
    missing = expected - installed
    assert not missing, f"not in the wheel: {sorted(missing)}"
    site = Path(agentdb.__file__).resolve().parent.parent
    gone = sorted(f for f in expected if not (site / f).is_file())
    assert not gone, f"recorded but not on disk in {site}: {gone}"
    extra = {f for f in _package_files(installed) if "__pycache__" not in f} - expected
    assert not extra, f"in the wheel but not in python/agentdb: {sorted(extra)}"
    # Every subpackage is importable from the install (its __init__ is there, and imports resolve).
    for init in sorted(f for f in tracked if f.endswith("/__init__.py")):
        assert (Path(agentdb.__file__).parent.parent / init).is_file(), init


def test_wheel_is_abi3_manylinux() -> None:
    wheel = _one(_env_path("AGENTDB_DIST"), "*.whl")
    name = wheel.name
    assert name.startswith("agentdb_embedded-" + agentdb.__version__ + "-"), name
    assert "-cp310-abi3-manylinux_" in name, name


def test_distribution_metadata_and_extras(source_root: Path) -> None:
    project = tomllib.loads((source_root / "pyproject.toml").read_text())["project"]
    assert project["name"] == DIST_NAME
    meta = md.metadata(DIST_NAME)
    assert meta["Name"] == DIST_NAME
    declared = project["optional-dependencies"]
    assert set(meta.get_all("Provides-Extra") or []) == set(declared)
    # make test-wheel installed the wheel with every extra: each extra's requirements are met here.
    reqs = [Requirement(r) for r in md.requires(DIST_NAME) or []]
    unmet: Dict[str, List[str]] = {}
    for extra in declared:
        wanted = [r for r in reqs if r.marker is not None and r.marker.evaluate({"extra": extra})]
        assert len(wanted) == len(declared[extra]), (extra, wanted)
        for r in wanted:
            try:
                version = md.version(r.name)
            except md.PackageNotFoundError:
                unmet.setdefault(extra, []).append(f"{r} (not installed)")
                continue
            if not r.specifier.contains(version, prereleases=True):
                unmet.setdefault(extra, []).append(f"{r} (installed {version})")
    assert not unmet, unmet


def test_stub_matches_installed_module(tmp_path: Path) -> None:
    # stubtest on the installed package: the .pyi next to the .so in site-packages, from a
    # directory where nothing else named agentdb can be found.
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "agentdb._native"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_type_checkers_see_the_installed_types(tmp_path: Path) -> None:
    # Without py.typed mypy would refuse the package ("missing library stubs or py.typed marker")
    # and treat it as Any; with it, a wrong argument type in user code is reported.
    script = tmp_path / "user.py"
    script.write_text(
        "import agentdb\n"
        "with agentdb.connect('db') as db:\n"
        "    n: int = db.get_or_create_collection('c', dim=4).count()\n"
        "agentdb.connect(123)\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context", "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1, out
    assert errors[0].startswith("user.py:4:") and 'incompatible type "int"' in errors[0], out


def test_sdist_lists_every_source(source_root: Path) -> None:
    sdist = _one(_env_path("AGENTDB_DIST"), "*.tar.gz")
    prefix = f"agentdb_embedded-{agentdb.__version__}/"
    with tarfile.open(sdist) as t:
        names = {m.name for m in t.getmembers() if m.isfile()}
        assert all(n.startswith(prefix) for n in names), sorted(names)[:5]
        files = {n[len(prefix):] for n in names}
        lock = t.extractfile(prefix + "Cargo.lock")
        assert lock is not None
        sdist_lock = lock.read()
        cargo = t.extractfile(prefix + "Cargo.toml")
        assert cargo is not None
        members = tomllib.loads(cargo.read().decode())["workspace"]["members"]
    assert {"Cargo.lock", "Cargo.toml", "pyproject.toml", "README.md", "PKG-INFO"} <= files
    # The wheel is built --locked: every crate version the sdist's lock names is the checkout's,
    # entry for entry. Entries only crates outside the sdist's workspace reach (rust/node's napi)
    # are trimmed (mk/wheel.mk); the sdist's own --locked build (test_sdist_alone_builds_the_same_
    # wheel) shows nothing it needs went.
    checkout = {json.dumps(p, sort_keys=True) for p in tomllib.loads((source_root / "Cargo.lock").read_text())["package"]}
    in_sdist = {json.dumps(p, sort_keys=True) for p in tomllib.loads(sdist_lock.decode())["package"]}
    assert in_sdist <= checkout, sorted(in_sdist - checkout)[:3]
    assert len(in_sdist) > 0.9 * len(checkout), (len(in_sdist), len(checkout))
    # The extension crate and every crate it depends on by path are the sdist's workspace.
    assert {"rust/python", "rust/engine"} <= set(members), members
    wanted = set(_tracked(source_root, "python/agentdb", *members))
    missing = wanted - files
    assert not missing, f"not in the sdist: {sorted(missing)}"


def test_sdist_alone_builds_the_same_wheel() -> None:
    dist_wheel = _one(_env_path("AGENTDB_DIST"), "*.whl")
    sdist_wheel = _one(_env_path("AGENTDB_SDIST_WHEEL"), "*.whl")
    assert "-cp310-abi3-" in sdist_wheel.name, sdist_wheel.name
    assert _package_files(_wheel_files(sdist_wheel)) == _package_files(_wheel_files(dist_wheel))


def test_install_hints_name_this_distribution() -> None:
    # `pip install agentdb[...]` would fetch the unrelated project that owns that name on PyPI.
    pkg = Path(agentdb.__file__).resolve().parent
    wrong = [
        f"{p.relative_to(pkg)}:{i}"
        for p in sorted(pkg.rglob("*.py"))
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bagentdb\[\w", line) and "agentdb-embedded[" not in line
    ]
    assert not wrong, wrong
