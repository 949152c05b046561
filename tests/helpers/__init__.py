"""The tests' builders and helper classes, in one place: ``from helpers import ...``.

- cli: running `grouplake` in this process (``invoke``, through the console script's entry) or
  as a child process (``run_cli``, ``run_load``, ``start_load``, ``run_forget``); ``Run``
- warehouse: ``Warehouse``, a warehouse file + lake folder in a temp dir with small helpers
- builders: Group calls (``call``, ``group_call``), NDJSON lines, ``write_inputs``, ``utc``
- snapshots: ``snapshot`` and ``assert_consistent`` of a warehouse + lake pair

conftest.py holds only the fixtures (built on these).
"""

from .builders import (
    TRUNCATED_LINE,
    call,
    group_call,
    numbered_lines,
    utc,
    write_inputs,
)
from .cli import (
    GROUPLAKE,
    REPO_ROOT,
    SAMPLE_DIR,
    SMALL_CHUNK_BYTES,
    Run,
    cli_env,
    invoke,
    kill_after,
    load_cmd,
    run_cli,
    run_forget,
    run_load,
    start_load,
)
from .snapshots import (
    EVENT_COLS,
    assert_consistent,
    connect_ro,
    lake_files,
    read_lake,
    snapshot,
    staging_files,
    wait_for,
)
from .warehouse import Warehouse, ndjson

__all__ = [
    "EVENT_COLS",
    "GROUPLAKE",
    "REPO_ROOT",
    "SAMPLE_DIR",
    "SMALL_CHUNK_BYTES",
    "TRUNCATED_LINE",
    "Run",
    "Warehouse",
    "assert_consistent",
    "call",
    "cli_env",
    "connect_ro",
    "group_call",
    "invoke",
    "kill_after",
    "lake_files",
    "load_cmd",
    "ndjson",
    "numbered_lines",
    "read_lake",
    "run_cli",
    "run_forget",
    "run_load",
    "snapshot",
    "staging_files",
    "start_load",
    "utc",
    "wait_for",
    "write_inputs",
]
