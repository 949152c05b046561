"""Shared helpers for the reliability tests (crash safety, concurrency, hostile input, replay).

The central idea: a warehouse + lake pair is reduced to a *snapshot* -- plain, sorted
Python tuples of everything that must be identical between two runs over the same input
paths, with the columns that legitimately differ (load times, batch ids) left out or
replaced by something stable (a batch's rank in load order). Two snapshots compare with
``==`` and pytest shows the difference.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
GROUPLAKE = [sys.executable, "-m", "grouplake.cli"]

# Small chunks, so a few hundred lines per file make several chunks (and several
# `after_chunk` crash points per file).
SMALL_CHUNK_BYTES = 6000


# --------------------------------------------------------------------------- inputs


def _event(i: int, file_no: int, rnd: random.Random) -> dict:
    day = 1 + (i % 3)  # three received_date partitions per batch -> several files to publish
    ev = {
        "type": rnd.choice(["group", "Group", "GROUP"]),
        "groupId": rnd.choice([f"g{i % 11}", i % 11]),
        "messageId": f"f{file_no}-m{i}",
        "traits": {
            "name": f"Org {i % 11}",
            "plan": rnd.choice(["free", "pro", None]),
            "Employees": rnd.randint(1, 500),
            "address": {"city": "Bern"},
        },
        "timestamp": f"2024-03-0{day}T10:{i % 60:02d}:00Z",
        "receivedAt": f"2024-03-0{day}T10:{i % 60:02d}:05Z",
        "context": {"ip": f"10.0.0.{i % 255}"},
    }
    if i % 4:
        ev["userId"] = f"u{i % 37}"
    else:
        ev["anonymousId"] = f"anon-{i % 13}"
    return ev


def write_inputs(
    root: Path, n_files: int = 4, lines_per_file: int = 240, seed: int = 7
) -> list[Path]:
    """A multi-file input that exercises every path of a batch.

    Each file has valid events over three days, bad lines of several reasons, duplicates
    inside the file and of an earlier file, a rejected line (with a messageId) that a later
    file fixes (so rejects get resolved), and the last file is gzip and ends without a
    trailing newline.
    """
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(n_files):
        lines: list[bytes] = []
        for i in range(lines_per_file):
            lines.append(json.dumps(_event(i, f, rnd)).encode())
            if i % 37 == 5:
                lines.append(b'{"type": "group", "groupId": ')  # invalid_json
            if i % 53 == 7:
                lines.append(
                    json.dumps({"type": "track", "event": "x", "messageId": f"t{f}-{i}"}).encode()
                )  # skipped
            if i % 41 == 9:
                lines.append(json.dumps(_event(i, f, rnd)).encode())  # same messageId again
            if i % 61 == 11 and f > 0:
                lines.append(
                    json.dumps(_event(i, f - 1, rnd)).encode()
                )  # duplicate of earlier file
            if i == 13:
                # rejected here, fixed by the next file (same messageId)
                lines.append(
                    json.dumps(
                        {
                            "type": "group",
                            "groupId": "g-fix",
                            "messageId": f"fix-{f}",
                            "traits": "not an object",
                        }
                    ).encode()
                )
            if i == 17 and f > 0:
                lines.append(
                    json.dumps(
                        {
                            "type": "group",
                            "groupId": "g-fix",
                            "messageId": f"fix-{f - 1}",
                            "traits": {"fixed": True},
                            "timestamp": "2024-03-02T00:00:00Z",
                        }
                    ).encode()
                )
            if i == 19:
                lines.append(b"\xff\xfe not utf-8 \x00")  # invalid_utf8
        data = b"\n".join(lines)
        if f == n_files - 1:
            path = root / f"part-{f:02d}.ndjson.gz"
            path.write_bytes(gzip.compress(data, mtime=0))  # no trailing newline
        else:
            path = root / f"part-{f:02d}.ndjson"
            path.write_bytes(data + b"\n")
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- running


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL


def cli_env(fault: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPLAKE_")}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    if fault:
        env["GROUPLAKE_FAULT"] = fault
    return env


def load_cmd(
    inputs, warehouse: Path, lake: Path, *, wait: float = 60, chunk_bytes: int = SMALL_CHUNK_BYTES
) -> list[str]:
    return [
        *GROUPLAKE,
        "load",
        *map(str, inputs),
        "--warehouse",
        str(warehouse),
        "--lake",
        str(lake),
        "--wait",
        str(wait),
        "--chunk-bytes",
        str(chunk_bytes),
    ]


def run_load(
    inputs,
    warehouse: Path,
    lake: Path,
    *,
    fault: str | None = None,
    wait: float = 60,
    chunk_bytes: int = SMALL_CHUNK_BYTES,
    timeout: float = 120,
) -> Run:
    p = subprocess.run(
        load_cmd(inputs, warehouse, lake, wait=wait, chunk_bytes=chunk_bytes),
        env=cli_env(fault),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    return Run(p.returncode, p.stdout, p.stderr)


def start_load(
    inputs,
    warehouse: Path,
    lake: Path,
    *,
    wait: float = 60,
    chunk_bytes: int = SMALL_CHUNK_BYTES,
    fault: str | None = None,
) -> subprocess.Popen:
    return subprocess.Popen(
        load_cmd(inputs, warehouse, lake, wait=wait, chunk_bytes=chunk_bytes),
        env=cli_env(fault),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )


def kill_after(proc: subprocess.Popen, seconds: float) -> Run:
    """SIGKILL ``proc`` after ``seconds`` (unless it finished first)."""
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
    return Run(proc.returncode, out, err)


# --------------------------------------------------------------------------- snapshots

_PART_RE = re.compile(r"part-(\d{8})-")

EVENT_COLS = [
    "message_id",
    "message_id_derived",
    "event_type",
    "group_id",
    "user_id",
    "anonymous_id",
    "event_at",
    "event_at_source",
    "timestamp",
    "original_timestamp",
    "sent_at",
    "received_at",
    "source_file",
    "source_line",
    "traits",
    "context",
    "integrations",
    "extra",
    "event_name",
]
_EVENT_SELECT = ", ".join(
    # event_at is the load time when the event carries no time at all: that differs per run
    "CASE WHEN event_at_source = 'loaded_at' THEN NULL ELSE event_at END"
    if c == "event_at"
    else f"{c}::VARCHAR"
    if c in ("traits", "context", "integrations", "extra")
    else f'"{c}"'
    for c in EVENT_COLS
)


def _rank_map(con) -> dict[int, int]:
    """batch_id -> rank among loaded batches (1, 2, ...): stable across runs over the same input."""
    ids = [
        r[0]
        for r in con.execute(
            "SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded' ORDER BY batch_id"
        ).fetchall()
    ]
    return {b: i + 1 for i, b in enumerate(ids)}


def _norm_lake_file(rel: str, ranks: dict[int, int]) -> str:
    return _PART_RE.sub(lambda m: f"part-R{ranks.get(int(m.group(1)), -int(m.group(1)))}-", rel)


def lake_files(lake: Path) -> list[str]:
    root = Path(lake) / "group_events"
    return (
        sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*.parquet"))
        if root.exists()
        else []
    )


def staging_files(lake: Path) -> list[str]:
    root = Path(lake) / "_staging"
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def connect_ro(warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def snapshot(warehouse: Path, lake: Path) -> dict:
    """Everything that must be equal between two runs over the same input paths."""
    con = connect_ro(warehouse)
    try:
        ranks = _rank_map(con)
        events = con.execute(f"SELECT {_EVENT_SELECT}, batch_id FROM raw.group_events").fetchall()
        events = sorted(tuple(r[:-1]) + (ranks.get(r[-1], -1),) for r in events)
        rejects = con.execute("""
            SELECT source_file, source_line, reason, message, message_id, raw_line, raw_line_base64,
                   batch_id, resolved_at IS NOT NULL, resolved_by_batch_id
            FROM raw.group_event_rejects""").fetchall()
        rejects = sorted(
            r[:7] + (ranks.get(r[7], -1), r[8], ranks.get(r[9]) if r[9] else None) for r in rejects
        )
        duplicates = sorted(
            r[:3] + (ranks.get(r[3], -1),) + r[4:]
            for r in con.execute("""
            SELECT message_id, source_file, source_line, kept_batch_id, kept_source_file, kept_source_line,
                   content_differs, raw_line
            FROM raw.group_event_duplicates""").fetchall()
        )
        ledger_rows = con.execute("""
            SELECT batch_id, file_path, file_size, content_hash, read_count, loaded_count, rejected_count,
                   duplicate_count, status, error, lake_files, lake_published, skipped_count,
                   skipped_by_type::VARCHAR
            FROM raw.load_ledger WHERE status = 'loaded' ORDER BY batch_id""").fetchall()
        ledger = [
            (ranks[r[0]],)
            + tuple(r[1:10])
            + (sorted(_norm_lake_file(f, ranks) for f in r[10] or []), r[11], r[12], r[13])
            for r in ledger_rows
        ]
        failed = con.execute(
            "SELECT count(*) FROM raw.load_ledger WHERE status <> 'loaded'"
        ).fetchone()[0]
        lake_rows = read_lake(con, lake)
        lake_rows = sorted(tuple(r[:-1]) + (ranks.get(r[-1], -1),) for r in lake_rows)
        lake_listing = sorted(_norm_lake_file(f, ranks) for f in lake_files(lake))
    finally:
        con.close()
    return {
        "events": events,
        "rejects": rejects,
        "duplicates": duplicates,
        "ledger": ledger,
        "failed_ledger_rows": failed,
        "lake_rows": lake_rows,
        "lake_files": lake_listing,
    }


def read_lake(con, lake: Path) -> list[tuple]:
    """Rows of the lake as a reader sees them: group_events/**/*.parquet, hive-partitioned."""
    if not lake_files(lake):
        return []
    glob = str(Path(lake) / "group_events" / "**" / "*.parquet").replace("'", "''")
    return con.execute(
        f"SELECT {_EVENT_SELECT}, batch_id FROM read_parquet('{glob}', hive_partitioning = true, "
        "union_by_name = true)"
    ).fetchall()


def assert_consistent(warehouse: Path, lake: Path, *, require_published: bool = True) -> dict:
    """Invariants that hold after every run that ended normally (and, for raw tables, after any kill).

    - per ledger row and in total: read = loaded + rejected + duplicates + skipped + suppressed
    - raw.group_events has exactly loaded_count rows per loaded batch (no half batch), less those
      `grouplake forget` removed since (forgotten_count; the same for rejects and duplicates)
    - no message_id twice in raw.group_events
    - every rejects row belongs to a loaded batch and their count is rejected_count
    - the lake (what readers of group_events/** see) equals raw.group_events, file for file what the
      ledger lists; staging is empty  (only when ``require_published``)
    """
    snap = snapshot(warehouse, lake)
    con = connect_ro(warehouse)
    try:
        bad = con.execute("""
            SELECT batch_id, read_count, loaded_count, rejected_count, duplicate_count, skipped_count,
                   suppressed_count
            FROM raw.load_ledger
            WHERE read_count <> loaded_count + rejected_count + duplicate_count + skipped_count + suppressed_count
            """).fetchall()
        assert not bad, (
            f"ledger rows where read != loaded + rejected + duplicates + skipped + suppressed: {bad}"
        )
        per_batch = con.execute("""
            SELECT l.batch_id, l.loaded_count - l.forgotten_count, l.rejected_count - l.forgotten_reject_count,
                   (SELECT count(*) FROM raw.group_events e WHERE e.batch_id = l.batch_id),
                   (SELECT count(*) FROM raw.group_event_rejects r WHERE r.batch_id = l.batch_id)
            FROM raw.load_ledger l WHERE status = 'loaded'""").fetchall()
        for b, loaded, rejected, n_ev, n_rej in per_batch:
            assert (n_ev, n_rej) == (loaded, rejected), f"batch {b}: half a batch in the raw tables"
        bad = con.execute("""
            SELECT l.batch_id, l.duplicate_count, l.duplicate_reject_count, l.forgotten_duplicate_count,
                   count(d.message_id)
            FROM raw.load_ledger l
            LEFT JOIN raw.group_event_duplicates d ON d.batch_id = l.batch_id
            GROUP BY ALL
            HAVING l.duplicate_count - coalesce(l.duplicate_reject_count, 0) - l.forgotten_duplicate_count
                <> count(d.message_id)""").fetchall()
        assert not bad, f"batches whose duplicate rows differ from duplicate_count: {bad}"
        lost = con.execute("""
            SELECT d.message_id, d.batch_id, d.source_line FROM raw.group_event_duplicates d
            LEFT JOIN raw.group_events e ON e.message_id = d.message_id AND e.batch_id = d.kept_batch_id
                 AND e.source_file = d.kept_source_file AND e.source_line = d.kept_source_line
            WHERE e.message_id IS NULL""").fetchall()
        assert not lost, f"duplicates whose kept event is not where they say: {lost[:5]}"
        orphans = con.execute("""
            SELECT count(*) FROM raw.group_events WHERE batch_id NOT IN
                (SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded')""").fetchone()[0]
        assert orphans == 0, "events of a batch the ledger does not list as loaded"
        orphans = con.execute("""
            SELECT count(*) FROM raw.group_event_rejects WHERE batch_id NOT IN
                (SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded')""").fetchone()[0]
        assert orphans == 0, "rejects of a batch the ledger does not list as loaded"
        dup = con.execute(
            "SELECT message_id, count(*) FROM raw.group_events GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
        assert not dup, f"message_ids loaded twice: {dup[:5]}"
        hashes = con.execute("""SELECT content_hash, count(*) FROM raw.load_ledger WHERE status = 'loaded'
                                GROUP BY 1 HAVING count(*) > 1""").fetchall()
        assert not hashes, f"file content loaded twice: {hashes}"
    finally:
        con.close()
    if require_published:
        assert snap["lake_rows"] == snap["events"], "the lake differs from raw.group_events"
        listed = sorted(f for row in snap["ledger"] for f in row[10])
        assert snap["lake_files"] == listed, "lake files differ from those the ledger lists"
        assert all(row[11] for row in snap["ledger"]), "a loaded batch is not marked published"
        assert staging_files(lake) == [], f"staging left over: {staging_files(lake)}"
    return snap


def wait_for(predicate, timeout: float = 30, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
