"""A short analyst summary of the marts, printed after `grouplake run`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich import box
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from grouplake.sql import quoted
from grouplake.tables import MARTS, MARTS_SCHEMA
from grouplake.warehouse import connect

# the marts the summary reads (all of them but the trait catalog)
SUMMARY_MARTS = tuple(m for m in MARTS if m != "group_trait_catalog")


def example_queries(group: str, group_type: str, as_of: str) -> list[tuple[str, str]]:
    """(title, SQL) of the example queries the summary prints, about one group of the warehouse
    (``as_of``: a timestamp as text)."""
    g, t = quoted(group), quoted(group_type)
    return [
        (
            f"Traits of group {group} (type {group_type}) as of {as_of}",
            f"""\
SELECT trait_key, value_text, value_type, valid_from, message_id
FROM group_trait_history
WHERE group_type = '{t}' AND group_id = '{g}'
  AND valid_from <= TIMESTAMPTZ '{as_of}'
  AND (valid_to IS NULL OR valid_to > TIMESTAMPTZ '{as_of}')
  AND NOT is_null
ORDER BY trait_key;""",
        ),
        (
            "Groups on each plan, with their members",
            """\
SELECT coalesce(plan, '(none)') AS plan, count(*) AS groups,
       sum(member_count) AS members, sum(employees) AS employees
FROM groups
GROUP BY ALL
ORDER BY groups DESC;""",
        ),
        (
            "Users and the groups they belong to now",
            """\
SELECT m.user_id, g.group_type, g.group_id, g.name, m.attributes
FROM user_group_memberships AS m
JOIN groups AS g USING (group_type, group_id)
WHERE m.member_type = 'user' AND m.is_active AND NOT g.is_deleted
ORDER BY m.user_id, m.first_seen_at;""",
        ),
    ]


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_summary(warehouse: Path, console: Console) -> None:
    """Counts, the most used traits, a few groups, and example SQL over the marts."""
    con = connect(Path(warehouse), read_only=True)
    try:
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [MARTS_SCHEMA],
            ).fetchall()
        }
        missing = [m for m in SUMMARY_MARTS if m not in present]
        if missing:
            console.print(
                f"[yellow]marts not built yet ({', '.join(missing)}): run `grouplake build`[/]"
            )
            return

        n_groups, n_events = con.execute(
            f"SELECT count(*), coalesce(sum(event_count), 0) FROM {MARTS_SCHEMA}.groups"
        ).fetchone()
        n_users, n_anon, n_memberships = con.execute(f"""
            SELECT count(DISTINCT user_id),
                   count(DISTINCT member_id) FILTER (WHERE member_type = 'anonymous'),
                   count(*)
            FROM {MARTS_SCHEMA}.user_group_memberships""").fetchone()
        n_keys, n_changes = con.execute(f"""
            SELECT count(DISTINCT trait_key), count(*) FROM {MARTS_SCHEMA}.group_trait_history""").fetchone()
        console.print(
            f"[bold]{n_groups:,}[/] groups from [bold]{n_events:,}[/] calls; "
            f"[bold]{n_users:,}[/] users and {n_anon:,} anonymous visitors in {n_memberships:,} memberships; "
            f"{n_keys:,} distinct traits, {n_changes:,} trait changes in the history."
        )

        top = con.execute(f"""
            SELECT trait_key, count(*) FILTER (WHERE NOT is_null) AS groups_with_value,
                   count(*) FILTER (WHERE is_null) AS cleared,
                   mode(value_type) FILTER (WHERE NOT is_null) AS usual_type
            FROM {MARTS_SCHEMA}.group_traits_latest
            GROUP BY trait_key
            ORDER BY groups_with_value DESC, trait_key
            LIMIT 10""").fetchall()
        if top:
            table = Table(title="top traits", title_justify="left")
            table.add_column("trait")
            table.add_column("groups with a value", justify="right")
            table.add_column("cleared", justify="right")
            table.add_column("type")
            for key, with_value, cleared, usual in top:
                table.add_row(key, _fmt(with_value), _fmt(cleared), usual or "")
            console.print(table)

        sample = con.execute(f"""
            SELECT group_id, name, plan, employees, member_count, event_count, last_seen_at
            FROM {MARTS_SCHEMA}.groups
            ORDER BY member_count DESC, event_count DESC, group_id
            LIMIT 5""").fetchall()
        if sample:
            table = Table(
                title="groups (most members first, times in UTC)",
                title_justify="left",
                box=box.SIMPLE_HEAD,
                pad_edge=False,
                show_edge=False,
                collapse_padding=True,
            )
            for col in ("group", "name", "plan", "employees", "members", "calls", "last seen"):
                table.add_column(
                    col,
                    justify="right" if col in ("employees", "members", "calls") else "left",
                    no_wrap=True,
                    overflow="ellipsis",
                )
            for *row, last_seen in sample:
                # minutes are enough here, and keep the table inside an 80-column terminal
                table.add_row(
                    *(_fmt(v) for v in row),
                    last_seen.strftime("%Y-%m-%d %H:%M")
                    if isinstance(last_seen, datetime)
                    else _fmt(last_seen),
                )
            console.print(table)

        example = con.execute(f"""
            SELECT group_type, group_id, max(valid_from) FROM {MARTS_SCHEMA}.group_trait_history
            GROUP BY group_type, group_id ORDER BY count(*) DESC, group_type, group_id LIMIT 1""").fetchone()
        group_type, group, as_of = example if example else ("default", "G", datetime(2024, 1, 1))
        as_of_text = (
            as_of.strftime("%Y-%m-%d %H:%M:%S") if isinstance(as_of, datetime) else str(as_of)
        )
        console.print(
            "[bold]Example queries[/] (the marts are tables in the warehouse's default schema):"
        )
        for title, sql in example_queries(str(group), str(group_type), as_of_text):
            console.print(f"-- {title}", style="dim", highlight=False)
            console.print(
                Syntax(sql, "sql", theme="ansi_dark", background_color="default", word_wrap=True)
            )
    finally:
        con.close()
