"""``Warehouse``: a warehouse file + lake folder in a temp dir, with small helpers to write NDJSON,
load, run the CLI and query."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from .cli import Run, cli_env, invoke, run_cli


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
        data = ndjson(lines)
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

    def settings(self) -> dict[str, str]:
        """GROUPLAKE_WAREHOUSE and GROUPLAKE_LAKE of this warehouse."""
        return {"GROUPLAKE_WAREHOUSE": str(self.path), "GROUPLAKE_LAKE": str(self.lake)}

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child `grouplake` on this warehouse."""
        return cli_env(**self.settings(), **extra)

    def cli(self, *args, env: dict | None = None, timeout: float = 600, **kwargs) -> Run:
        """`grouplake ARGS` on this warehouse, as a child process (``env``: variables to add)."""
        return run_cli(*args, env=self.env(**(env or {})), timeout=timeout, **kwargs)

    def invoke(self, *args, env: dict | None = None, **kwargs) -> Run:
        """`grouplake ARGS` on this warehouse, in this process (helpers.invoke)."""
        return invoke(*args, env={**self.settings(), **(env or {})}, **kwargs)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET TimeZone='UTC'")
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def scalar(self, sql: str, params: list | None = None):
        return self.query(sql, params)[0][0]

    def tables(self, order_by: dict[str, str]) -> dict[str, list[tuple]]:
        """Every row of each table (``{table: ORDER BY columns}``) as (column, value as text)
        pairs: two builds compare with ``==`` and pytest shows the difference."""
        snap = {}
        for table, order in order_by.items():
            cols = [r[0] for r in self.query(f"DESCRIBE {table}")]
            select = ", ".join(f'"{c}"::VARCHAR' for c in cols)
            snap[table] = [
                tuple(zip(cols, row, strict=True))
                for row in self.query(f"SELECT {select} FROM {table} ORDER BY {order}")
            ]
        return snap

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


def ndjson(lines: list) -> bytes:
    """Lines (dicts become JSON, str/bytes stay as they are), each ending in a newline."""
    return b"".join(_line_bytes(x) + b"\n" for x in lines)


def _line_bytes(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    return json.dumps(x).encode()
