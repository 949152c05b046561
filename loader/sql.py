"""How SQL text is built, in one place.

Every statement is an f-string built by a function over named parameters (``gen_*_sql`` for
the statements of a load: ``validate``, ``duplicates``); table names come from
``grouplake.tables``. Values known only when a statement runs are DuckDB parameters
(``$batch_id``, ``?``). Text that must be part of the SQL itself (a path in ``COPY ... TO``,
a configured key, the salt of a macro) goes through ``quoted`` / ``literal`` below, never
through ``str.format`` or ``.replace`` on a template.
"""

from __future__ import annotations

from pathlib import Path


def quoted(text: str | Path) -> str:
    """``text`` for inside a SQL string literal: single quotes doubled."""
    return str(text).replace("'", "''")


def literal(text: str | Path) -> str:
    """``text`` as a SQL string literal."""
    return f"'{quoted(text)}'"
