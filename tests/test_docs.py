"""The docs match the code: every `grouplake` command and every option of every command is in
README.md or docs/*.md, and every SQL example there (a ```sql fenced block) runs on the warehouse
of the bundled sample.

A block that must not run (a DROP, Spark-only SQL, ...) says why on the line before its fence:

    <!-- not-run: the reason -->
    ```sql
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import typer

from grouplake import cli

from helpers import REPO_ROOT

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(\S.*?)\s*-->\s*$")


def _docs_text() -> str:
    return "\n".join(p.read_text() for p in DOCS)


def _commands(command=None, path: tuple[str, ...] = ()):
    """(path, click command) of `grouplake` and of every command under it, depth first."""
    command = command or typer.main.get_command(cli.app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not sub.hidden:
            yield from _commands(sub, (*path, name))


def _options(command) -> list[str]:
    """Every spelling of every visible option (--warehouse, -w, ...), --help aside."""
    return [
        opt
        for param in command.params
        if param.param_type_name == "option" and not param.hidden
        for opt in (*param.opts, *param.secondary_opts)
        if opt != "--help"
    ]


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_every_command_and_option_is_documented():
    text = _docs_text()
    commands = list(_commands())
    assert len(commands) > 5
    missing = []
    for path, command in commands:
        name = " ".join(("grouplake", *path))
        if path and f"`{name}" not in text and f"{name} " not in text:
            missing.append(name)
        missing += [f"{name} {opt}" for opt in _options(command) if not _mentions(text, opt)]
    assert missing == [], "not in README.md or docs/*.md: " + ", ".join(missing)


def sql_blocks(docs: list[Path], root: Path = REPO_ROOT) -> list[tuple[str, str | None, str]]:
    """(where: file:line, why it does not run or None, the SQL) of every ```sql block."""
    blocks = []
    for doc in docs:
        lines = doc.read_text().splitlines()
        i = 0
        while i < len(lines):
            if lines[i].strip() == "```sql":
                start = i
                i += 1
                while lines[i].strip() != "```":
                    i += 1
                before = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
                marker = NOT_RUN.match(before)
                where = f"{doc.relative_to(root)}:{start + 1}"
                blocks.append(
                    (where, marker.group(1) if marker else None, "\n".join(lines[start + 1 : i]))
                )
            i += 1
    return blocks


BLOCKS = sql_blocks(DOCS)


def test_the_readme_has_sql_examples_that_run():
    assert [b for b in BLOCKS if b[0].startswith("README.md") and b[1] is None]


def test_sql_blocks_are_found_with_their_not_run_reason(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text(
        "text\n```sql\nSELECT 1;\n```\n\n<!-- not-run: drops the table -->\n\n"
        "  ```sql\n  DROP TABLE groups;\n  ```\n```sh\nls\n```\n"
    )
    assert sql_blocks([doc], root=tmp_path) == [
        ("x.md:2", None, "SELECT 1;"),
        ("x.md:8", "drops the table", "  DROP TABLE groups;"),
    ]


@pytest.mark.parametrize("where, not_run, sql", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_sql_example_runs_on_the_sample(sample, where, not_run, sql):
    """Each statement runs on the sample's warehouse (read-only), and each query returns rows:
    an example that shows nothing on the demo data shows the reader nothing either."""
    if not_run:
        pytest.skip(f"{where}: not run: {not_run}")
    con = duckdb.connect(str(Path(sample.path)), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        statements = con.extract_statements(sql)
        assert statements, f"{where}: no SQL statement in the block"
        for statement in statements:
            try:
                rows = con.execute(statement.query).fetchall()
            except duckdb.Error as exc:
                pytest.fail(f"{where}: {exc}\n{statement.query}")
            if statement.type == duckdb.StatementType.SELECT:
                assert rows, (
                    f"{where}: the example returns no rows on the sample:\n{statement.query}"
                )
    finally:
        con.close()
