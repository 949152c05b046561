"""What the warehouse holds: ledger rows and table counts, for `grouplake status`."""

from __future__ import annotations

from pathlib import Path

from grouplake.lake import events_glob
from grouplake.tables import (
    BUILD_LOG,
    GROUP_EVENT_DUPLICATES,
    GROUP_EVENT_REJECTS,
    GROUP_EVENTS,
    LOAD_LEDGER,
    MARTS,
    MARTS_SCHEMA,
)
from grouplake.warehouse import connect, table_exists


def ledger_rows(warehouse: Path, limit: int = 20) -> list[dict]:
    con = connect(warehouse, read_only=True)
    try:
        skipped = (
            "skipped_count"
            if table_exists(con, LOAD_LEDGER, "skipped_count")
            else "0 AS skipped_count"
        )
        cur = con.execute(f"""
            SELECT batch_id, file_path, status, read_count, loaded_count, rejected_count,
                   duplicate_count, {skipped}, finished_at, error
            FROM {LOAD_LEDGER} ORDER BY batch_id DESC LIMIT {int(limit)}""")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()][::-1]
    finally:
        con.close()


def differing_duplicates(warehouse: Path) -> tuple[int, int]:
    """(duplicate lines whose content differs from the kept event, batches they are in)."""
    con = connect(warehouse, read_only=True)
    try:
        if not table_exists(con, GROUP_EVENT_DUPLICATES):
            return 0, 0
        return tuple(
            con.execute(f"""
            SELECT count(*), count(DISTINCT batch_id) FROM {GROUP_EVENT_DUPLICATES}
            WHERE content_differs""").fetchall()[0]
        )
    finally:
        con.close()


def table_counts(warehouse: Path, lake: Path) -> dict[str, int]:
    con = connect(warehouse, read_only=True)
    try:
        counts = {}
        for table in (GROUP_EVENTS, GROUP_EVENT_REJECTS, GROUP_EVENT_DUPLICATES, LOAD_LEDGER):
            if not table_exists(con, table):
                continue
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        counts["open rejects"] = con.execute(
            f"SELECT count(*) FROM {GROUP_EVENT_REJECTS} WHERE resolved_at IS NULL"
        ).fetchall()[0][0]
        for mart in MARTS:
            if table_exists(con, f"{MARTS_SCHEMA}.{mart}"):
                counts[mart] = con.execute(
                    f'SELECT count(*) FROM {MARTS_SCHEMA}."{mart}"'
                ).fetchall()[0][0]
        if Path(lake, "group_events").exists() and any(
            Path(lake, "group_events").rglob("*.parquet")
        ):
            counts["lake parquet rows"] = con.execute(
                f"SELECT count(*) FROM read_parquet('{events_glob(lake)}', hive_partitioning = true, "
                "union_by_name = true)"
            ).fetchall()[0][0]
        return counts
    finally:
        con.close()


def last_build(warehouse: Path) -> dict | None:
    """The newest row of raw.build_log (``grouplake build``), None when never built."""
    con = connect(warehouse, read_only=True)
    try:
        if not table_exists(con, BUILD_LOG):
            return None
        cur = con.execute(f"""
            SELECT build_id, started_at, finished_at, exit_code, complete
            FROM {BUILD_LOG} ORDER BY build_id DESC LIMIT 1""")
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None
    finally:
        con.close()


def describe_build(build: dict | None) -> str:
    """One line on the last build, e.g. ``build 6: complete, finished 2026-11-30 00:02 UTC``."""
    if build is None:
        return "not built yet (grouplake build)"
    if build["finished_at"] is None:
        return f"build {build['build_id']}: running, or interrupted (started {build['started_at']:%Y-%m-%d %H:%M} UTC)"
    if build["exit_code"]:
        outcome = f"failed (dbt exit code {build['exit_code']})"
    else:
        outcome = "complete" if build["complete"] else "succeeded (part of the project)"
    return (
        f"build {build['build_id']}: {outcome}, finished {build['finished_at']:%Y-%m-%d %H:%M} UTC"
    )
