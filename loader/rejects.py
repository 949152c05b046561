"""Reading and exporting rejected lines so they can be fixed and loaded again."""

from __future__ import annotations

import base64
from pathlib import Path

from grouplake.errors import OutputNotWritable, WarehouseNotFound, describe_os_error
from grouplake.tables import EXPORTED_REJECTS, GROUP_EVENT_REJECTS
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect, warehouse_lock


def _where(reason: str | None, source_file: str | None, include_resolved: bool) -> tuple[str, list]:
    clauses, params = [], []
    if not include_resolved:
        clauses.append("resolved_at IS NULL")
    if reason:
        clauses.append("reason = ?")
        params.append(reason)
    if source_file:
        clauses.append("source_file LIKE ?")
        params.append(f"%{source_file}%")
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_rejects(
    warehouse: Path,
    *,
    reason: str | None = None,
    source_file: str | None = None,
    include_resolved: bool = False,
    limit: int = 50,
) -> list[dict]:
    con = connect(warehouse, read_only=True)
    try:
        where, params = _where(reason, source_file, include_resolved)
        cur = con.execute(
            f"""SELECT batch_id, source_file, source_line, reason, message, raw_line, resolved_at
                FROM {GROUP_EVENT_REJECTS} {where}
                ORDER BY batch_id, source_file, source_line LIMIT {int(limit)}""",
            params,
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def count_rejects(warehouse: Path) -> list[tuple[str, int, int]]:
    """(reason, open, resolved) counts."""
    con = connect(warehouse, read_only=True)
    try:
        return con.execute(f"""
            SELECT reason, count(*) FILTER (resolved_at IS NULL), count(*) FILTER (resolved_at IS NOT NULL)
            FROM {GROUP_EVENT_REJECTS} GROUP BY reason ORDER BY 2 DESC, 1""").fetchall()
    finally:
        con.close()


_NOT_WITHHELD = "(raw_line IS NOT NULL OR raw_line_base64 IS NOT NULL)"


def count_withheld(
    warehouse: Path,
    *,
    reason: str | None = None,
    source_file: str | None = None,
    include_resolved: bool = False,
) -> int:
    """Rejects stored without their raw line (redacted rejects that were not JSON objects)."""
    con = connect(warehouse, read_only=True)
    try:
        where, params = _where(reason, source_file, include_resolved)
        where = (where + " AND " if where else "WHERE ") + f"NOT {_NOT_WITHHELD}"
        return con.execute(
            f"SELECT count(*) FROM {GROUP_EVENT_REJECTS} {where}", params
        ).fetchall()[0][0]
    finally:
        con.close()


def export_rejects(
    warehouse: Path,
    out: Path,
    *,
    reason: str | None = None,
    source_file: str | None = None,
    include_resolved: bool = False,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> int:
    """Write the exact bytes of each rejected line, one per line, to ``out``. Returns the count.

    Each exported reject remembers where it was written (``exported_to``, ``exported_line``), so
    that the export, fixed in place and loaded again, resolves rejects that carry no messageId
    (load.py ``_resolve_rejects``). That is a write: the export takes the warehouse lock.
    Lines stored without their text (``pii.rejects = "redact"`` withholds lines that are not JSON
    objects) are left out: see :func:`count_withheld`.
    Raises OutputNotWritable (and leaves no partial file, records nothing) when ``out`` cannot be
    written.
    """
    warehouse, out = Path(warehouse), Path(out)
    if not warehouse.exists():
        raise WarehouseNotFound(f"no warehouse at {warehouse}: run `grouplake load` first")
    target = str(out.absolute())
    n = 0
    with warehouse_lock(warehouse, wait_seconds):
        con = connect(warehouse, busy_wait_seconds=wait_seconds)
        try:
            where, params = _where(reason, source_file, include_resolved)
            where = (where + " AND " if where else "WHERE ") + _NOT_WITHHELD
            con.execute(
                f"""
                CREATE TEMP TABLE {EXPORTED_REJECTS} AS
                SELECT batch_id, source_file, source_line,
                       row_number() OVER (ORDER BY batch_id, source_file, source_line) AS exported_line
                FROM {GROUP_EVENT_REJECTS} {where}""",
                params,
            )
            cur = con.execute(f"""
                SELECT r.raw_line, r.raw_line_base64 FROM {GROUP_EVENT_REJECTS} r
                JOIN {EXPORTED_REJECTS} x USING (batch_id, source_file, source_line)
                ORDER BY x.exported_line""")
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                f = open(out, "wb")
            except OSError as exc:
                raise OutputNotWritable(f"cannot write {out}: {describe_os_error(exc)}") from None
            try:
                with f:
                    while rows := cur.fetchmany(10_000):
                        for raw_line, raw_b64 in rows:
                            data = (
                                base64.b64decode(raw_b64)
                                if raw_b64
                                else (raw_line or "").encode("utf-8")
                            )
                            f.write(data + b"\n")
                            n += 1
            except OSError as exc:  # a full disk, a quota: do not leave half an export behind
                out.unlink(missing_ok=True)
                raise OutputNotWritable(f"cannot write {out}: {describe_os_error(exc)}") from None
            con.execute(
                f"""
                UPDATE {GROUP_EVENT_REJECTS} AS r SET exported_to = $target, exported_line = x.exported_line
                FROM {EXPORTED_REJECTS} AS x
                WHERE r.batch_id = x.batch_id AND r.source_file = x.source_file AND r.source_line = x.source_line""",
                {"target": target},
            )
        finally:
            con.close()
    return n
