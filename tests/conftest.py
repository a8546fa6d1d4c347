"""Shared pytest fixtures for the Python API tests.

The package is used from the source tree (``make venv`` puts ``python/`` on the path; this file
does the same for a bare ``pytest`` run), with the extension module built by ``make build`` —
except under ``make test-wheel`` (``AGENTDB_TEST_INSTALLED=1``), which tests the installed wheel
from a copy of ``tests/`` and must not see the source tree (``tests/test_installed.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
if os.environ.get("AGENTDB_TEST_INSTALLED") != "1" and str(ROOT / "python") not in sys.path:
    sys.path.insert(0, str(ROOT / "python"))

import agentdb  # noqa: E402


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db"


@pytest.fixture
def db(db_path: Path) -> Iterator[agentdb.Database]:
    database = agentdb.connect(db_path)
    yield database
    database.close()


@pytest.fixture
def coll(db: agentdb.Database) -> agentdb.Collection:
    """An empty l2 collection of dimension 4."""
    return db.create_collection("docs", dim=4, metric="l2")
