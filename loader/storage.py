"""Storage faults: a full disk, an exceeded quota or a read-only file system under the lake or the warehouse.

Such a fault is not about one input file: every file after it would fail the same way. So a
load stops at the first one, with one line that says what happened and to which path
(``no space left on device: cannot write <path>; ...``). The batch it hit is abandoned whole,
as if it had never started (its transaction rolled back, its staged lake files deleted), and no
``failed`` ledger row is written for it (that write would need the disk that just failed).
Batches committed before it stay. After space is freed (or the file system is writable again),
running the same command again loads the rest: the tables end up as after one clean run.

DuckDB reports these faults as ``duckdb.IOException`` (or a failed commit as
``TransactionException``) with the OS message and the file in the text; Python as ``OSError``
with ``errno`` and ``filename``. Both are recognised here.
"""

from __future__ import annotations

import errno
import functools
import re
from pathlib import Path

import duckdb

from grouplake.errors import OutputNotWritable

# Faults of the storage itself. Permission problems are the path's (errors.py: WarehouseUnusable,
# OutputNotWritable with the cause), not the disk's.
FAULTS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
}
# DuckDB's text for each (the C library's strerror)
_DUCKDB_TEXT = {
    "No space left on device": errno.ENOSPC,
    "Disk quota exceeded": errno.EDQUOT,
    "Read-only file system": errno.EROFS,
}
_DUCKDB_PATH = re.compile(r'(?:file|directory)\s+\\?"(.+?)\\?"')


class StorageError(OutputNotWritable):
    """The lake or the warehouse cannot be written (full, over quota, read-only): exit code 6."""


def fault_of(exc: BaseException) -> tuple[int, str | None] | None:
    """(errno, path) when ``exc`` is a storage fault, else None."""
    if isinstance(exc, StorageError):
        return None
    if isinstance(exc, OSError) and exc.errno in FAULTS:
        return exc.errno, exc.filename
    if isinstance(exc, duckdb.Error):
        text = str(exc)
        for needle, code in _DUCKDB_TEXT.items():
            if needle in text:
                m = _DUCKDB_PATH.search(text)
                return code, (m.group(1) if m else None)
    return None


def is_storage_fault(exc: BaseException, input_path: Path | None = None) -> bool:
    """A storage fault of an output, not of reading ``input_path`` (which fails only that file)."""
    fault = fault_of(exc)
    return fault is not None and (input_path is None or fault[1] != str(input_path))


def message(exc: BaseException, consequence: str) -> str:
    code, path = fault_of(exc) or (None, None)
    what = FAULTS.get(code, "storage error")
    where = f": cannot write {path}" if path else f" ({_one_line(exc)})"
    return f"{what}{where}; {consequence}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def stop_on_storage_fault(consequence: str):
    """Decorator: a storage fault raised anywhere in the call becomes one StorageError line."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (OSError, duckdb.Error) as exc:
                if not is_storage_fault(exc):
                    raise
                raise StorageError(message(exc, consequence)) from None

        return inner

    return wrap


RERUN = "free space (or make it writable) and run the same command again"
