"""What the warehouse holds: ledger rows and table counts, for `grouplake status`."""

from __future__ import annotations

from pathlib import Path

from grouplake.lake import events_glob
from grouplake.warehouse import connect


def _has(con, table: str, column: str | None = None) -> bool:
    """Whether raw.<table> (and its column) exists: a warehouse that no load of this version has
    opened for writing yet lacks what later versions added (schema.ADDED_COLUMNS)."""
    if column is None:
        sql, params = (
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
            "AND table_name = ?",
            [table],
        )
    else:
        sql, params = (
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = ? AND column_name = ?",
            [table, column],
        )
    return con.execute(sql, params).fetchall()[0][0] > 0


def ledger_rows(warehouse: Path, limit: int = 20) -> list[dict]:
    con = connect(warehouse, read_only=True)
    try:
        skipped = (
            "skipped_count" if _has(con, "load_ledger", "skipped_count") else "0 AS skipped_count"
        )
        cur = con.execute(f"""
            SELECT batch_id, file_path, status, read_count, loaded_count, rejected_count,
                   duplicate_count, {skipped}, finished_at, error
            FROM raw.load_ledger ORDER BY batch_id DESC LIMIT {int(limit)}""")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()][::-1]
    finally:
        con.close()


def differing_duplicates(warehouse: Path) -> tuple[int, int]:
    """(duplicate lines whose content differs from the kept event, batches they are in)."""
    con = connect(warehouse, read_only=True)
    try:
        if not _has(con, "group_event_duplicates"):
            return 0, 0
        return tuple(
            con.execute("""
            SELECT count(*), count(DISTINCT batch_id) FROM raw.group_event_duplicates
            WHERE content_differs""").fetchall()[0]
        )
    finally:
        con.close()


def table_counts(warehouse: Path, lake: Path) -> dict[str, int]:
    con = connect(warehouse, read_only=True)
    try:
        counts = {}
        for table in (
            "raw.group_events",
            "raw.group_event_rejects",
            "raw.group_event_duplicates",
            "raw.load_ledger",
        ):
            if not _has(con, table.split(".")[1]):
                continue
            counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        counts["open rejects"] = con.execute(
            "SELECT count(*) FROM raw.group_event_rejects WHERE resolved_at IS NULL"
        ).fetchall()[0][0]
        for mart in (
            "groups",
            "group_traits_latest",
            "user_group_memberships",
            "group_trait_history",
            "group_trait_catalog",
        ):
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
                [mart],
            ).fetchall()[0][0]
            if exists:
                counts[mart] = con.execute(f'SELECT count(*) FROM main."{mart}"').fetchall()[0][0]
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
