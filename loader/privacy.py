"""Forgetting and suppressing an identity: ``grouplake forget`` and ``grouplake suppress``.

    from grouplake.privacy import Identity, forget
    report = forget([Identity("user", "u-42")], warehouse="data/warehouse.duckdb", lake="data/lake")

**Forget** removes every row of the given identities (user ids, anonymous ids, group ids):

* ``raw.group_events`` rows whose ``user_id`` / ``anonymous_id`` / ``group_id`` is one of them
  (each id matches its own column only);
* ``raw.group_event_rejects`` rows whose raw line is a JSON object with such a ``userId`` /
  ``anonymousId`` / ``groupId``, or whose raw line contains any of the ids as a JSON string
  (``"u-42"``, quotes included, as a JSON encoder writes it) anywhere: in any field, nested, or
  in a line that is not valid JSON at all (:data:`REJECT_MATCH_SQL`);
* the lake: every Parquet file holding such an event is rewritten without it (same name) or
  deleted when nothing else is left in it.

It runs like a load batch (docs/guarantees.md §6): the rewritten files are staged under
``<lake>/_forget/deletion_<id>/``; one DuckDB transaction deletes the rows, updates the ledger
(``forgotten_count``, ``forgotten_reject_count``, ``forgotten_duplicate_count``, ``lake_files``) and inserts the
``raw.deletion_log`` row listing the files; only after the commit are the staged files renamed
over the old ones (and emptied files deleted). ``recover`` (run by every load and forget)
finishes the renames of a committed request after a crash, and drops the staging of one that
never committed.

The audit row holds ``sha256(salt || id)`` per id (loader/salt.py), never the id. The next
``grouplake build`` sees the unbuilt deletion and runs ``dbt build --full-refresh`` by itself
(:func:`full_refresh_needed`), so the marts lose the rows too.

**Suppress** keeps a list of salted id hashes (``raw.suppressed_identities``). Loads drop the
lines of a suppressed identity at ingest (loader/ingest_rules.py), counted as ``suppressed``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from grouplake import lake as lake_files
from grouplake import storage
from grouplake.config import Paths
from grouplake.errors import GrouplakeError, WarehouseNotFound
from grouplake.faults import crash_point
from grouplake.ledger import FileStatus
from grouplake.salt import checked_salt, salted_sha256
from grouplake.sql import quoted
from grouplake.tables import (
    DELETION_LOG,
    FORGET_IDENTITIES,
    GROUP_EVENT_DUPLICATES,
    GROUP_EVENT_REJECTS,
    GROUP_EVENTS,
    LOAD_LEDGER,
    SUPPRESSED_IDENTITIES,
)
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect, table_exists, warehouse_lock

# identity kind -> column of raw.group_events and field of the Segment call
KINDS = {
    "user": ("user_id", "userId"),
    "anonymous": ("anonymous_id", "anonymousId"),
    "group": ("group_id", "groupId"),
}
FORGET_STAGING = "_forget"


@dataclass(frozen=True)
class Identity:
    kind: str  # user | anonymous | group
    id: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise GrouplakeError(
                f"unknown identity kind {self.kind!r}: use one of {', '.join(KINDS)}"
            )
        if not self.id or not self.id.strip():
            raise GrouplakeError(f"an empty {self.kind} id cannot be forgotten or suppressed")


@dataclass
class ForgetReport:
    events: int = 0
    rejects: int = 0
    duplicates: int = 0
    lake_files_rewritten: list[str] = field(default_factory=list)
    lake_files_removed: list[str] = field(default_factory=list)
    deletion_id: int | None = None  # None for a dry run
    dry_run: bool = False
    suppressed: bool = False


# ------------------------------------------------------------------------------------ matching


# The identities of the request, as a temp table gl_forget(kind, id) on the connection.
def _events_match(alias: str = "") -> str:
    """SQL: the event row (columns user_id, anonymous_id, group_id) belongs to an identity of gl_forget."""
    p = f"{alias}." if alias else ""
    return (
        "("
        + " OR ".join(
            f"{p}{col} IN (SELECT id FROM {FORGET_IDENTITIES} WHERE kind = '{kind}') IS TRUE"
            for kind, (col, _) in KINDS.items()
        )
        + ")"
    )


def _json_id(line: str, field_name: str) -> str:
    """The id text of a top-level field of a JSON object line (string as sent, number as text)."""
    return f"json_extract_string({line}, '$.{field_name}')"


# The line when it is JSON, else NULL: JSON functions must never see other text (DuckDB may
# evaluate them before a surrounding CASE when an IN subquery is unnested into a join).
JSON_LINE_SQL = "(CASE WHEN json_valid(raw_line) THEN raw_line END)"

# A reject row (column raw_line) belongs to an identity of gl_forget: its JSON object line has the
# id in the identity's field, or its text contains any of the ids as a JSON string token.
REJECT_MATCH_SQL = (
    "(raw_line IS NOT NULL AND ("
    + " OR ".join(
        f"{_json_id(JSON_LINE_SQL, fld)} IN (SELECT id FROM {FORGET_IDENTITIES} WHERE kind = '{kind}') IS TRUE"
        for kind, (_, fld) in KINDS.items()
    )
    + f" OR EXISTS (SELECT 1 FROM {FORGET_IDENTITIES} f "
    "WHERE contains(raw_line, to_json(f.id)::VARCHAR))))"
)


def _duplicates_match(con) -> str | None:
    """The duplicates table (the lines counted as duplicates): a row goes with the forgotten event it
    duplicates (same message_id), or when its own raw line or id columns match like a reject's.
    Evaluate before the events are deleted."""
    if not table_exists(con, GROUP_EVENT_DUPLICATES):
        return None
    cols = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = ? AND table_name = ?",
            GROUP_EVENT_DUPLICATES.split("."),
        ).fetchall()
    }
    parts = [
        f"{col} IN (SELECT id FROM {FORGET_IDENTITIES} WHERE kind = '{kind}') IS TRUE"
        for kind, (col, _) in KINDS.items()
        if col in cols
    ]
    if "message_id" in cols:
        parts.append(
            f"message_id IN (SELECT message_id FROM {GROUP_EVENTS} WHERE {_events_match()}) IS TRUE"
        )
    if "raw_line" in cols:
        parts.append(REJECT_MATCH_SQL)
    return "(" + " OR ".join(parts) + ")" if parts else None


# --------------------------------------------------------------------------------- forget


@storage.stop_on_storage_fault(storage.RERUN)
def forget(
    identities: list[Identity],
    *,
    warehouse: str | Path | None = None,
    lake: str | Path | None = None,
    dry_run: bool = False,
    suppress: bool = False,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> ForgetReport:
    """Remove every row of ``identities`` from the raw tables and the lake (see the module doc)."""
    if not identities:
        raise GrouplakeError("nothing to forget: give --user-id, --anonymous-id or --group-id")
    paths = Paths.resolve(warehouse, lake)
    if not paths.warehouse.exists():
        raise WarehouseNotFound(f"no warehouse at {paths.warehouse}: nothing to forget")
    if not lake_files.Lake.at(paths.lake, paths.warehouse).is_local:
        raise GrouplakeError(
            f"grouplake forget rewrites the lake's Parquet files in place and needs a folder lake, not {paths.lake}: "
            "nothing was removed (forgetting in an object-storage lake is not supported yet)"
        )
    with warehouse_lock(paths.warehouse, wait_seconds):
        con = connect(paths.warehouse, busy_wait_seconds=wait_seconds)
        try:
            from grouplake.load import recover  # load.recover also finishes forget requests

            salt = checked_salt(con, paths.warehouse)
            if not dry_run:
                recover(con, paths.lake)
            _register(con, identities)
            report = _plan(con, paths.lake)
            report.dry_run, report.suppressed = dry_run, suppress
            if dry_run:
                return report
            _execute(
                con,
                paths.lake,
                report,
                [f"{i.kind}:{salted_sha256(salt, i.id)}" for i in identities],
                _hashed(salt, identities) if suppress else [],
            )
            return report
        finally:
            con.close()


def _register(con, identities: list[Identity]) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {FORGET_IDENTITIES} (kind VARCHAR, id VARCHAR)")
    con.executemany(
        f"INSERT INTO {FORGET_IDENTITIES} VALUES (?, ?)", [(i.kind, i.id) for i in identities]
    )


def _plan(con, lake: Path) -> ForgetReport:
    """What the request removes: row counts and the lake files to rewrite or delete."""
    report = ForgetReport()
    report.events = con.execute(
        f"SELECT count(*) FROM {GROUP_EVENTS} WHERE {_events_match()}"
    ).fetchall()[0][0]
    report.rejects = con.execute(
        f"SELECT count(*) FROM {GROUP_EVENT_REJECTS} WHERE {REJECT_MATCH_SQL}"
    ).fetchall()[0][0]
    dup = _duplicates_match(con)
    if dup:
        report.duplicates = con.execute(
            f"SELECT count(*) FROM {GROUP_EVENT_DUPLICATES} WHERE {dup}"
        ).fetchall()[0][0]
    if report.events:
        # only the lake files of the batches holding a matching event can hold one
        candidates = [
            f
            for (f,) in con.execute(f"""
            SELECT DISTINCT unnest(lake_files) FROM {LOAD_LEDGER} WHERE status = '{FileStatus.LOADED}'
              AND batch_id IN (SELECT DISTINCT batch_id FROM {GROUP_EVENTS} WHERE {_events_match()})
            """).fetchall()
        ]
        root = Path(lake) / lake_files.EVENTS_DATASET
        existing = [str(root / f) for f in sorted(candidates) if (root / f).exists()]
        if existing:
            rows = con.execute(
                f"""
                SELECT filename, count(*) FILTER (WHERE {_events_match()}), count(*)
                FROM read_parquet($files, filename = true, hive_partitioning = false)
                GROUP BY filename HAVING count(*) FILTER (WHERE {_events_match()}) > 0""",
                {"files": existing},
            ).fetchall()
            for filename, hit, total in rows:
                rel = Path(filename).relative_to(root).as_posix()
                (report.lake_files_removed if hit == total else report.lake_files_rewritten).append(
                    rel
                )
            report.lake_files_rewritten.sort()
            report.lake_files_removed.sort()
    return report


def _execute(
    con,
    lake: Path,
    report: ForgetReport,
    identity_hashes: list[str],
    suppress_rows: list[tuple[str, str]],
) -> None:
    deletion_id = con.execute(
        f"SELECT coalesce(max(deletion_id), 0) + 1 FROM {DELETION_LOG}"
    ).fetchall()[0][0]
    report.deletion_id = deletion_id
    stage = forget_staging_dir(lake, deletion_id)
    if stage.exists():
        shutil.rmtree(stage)
    root = Path(lake) / lake_files.EVENTS_DATASET
    try:
        # 1. stage each affected file's remaining rows (readers never look under _forget/)
        for rel in report.lake_files_rewritten:
            dst = stage / lake_files.EVENTS_DATASET / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f"""
                COPY (SELECT * FROM read_parquet('{quoted(root / rel)}', hive_partitioning = false)
                      WHERE NOT {_events_match()})
                TO '{quoted(dst)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)""").fetchall()
            crash_point("forget_after_rewrite")
        # 2. one transaction: the rows, the ledger, the audit row (and the suppression list)
        con.begin()
        try:
            dup = _duplicates_match(con)
            con.execute(f"""
                UPDATE {LOAD_LEDGER} AS l SET forgotten_count = coalesce(l.forgotten_count, 0) + c.n
                FROM (SELECT batch_id, count(*) AS n FROM {GROUP_EVENTS} WHERE {_events_match()} GROUP BY 1) AS c
                WHERE l.batch_id = c.batch_id AND l.status = '{FileStatus.LOADED}'""")
            con.execute(f"""
                UPDATE {LOAD_LEDGER} AS l SET forgotten_reject_count = coalesce(l.forgotten_reject_count, 0) + c.n
                FROM (SELECT batch_id, count(*) AS n FROM {GROUP_EVENT_REJECTS} WHERE {REJECT_MATCH_SQL}
                      GROUP BY 1) AS c
                WHERE l.batch_id = c.batch_id AND l.status = '{FileStatus.LOADED}'""")
            if dup:
                con.execute(f"""
                    UPDATE {LOAD_LEDGER} AS l
                    SET forgotten_duplicate_count = coalesce(l.forgotten_duplicate_count, 0) + c.n
                    FROM (SELECT batch_id, count(*) AS n FROM {GROUP_EVENT_DUPLICATES} WHERE {dup} GROUP BY 1) AS c
                    WHERE l.batch_id = c.batch_id AND l.status = '{FileStatus.LOADED}'""")
            if report.lake_files_removed:
                con.execute(
                    f"""
                    UPDATE {LOAD_LEDGER} SET lake_files = list_filter(lake_files, lambda f: NOT list_contains($gone, f))
                    WHERE status = '{FileStatus.LOADED}' AND len(list_intersect(lake_files, $gone)) > 0""",
                    {"gone": report.lake_files_removed},
                )
            # the duplicates first: they are matched through the events they duplicate
            n_dup = (
                con.execute(f"DELETE FROM {GROUP_EVENT_DUPLICATES} WHERE {dup}").fetchall()[0][0]
                if dup
                else 0
            )
            n_events = con.execute(
                f"DELETE FROM {GROUP_EVENTS} WHERE {_events_match()}"
            ).fetchall()[0][0]
            n_rejects = con.execute(
                f"DELETE FROM {GROUP_EVENT_REJECTS} WHERE {REJECT_MATCH_SQL}"
            ).fetchall()[0][0]
            report.events, report.rejects, report.duplicates = n_events, n_rejects, n_dup
            con.execute(
                f"""
                INSERT INTO {DELETION_LOG} (deletion_id, requested_at, identities, events_removed,
                    rejects_removed, duplicates_removed, lake_files_rewritten, lake_files_removed,
                    lake_swapped, suppressed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, false, ?)""",
                [
                    deletion_id,
                    datetime.now(UTC),
                    identity_hashes,
                    n_events,
                    n_rejects,
                    n_dup,
                    report.lake_files_rewritten,
                    report.lake_files_removed,
                    bool(suppress_rows),
                ],
            )
            if suppress_rows:
                _add_suppressions(con, suppress_rows, deletion_id)
            crash_point("forget_before_commit")
            con.commit()
        except BaseException:
            try:
                con.rollback()
            except duckdb.Error:
                pass  # a failed commit already ended the transaction
            raise
    except (OSError, duckdb.Error) as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if storage.is_storage_fault(exc):
            raise storage.StorageError(
                storage.message(exc, f"nothing was removed; {storage.RERUN}")
            ) from None
        raise GrouplakeError(f"forget failed, nothing was removed: {_describe(exc)}") from None
    crash_point("forget_after_commit")
    # 3. swap the files in; recover() redoes this after a crash
    try:
        swap_files(lake, deletion_id, report.lake_files_rewritten, report.lake_files_removed)
    except OSError as exc:
        raise GrouplakeError(
            f"forget {deletion_id} committed, but replacing its lake files failed: {_describe(exc)}; "
            "the next `grouplake load` or `grouplake forget` finishes it"
        ) from None
    con.execute(
        f"UPDATE {DELETION_LOG} SET lake_swapped = true WHERE deletion_id = ?", [deletion_id]
    )


def _is_folder(lake) -> bool:
    if isinstance(lake, lake_files.Lake):
        return lake.is_local
    return "://" not in str(lake)


def forget_staging_dir(lake: Path, deletion_id: int) -> Path:
    return Path(lake) / FORGET_STAGING / f"deletion_{int(deletion_id)}"


def swap_files(lake: Path, deletion_id: int, rewritten: list[str], removed: list[str]) -> None:
    """Rename a committed request's staged files over the old ones, delete emptied files. Idempotent."""
    stage = forget_staging_dir(lake, deletion_id)
    root = Path(lake) / lake_files.EVENTS_DATASET
    for rel in rewritten:
        src = stage / lake_files.EVENTS_DATASET / rel
        if src.exists():  # else renamed before a crash
            os.replace(src, root / rel)
            crash_point("forget_during_swap")
    for rel in removed:
        if (root / rel).exists():
            (root / rel).unlink()
            crash_point("forget_during_swap")
    if stage.exists():
        shutil.rmtree(stage)
    for d in {(root / rel).parent for rel in removed} | {stage.parent}:
        _remove_if_empty(d)
    if rewritten or removed:
        _note_lake_rebuild(lake, deletion_id)


def _remove_if_empty(d: Path) -> None:
    try:
        d.rmdir()
    except OSError:  # not empty, or gone
        pass


def recover(con: duckdb.DuckDBPyConnection, lake) -> None:
    """Finish the file swaps of committed forget requests; drop the staging of uncommitted ones.

    Only a folder lake can have them: forget refuses an object-storage lake."""
    if not _is_folder(lake):
        return
    lake = Path(lake)
    pending = con.execute(f"""SELECT deletion_id, lake_files_rewritten, lake_files_removed FROM {DELETION_LOG}
                             WHERE NOT lake_swapped ORDER BY deletion_id""").fetchall()
    for deletion_id, rewritten, removed in pending:
        swap_files(lake, deletion_id, rewritten or [], removed or [])
        con.execute(
            f"UPDATE {DELETION_LOG} SET lake_swapped = true WHERE deletion_id = ?", [deletion_id]
        )
    staging = Path(lake) / FORGET_STAGING
    if staging.exists():
        for d in (
            staging.iterdir()
        ):  # every committed request is swapped by now: the rest never committed
            shutil.rmtree(d) if d.is_dir() else d.unlink()
        _remove_if_empty(staging)


# ---------------------------------------------------------------------------------- the marts


def full_refresh_needed(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Forget requests whose rows may still be in the marts (no full-refresh build since)."""
    return [
        r[0]
        for r in con.execute(
            f"SELECT deletion_id FROM {DELETION_LOG} WHERE marts_rebuilt_at IS NULL AND events_removed > 0 "
            "ORDER BY deletion_id"
        ).fetchall()
    ]


def mark_marts_rebuilt(con: duckdb.DuckDBPyConnection, deletion_ids: list[int]) -> None:
    if deletion_ids:
        con.execute(
            f"UPDATE {DELETION_LOG} SET marts_rebuilt_at = now() WHERE list_contains($ids, deletion_id)",
            {"ids": deletion_ids},
        )


# A Spark build reads the lake, not the warehouse: the lake itself notes that its marts need a full
# refresh (one forget request id per line), and `grouplake build --engine spark` clears it.
LAKE_REBUILD_MARKER = "_full_refresh_needed"


def _note_lake_rebuild(lake: Path, deletion_id: int) -> None:
    marker = Path(lake) / LAKE_REBUILD_MARKER
    ids = lake_rebuild_needed(lake)
    if deletion_id not in ids:
        with open(marker, "a") as f:
            f.write(f"{int(deletion_id)}\n")


def lake_rebuild_needed(lake) -> list[int]:
    """Forget requests that rewrote the lake since the last full Spark build (a folder lake only)."""
    if not _is_folder(lake):
        return []
    try:
        text = (Path(lake) / LAKE_REBUILD_MARKER).read_text()
    except FileNotFoundError:
        return []
    return [int(x) for x in text.split() if x.isdigit()]


def clear_lake_rebuild(lake) -> None:
    (Path(lake) / LAKE_REBUILD_MARKER).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- suppress


def _hashed(salt: str, identities: list[Identity]) -> list[tuple[str, str]]:
    return sorted({(i.kind, salted_sha256(salt, i.id)) for i in identities})


def _add_suppressions(con, rows: list[tuple[str, str]], deletion_id: int | None) -> int:
    added = 0
    for kind, h in rows:
        exists = con.execute(
            f"SELECT count(*) FROM {SUPPRESSED_IDENTITIES} WHERE kind = ? AND id_sha256 = ?",
            [kind, h],
        ).fetchall()[0][0]
        if not exists:
            con.execute(
                f"INSERT INTO {SUPPRESSED_IDENTITIES} VALUES (?, ?, now(), ?)",
                [kind, h, deletion_id],
            )
            added += 1
    return added


@storage.stop_on_storage_fault(storage.RERUN)
def suppress(
    identities: list[Identity],
    *,
    warehouse: str | Path | None = None,
    remove: bool = False,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> int:
    """Add (or with ``remove``, take off) identities to the suppression list; returns how many changed."""
    paths = Paths.resolve(warehouse, None)
    with warehouse_lock(paths.warehouse, wait_seconds):
        con = connect(paths.warehouse, busy_wait_seconds=wait_seconds)
        try:
            rows = _hashed(checked_salt(con, paths.warehouse), identities)
            if not remove:
                return _add_suppressions(con, rows, None)
            n = 0
            for kind, h in rows:
                n += con.execute(
                    f"DELETE FROM {SUPPRESSED_IDENTITIES} WHERE kind = ? AND id_sha256 = ?",
                    [kind, h],
                ).fetchall()[0][0]
            return n
        finally:
            con.close()


def list_suppressions(warehouse: str | Path | None = None) -> list[dict]:
    paths = Paths.resolve(warehouse, None)
    con = connect(paths.warehouse, read_only=True)
    try:
        if not table_exists(con, SUPPRESSED_IDENTITIES):
            return []
        cur = con.execute(
            f"SELECT kind, id_sha256, added_at, deletion_id FROM {SUPPRESSED_IDENTITIES} "
            "ORDER BY added_at, kind, id_sha256"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{':' if where else ''}{where}"
    return f"{type(exc).__name__}: {exc}"


__all__ = [
    "Identity",
    "ForgetReport",
    "forget",
    "recover",
    "suppress",
    "list_suppressions",
    "full_refresh_needed",
    "mark_marts_rebuilt",
    "KINDS",
]
