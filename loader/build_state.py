"""Whether a `grouplake build` has anything to do: the build log of the warehouse.

A scheduled build that finds no new data still paid for dbt's start-up, its parse and ~50 nodes
of incremental models and narrowed tests on zero new rows (several seconds whatever the data).
``grouplake build`` now skips dbt when the warehouse was last built, completely and
successfully, from exactly what it holds now. "Exactly" is the *build fingerprint*
(``fingerprint``), a sha256 of:

- every raw table's row count and the newest batch of the ledger (a load, even of duplicates
  only, adds a batch; a forget or a suppression changes a count);
- the warehouse's other relations (schema, name, type): a dropped or added mart shows;
- the dbt project's files and grouplake's version (an upgrade, or an edited project);
- the environment variables the project and its profile read (``env_var(...)`` in their files,
  but the warehouse path, which is the warehouse itself) and dbt's own ``DBT_*`` settings (but
  where its target/ and logs/ go).

The log, ``raw.build_log``, gets a row when a build starts (``complete`` false) and that row is
completed with the fingerprint of the warehouse as the build left it when dbt succeeded on the
whole project (no selection, vars or other options besides ``--full-refresh``). A build is
skipped only when the newest row is complete and its fingerprint equals the warehouse's now;
so a failed, partial or interrupted build (its row stays incomplete) is never followed by a
skip. ``--force`` (``force=True``) runs dbt anyway, e.g. after editing tables by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from pathlib import Path

import duckdb

from grouplake import __version__
from grouplake.config import WAREHOUSE_ENV
from grouplake.tables import BUILD_LOG, LOAD_LEDGER, RAW_SCHEMA

# dbt's arguments that still build the whole project, so that its success can be recorded (the
# unit-test exclusion that `grouplake build` adds by default; a full refresh)
COMPLETE_BUILD_ARGS = {"--full-refresh", "--exclude-resource-type", "unit_test"}

# folders of the project that dbt writes or that are not project sources
_NOT_PROJECT = {"target", "logs", "dbt_packages", "__pycache__"}

# a variable the project's files read: {{ env_var('NAME', ...) }}
_ENV_VAR = re.compile(rb"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")
# variables that do not change what a build makes: the warehouse (the file the log is in), and
# where dbt writes its target/ and logs/
_ENV_IGNORED = {WAREHOUSE_ENV, "DBT_TARGET_PATH", "DBT_LOG_PATH"}


def _project_files(project_dir: Path) -> list[tuple[str, bytes]]:
    """(relative path, contents) of the dbt project's files, outside dbt's own output."""
    files = []
    for path in sorted(project_dir.rglob("*")):
        rel = path.relative_to(project_dir)
        if path.is_dir() or _NOT_PROJECT.intersection(rel.parts) or rel.name == ".user.yml":
            continue
        files.append((str(rel), path.read_bytes()))
    return files


def _digest(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for rel, content in files:
        digest.update(rel.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def project_digest(project_dir: Path) -> str:
    """sha256 of the dbt project's files (paths and contents), outside dbt's own output."""
    return _digest(_project_files(project_dir))


def _settings(files: list[tuple[str, bytes]]) -> list[tuple[str, str | None]]:
    """The environment a build depends on: the variables the project's ``files`` read, and dbt's."""
    names = {m.decode() for _, content in files for m in _ENV_VAR.findall(content)}
    names |= {k for k in os.environ if k.startswith("DBT_")}
    return sorted((k, os.environ.get(k)) for k in names - _ENV_IGNORED)


def gen_raw_counts_sql(tables: list[str]) -> str:
    """One row of every raw table's row count (``tables``: names in the raw schema)."""
    counts = ", ".join(f'(SELECT count(*) FROM {RAW_SCHEMA}."{t}") AS "{t}"' for t in tables)
    return f"SELECT {counts}, (SELECT max(batch_id) FROM {LOAD_LEDGER}) AS newest_batch"


def fingerprint(con: duckdb.DuckDBPyConnection, project_dir: Path) -> str:
    """The build fingerprint of the warehouse open in ``con`` (module docstring)."""
    relations = con.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_catalog = current_database() ORDER BY ALL"
    ).fetchall()
    log_schema, log_name = BUILD_LOG.split(".")
    raw_tables = [
        name
        for schema, name, kind in relations
        if schema == RAW_SCHEMA and kind == "BASE TABLE" and name != log_name
    ]
    row = con.execute(gen_raw_counts_sql(raw_tables)).fetchone()
    files = _project_files(project_dir)  # read once: its digest, and the variables it reads
    state = {
        "grouplake": __version__,
        "project": _digest(files),
        "env": _settings(files),
        "raw": dict(zip([*raw_tables, "newest_batch"], row, strict=True)),
        "relations": [r for r in relations if (r[0], r[1]) != (log_schema, log_name)],
    }
    return hashlib.sha256(json.dumps(state, default=str).encode()).hexdigest()


def built_at_if_current(con: duckdb.DuckDBPyConnection, project_dir: Path) -> datetime | None:
    """When the newest build finished, if it was complete and the warehouse is unchanged since;
    None when a build has something to do."""
    newest = con.execute(
        f"SELECT complete, fingerprint, finished_at FROM {BUILD_LOG} ORDER BY build_id DESC LIMIT 1"
    ).fetchone()
    if newest is None or not newest[0] or newest[1] != fingerprint(con, project_dir):
        return None
    return newest[2]


def start(con: duckdb.DuckDBPyConnection, dbt_args: list[str]) -> int:
    """Log a build that starts (incomplete until ``finish``); returns its build_id."""
    return con.execute(
        f"INSERT INTO {BUILD_LOG} (build_id, started_at, dbt_args, complete) "
        f"SELECT coalesce(max(build_id), 0) + 1, now(), ?, false FROM {BUILD_LOG} "
        "RETURNING build_id",
        [dbt_args],
    ).fetchone()[0]


def finish(
    con: duckdb.DuckDBPyConnection, build_id: int, exit_code: int, project_dir: Path
) -> None:
    """Record how build ``build_id`` ended; a successful build of the whole project is complete
    and gets the fingerprint of the warehouse it left."""
    args = con.execute(f"SELECT dbt_args FROM {BUILD_LOG} WHERE build_id = ?", [build_id])
    whole = exit_code == 0 and set(args.fetchone()[0]) <= COMPLETE_BUILD_ARGS
    con.execute(
        f"UPDATE {BUILD_LOG} SET finished_at = now(), exit_code = ?, complete = ?, "
        "fingerprint = ? WHERE build_id = ?",
        [exit_code, whole, fingerprint(con, project_dir) if whole else None, build_id],
    )
