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
    # narrowed: a mart test to the changed groups, staging to the new message ids, raw to new batches
    sql = results[HISTORY_TYPES]["compiled_code"]
    assert "grouplake_data_tests_passed" in sql and "group_id in (" in sql
    sql = results["not_null_columns_stg_grouplake__group_events"]["compiled_code"]
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
    # bad rows in the kept history (rows before the anchor are not rewritten) of g1, which the
    # next batch changes, and of g2, which it does not touch
    tamper(
        wh,
        "UPDATE main.group_trait_history SET value_type = 'bogus', message_id = NULL "
        "WHERE change_seq = 1 AND group_id IN ('g1', 'g2')",
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
