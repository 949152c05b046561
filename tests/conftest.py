"""Fixtures only (the builders and helper classes they use are in helpers/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SAMPLE_DIR, Warehouse


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    """A fresh warehouse file and lake folder per test."""
    return Warehouse(tmp_path)


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Warehouse:
    """`grouplake run data/sample` (the README's demo) once per session, in this process: the
    sample loaded and the marts built. Its printed output is ``sample.output``. Tests only read
    it (or run what must leave it unchanged)."""
    wh = Warehouse(tmp_path_factory.mktemp("sample"))
    result = wh.invoke("run", SAMPLE_DIR)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wh.output = result.stdout
    return wh
