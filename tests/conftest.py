"""Shared fixtures: a fresh warehouse file and lake folder per test, helpers to write NDJSON and query."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO_ROOT / "data" / "sample"
GROUPLAKE = [sys.executable, "-m", "grouplake.cli"]


class Warehouse:
    """A warehouse file + lake folder in a temp dir, with small helpers for tests."""

    def __init__(self, root: Path):
        self.root = root
        self.path = root / "warehouse.duckdb"
        self.lake = root / "lake"
        self.inputs = root / "in"
        self.inputs.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, lines: list, gz: bool = False) -> Path:
        """Write lines (dicts become JSON, str/bytes are written as they are) one per line."""
        data = b"".join(_line_bytes(x) + b"\n" for x in lines)
        path = self.inputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if gz:
            with gzip.GzipFile(path, "wb", mtime=0) as f:
                f.write(data)
        else:
            path.write_bytes(data)
        return path

    def load(self, *inputs, **kwargs):
        from grouplake.load import load_paths

        return load_paths([str(p) for p in inputs], warehouse=self.path, lake=self.lake, **kwargs)

    def cli(
        self, *args: str, env: dict | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        full_env = {
            **os.environ,
            "GROUPLAKE_WAREHOUSE": str(self.path),
            "GROUPLAKE_LAKE": str(self.lake),
            "COLUMNS": "200",
            **(env or {}),
        }
        return subprocess.run(
            [*GROUPLAKE, *args],
            cwd=REPO_ROOT,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET TimeZone='UTC'")
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str, params: list | None = None):
        return self.query(sql, params)[0][0]

    def lake_rows(self, columns: str = "*", tail: str = "") -> list[tuple]:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone='UTC'")
            files = list((self.lake / "group_events").rglob("*.parquet"))
            if not files:
                return []
            glob = str(self.lake / "group_events" / "**" / "*.parquet")
            return con.execute(
                f"SELECT {columns} FROM read_parquet('{glob}', hive_partitioning=true, union_by_name=true) {tail}"
            ).fetchall()
        finally:
            con.close()


def _line_bytes(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    return json.dumps(x).encode()


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def call(message_id, group_id, ts, traits=None, user_id=None, anonymous_id=None, **extra) -> dict:
    """A Group call with only the fields given (no defaults), for the dbt tests' hand-written batches."""
    c = {
        "type": "group",
        "messageId": message_id,
        "groupId": group_id,
        "timestamp": ts,
        "userId": user_id,
        "anonymousId": anonymous_id,
        "traits": traits,
        **extra,
    }
    return {k: v for k, v in c.items() if v is not None}


def group_call(
    group_id="g1", user_id="u1", traits=None, ts="2026-11-01T10:00:00Z", message_id=None, **extra
) -> dict:
    """A valid Group call; pass None to drop a field."""
    call = {
        "type": "group",
        "groupId": group_id,
        "userId": user_id,
        "traits": traits if traits is not None else {},
        "timestamp": ts,
        "messageId": message_id,
        **extra,
    }
    return {k: v for k, v in call.items() if v is not None}
