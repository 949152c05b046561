"""Data tests of an incremental build check only the rows it may have changed
(dbt_project/macros/test_scope/changed_rows.sql, docs/models.md "Tests").

One warehouse, built batch by batch with `grouplake build`:
- the first build (no record yet) checks whole tables and records every test as passed through
  the newest batch; the next one runs narrowed: the compiled SQL carries the predicate;
- a violation in the rows a build changed fails that build, and every build after it until one
  passes (a failed build records nothing), while the same violation in an untouched group is
  left to the full checks (`--vars '{grouplake_full_data_tests: true}'`, `--full-refresh`).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from helpers import Warehouse, call

STATE = "main_staging.grouplake_data_tests_passed"
HISTORY_TYPES = "accepted_values_group_trait_history_value_type"
HISTORY_NOT_NULL = "not_null_columns_group_trait_history"


class Results(dict):
    """dbt's run_results.json of the last build, by node name; `[prefix]` finds the one node
    whose name starts with it (generic tests' names end with their arguments)."""

    def __getitem__(self, prefix: str) -> dict:
        [hit] = [r for name, r in self.items() if name.startswith(prefix)]
        return hit


def build(wh: Warehouse, *args: str) -> tuple:
    res = wh.cli("build", *args)
    run_results = Path(f"{wh.path}.dbt") / "target" / "run_results.json"
    results = json.loads(run_results.read_text())["results"]
    return res, Results({r["unique_id"].split(".")[2]: r for r in results})


def tamper(wh: Warehouse, sql: str) -> None:
    con = duckdb.connect(str(wh.path))
    try:
        con.execute(sql)
    finally:
        con.close()


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("test_scope"))
    wh.load(
        wh.write(
            "b1.ndjson",
            [
                call("m1", "g1", "2024-03-01T09:00:00Z", {"plan": "a"}, user_id="u1"),
                call("m2", "g2", "2024-03-01T09:00:00Z", {"plan": "x"}, user_id="u2"),
            ],
        )
    )
    return wh


def test_a_build_records_its_tests_and_the_next_one_runs_them_narrowed(wh):
    res, results = build(wh)
    assert res.returncode == 0, res.stdout[-3000:]
    # every data test passed through batch 1 (no run row left behind)
    rows = wh.query(f"SELECT count(*), min(tested_through), max(tested_through) FROM {STATE}")
    n_tests = rows[0][0]
    assert n_tests > 30 and rows[0][1:] == (1, 1)
    assert wh.scalar(f"SELECT count(*) FROM {STATE} WHERE test_id LIKE 'run:%'") == 0

    wh.load(
        wh.write(
            "b2.ndjson", [call("m3", "g1", "2024-03-02T09:00:00Z", {"plan": "b"}, user_id="u1")]
        )
    )
    res, results = build(wh)
    assert res.returncode == 0, res.stdout[-3000:]
    assert wh.query(f"SELECT count(*), min(tested_through) FROM {STATE}") == [(n_tests, 2)]
    # narrowed: the history to the changed (group, trait) pairs, the memberships to the groups
    # the model rewrites, staging to the new message ids, raw to new batches
    sql = results["not_null_columns_group_traits_latest"]["compiled_code"]
    assert "grouplake_data_tests_passed" in sql
    assert "(group_type, group_id, trait_key) in (" in sql
    sql = results["not_null_columns_user_group_memberships"]["compiled_code"]
    assert "grouplake_data_tests_passed" in sql and "grouplake_touched" in sql
    # row-local and change_seq tests of the history: its changed tail, from one before the first
    # changed change on; the unique message_id per pair: the whole pairs
    for test in ("assert_history_no_repeated_values", HISTORY_TYPES, HISTORY_NOT_NULL):
        sql = results[test]["compiled_code"]
        assert "grouplake_data_tests_passed" in sql and "grouplake_tail" in sql, test
    sql = results[
        "unique_combination_of_columns_group_trait_history_group_type__group_id__trait_key__message_id"
    ]["compiled_code"]
    assert "grouplake_tail" not in sql and "(group_type, group_id, trait_key) in (" in sql
    # staging: the row-local tests its new batches, the unique key every row of a new message_id
    sql = results["not_null_columns_stg_grouplake__group_events"]["compiled_code"]
    assert "where batch_id > coalesce((select max(tested_through)" in sql
    sql = results["unique_stg_grouplake__group_events_message_id"]["compiled_code"]
    assert "message_id in (select message_id from" in sql
    sql = results["source_not_null_columns_grouplake_group_events"]["compiled_code"]
    assert "batch_id > coalesce((select max(tested_through)" in sql
    sql = results["assert_history_one_current_row_per_trait"]["compiled_code"]
    assert "grouplake_data_tests_passed" in sql
    # the catalog is rebuilt whole on every run: its tests stay whole
    sql = results["unique_combination_of_columns_group_trait_catalog"]["compiled_code"]
    assert "grouplake_data_tests_passed" not in sql
    assert all(r["status"] in ("pass", "success") for r in results.values())


def test_a_violation_in_the_changed_rows_fails_until_fixed(wh):
    # bad rows: g1's current change b(2), which the next batch appends to (the anchor: carried
    # into the rewritten tail as it is), and g2's only change, which it does not touch
    tamper(
        wh,
        "UPDATE main.group_trait_history SET value_type = 'bogus', message_id = NULL "
        "WHERE (group_id = 'g1' AND change_seq = 2) OR (group_id = 'g2' AND change_seq = 1)",
    )
    wh.load(
        wh.write(
            "b3.ndjson", [call("m4", "g1", "2024-03-03T09:00:00Z", {"plan": "c"}, user_id="u1")]
        )
    )
    res, results = build(wh)
    assert res.returncode == 1
    assert "dbt build failed" in res.stderr
    # the narrowed tests saw g1's row only
    assert (results[HISTORY_TYPES]["status"], results[HISTORY_TYPES]["failures"]) == ("fail", 1)
    assert results[HISTORY_NOT_NULL]["failures"] == 1
    # a failed build records nothing: the next one (no new data) checks the same rows again
    assert wh.scalar(f"SELECT max(tested_through) FROM {STATE}") == 2
    res, results = build(wh)
    assert res.returncode == 1 and results[HISTORY_NOT_NULL]["failures"] == 1

    # the full checks see both groups
    res, results = build(wh, "--vars", "{grouplake_full_data_tests: true}")
    assert res.returncode == 1 and results[HISTORY_NOT_NULL]["failures"] == 2
    assert "grouplake_data_tests_passed" not in results[HISTORY_TYPES]["compiled_code"]

    # a full refresh rebuilds the tables, checks them whole and records them
    res, results = build(wh, "--full-refresh")
    assert res.returncode == 0, res.stdout[-3000:]
    assert results[HISTORY_NOT_NULL]["failures"] == 0
    assert wh.scalar(f"SELECT min(tested_through) FROM {STATE}") == 3


def test_consecutive_changes_are_checked_from_the_changed_tail_on(wh):
    # g1's plan is a(1), b(2), c(3); make b a repeat of a: a violation before the tail of the
    # next build (it appends d after the current change c: the tail is c, d)
    tamper(
        wh,
        "UPDATE main.group_trait_history SET value = '\"a\"', value_text = 'a' "
        "WHERE group_id = 'g1' AND trait_key = 'plan' AND change_seq = 2",
    )
    wh.load(
        wh.write(
            "b4.ndjson", [call("m5", "g1", "2024-03-04T09:00:00Z", {"plan": "d"}, user_id="u1")]
        )
    )
    res, results = build(wh)
    assert res.returncode == 0, res.stdout[-3000:]
    assert results["assert_history_no_repeated_values"]["failures"] == 0
    # the other history tests check the whole pair: its rows are unchanged (and pass)
    assert wh.query(
        "SELECT change_seq, value_text FROM main.group_trait_history "
        "WHERE group_id = 'g1' ORDER BY change_seq"
    ) == [(1, "a"), (2, "a"), (3, "c"), (4, "d")]
    # the full checks see it
    res, results = build(wh, "--vars", "{grouplake_full_data_tests: true}")
    assert res.returncode == 1
    assert results["assert_history_no_repeated_values"]["failures"] == 1
