"""The baselines `bench.run` compares `grouplake load` with, each run as its own process.

    python -m bench.baselines duckdb FILE OUT.parquet   DuckDB alone: read_json -> Parquet
    python -m bench.baselines floor FILE LAKE_DIR       DuckDB: the loader's fields -> the partitioned lake
    python -m bench.baselines dlt FILE WORKDIR          dlt: parsed lines -> duckdb destination
                                                        (BENCH_DLT_FORMAT=insert_values|parquet|jsonl)

None validates anything: the DuckDB one is the near-physical limit of reading the file and
writing it once as Parquet (one re-serialised JSON column, no field extraction); the "floor" is
the comparable work without the guarantees: DuckDB extracting the fields the loader extracts
(one parse per line) and writing the same day-partitioned zstd Parquet lake, with no validation,
no dedup, no rejects and no warehouse table; the dlt one is what a generic Python EL tool does with the same
lines (it skips what does not parse as a JSON object, keeps no rejects, does no dedup).
Each prints one JSON line with the rows it wrote.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path


def duckdb_read_json(src: str, out: str) -> dict:
    import duckdb

    con = duckdb.connect()
    path = src.replace("'", "''")
    con.execute(f"""
        COPY (SELECT * FROM read_json('{path}', format = 'newline_delimited', ignore_errors = true))
        TO '{out.replace("'", "''")}' (FORMAT parquet, COMPRESSION zstd)""")
    rows = con.execute(
        f"SELECT count(*) FROM read_parquet('{out.replace(chr(39), chr(39) * 2)}')"
    ).fetchone()[0]
    return {"rows": rows}


# the fields the loader extracts into columns (grouplake.validate.KNOWN_FIELDS, plus `event`)
_FLOOR_PATHS = [
    "type",
    "groupId",
    "userId",
    "anonymousId",
    "messageId",
    "traits",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "receivedAt",
    "context",
    "integrations",
    "event",
]


def duckdb_floor(src: str, lake: str) -> dict:
    """The loader's output without its guarantees: one json_extract of the known fields per line,
    ids as text, timestamps parsed, event time, the JSON objects kept as JSON, written as the
    lake's day-partitioned zstd Parquet (PARTITION_BY received_date). Lines DuckDB cannot read
    are dropped; nothing is checked, deduplicated or rejected. No line numbers either: DuckDB's
    reader does not give them, and numbering the rows (a window over the file) would serialise it."""
    import duckdb

    con = duckdb.connect()
    path = src.replace("'", "''")
    paths = ", ".join(f"'$.{k}'" for k in _FLOOR_PATHS)
    ts = {
        name: f"try_cast(f[{i}] ->> '$' AS TIMESTAMPTZ)"
        for name, i in (
            ("timestamp", 7),
            ("original_timestamp", 8),
            ("sent_at", 9),
            ("received_at", 10),
        )
    }
    con.execute(f"""
        COPY (
            SELECT f[5] ->> '$' AS message_id, f[1] ->> '$' AS event_type, f[13] ->> '$' AS event_name,
                   f[2] ->> '$' AS group_id, f[3] ->> '$' AS user_id, f[4] ->> '$' AS anonymous_id,
                   coalesce({ts["timestamp"]}, {ts["original_timestamp"]}, {ts["received_at"]},
                            {ts["sent_at"]}, now()) AS event_at,
                   {ts["timestamp"]} AS "timestamp", {ts["original_timestamp"]} AS original_timestamp,
                   {ts["sent_at"]} AS sent_at, {ts["received_at"]} AS received_at,
                   now() AS loaded_at, f[6] AS traits, f[11] AS context, f[12] AS integrations,
                   CAST(timezone('UTC', coalesce({ts["received_at"]}, now())) AS DATE) AS received_date
            FROM (SELECT json_extract(json, [{paths}]) AS f
                  FROM read_ndjson_objects('{path}', ignore_errors = true)
                  WHERE json_valid(json) AND starts_with(json, '{{'))
        ) TO '{lake.replace("'", "''")}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (received_date),
                                          OVERWRITE_OR_IGNORE true)""")
    rows = con.execute(
        f"SELECT count(*) FROM read_parquet('{lake.replace(chr(39), chr(39) * 2)}/**/*.parquet')"
    ).fetchone()[0]
    return {"rows": rows}


def _parsed_batches(src: str, batch: int = 10_000):
    import orjson

    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rb") as f:
        rows: list[dict] = []
        for line in f:
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                rows.append(obj)
                if len(rows) >= batch:
                    yield rows
                    rows = []
        if rows:
            yield rows


def dlt_load(src: str, workdir: str, file_format: str = "parquet") -> dict:
    """dlt with its duckdb destination. ``parquet`` is dlt's fastest loader file format for
    DuckDB; its default for duckdb (``insert_values``, SQL INSERT statements) is far slower."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    resource = dlt.resource(_parsed_batches(src), name="group_events", write_disposition="append")
    pipeline = dlt.pipeline(
        pipeline_name="grouplake_bench",
        pipelines_dir=str(work / "pipelines"),
        destination=dlt.destinations.duckdb(str(work / "dlt.duckdb")),
        dataset_name="raw",
        progress=None,
    )
    pipeline.run(resource, loader_file_format=file_format)
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*) FROM group_events")[0][0]
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] not in ("duckdb", "floor", "dlt"):
        print(__doc__, file=sys.stderr)
        return 2
    tool, src, out = argv
    t0 = time.perf_counter()
    if tool == "duckdb":
        result = duckdb_read_json(src, out)
    elif tool == "floor":
        result = duckdb_floor(src, out)
    else:
        result = dlt_load(src, out, os.environ.get("BENCH_DLT_FORMAT", "parquet"))
    print(json.dumps({"tool": tool, "seconds": round(time.perf_counter() - t0, 3), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
