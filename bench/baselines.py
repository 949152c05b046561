"""The baselines `bench.run` compares `grouplake load` with, each run as its own process.

    python -m bench.baselines duckdb FILE OUT.parquet   DuckDB alone: read_json -> Parquet
    python -m bench.baselines dlt FILE WORKDIR          dlt: parsed lines -> duckdb destination
                                                        (BENCH_DLT_FORMAT=insert_values|parquet|jsonl)

Neither validates anything: the DuckDB one is the near-physical limit of reading the file and
writing it once as Parquet; the dlt one is what a generic Python EL tool does with the same
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
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out.replace(chr(39), chr(39) * 2)}')").fetchone()[0]
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
    pipeline = dlt.pipeline(pipeline_name="grouplake_bench", pipelines_dir=str(work / "pipelines"),
                            destination=dlt.destinations.duckdb(str(work / "dlt.duckdb")),
                            dataset_name="raw", progress=None)
    pipeline.run(resource, loader_file_format=file_format)
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*) FROM group_events")[0][0]
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] not in ("duckdb", "dlt"):
        print(__doc__, file=sys.stderr)
        return 2
    tool, src, out = argv
    t0 = time.perf_counter()
    result = duckdb_read_json(src, out) if tool == "duckdb" else dlt_load(src, out, os.environ.get("BENCH_DLT_FORMAT", "parquet"))
    print(json.dumps({"tool": tool, "seconds": round(time.perf_counter() - t0, 3), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
