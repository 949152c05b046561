"""`grouplake run data/sample` — the README's main command — end to end, with exact outcomes.

The sample (data/sample/README.md) carries the tricky cases on purpose; this checks each one
in the marts an analyst would query. The run is the session's ``sample`` fixture (conftest.py);
the README's example queries are checked by test_docs.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import SAMPLE_DIR


def test_run_prints_load_counts_and_an_analyst_summary(sample):
    assert "355 = 344 + 8 + 2 + 1" in sample.output
    assert "13 groups" in sample.output
    assert "group_trait_history" in sample.output  # the example "as of" query


def test_groups_have_one_row_each_with_typed_reserved_traits(sample):
    assert sample.scalar("SELECT count(*) FROM groups") == 13
    numeric = sample.query(
        "SELECT name, employees, created_at, traits->>'$.employees' FROM groups WHERE group_id = '4242'"
    )
    # employees "about 50" does not parse: null in the typed column, kept in the JSON;
    # created_at sent as unix milliseconds
    assert numeric == [("Numeric Ltd", None, datetime(2019, 3, 4, 10, 0, tzinfo=UTC), "about 50")]


def test_late_older_event_does_not_overwrite_newer_traits(sample):
    # the late file carries {"plan": "trial", "employees": 3} for acme-1, a day older than anything else
    row = sample.query("SELECT employees, plan FROM groups WHERE group_id = 'acme-1'")[0]
    assert row[0] == 1200 and row[1] != "trial"
    history = sample.query(
        "SELECT value_text FROM group_trait_history WHERE group_id = 'acme-1' "
        "AND trait_key = 'employees' ORDER BY valid_from"
    )
    assert history[0] == ("3",)  # it is the oldest history row, not the current one
    assert sample.scalar(
        "SELECT value_text FROM group_traits_latest WHERE group_id = 'acme-1' AND trait_key = 'employees'"
    ) in ("1200",)


def test_explicit_nulls_clear_and_address_null_clears_every_leaf(sample):
    soylent = sample.query("SELECT plan, website, name FROM groups WHERE group_id = 'soylent'")[0]
    assert soylent == (None, None, "Soylent")
    cleared = sample.query(
        "SELECT trait_key, value_text FROM group_traits_latest "
        "WHERE group_id = 'soylent' AND trait_key IN ('plan', 'website') ORDER BY 1"
    )
    assert cleared == [("plan", None), ("website", None)]  # present, with a null value
    tyrell = sample.query(
        "SELECT trait_key, value_text FROM group_traits_latest "
        "WHERE group_id = 'tyrell' AND trait_key LIKE 'address.%'"
    )
    assert tyrell and all(v is None for _, v in tyrell)


def test_trait_keys_are_canonical_and_keep_the_original_spelling(sample):
    keys = {k for (k,) in sample.query("SELECT DISTINCT trait_key FROM group_traits_latest")}
    assert {
        "created_at",
        "total_billed",
        "address.postal_code",
        "is_trial",
        "account_manager",
    } <= keys
    assert not any(k != k.lower() or " " in k for k in keys)
    originals = {
        o
        for (o,) in sample.query(
            "SELECT DISTINCT original_key FROM group_traits_latest WHERE trait_key = 'created_at'"
        )
    }
    assert originals <= {"createdAt", "created_at"} and originals


def test_anonymous_visitor_is_stitched_to_the_user_who_logged_in(sample):
    rows = sample.query(
        "SELECT member_type, user_id, event_count FROM user_group_memberships "
        "WHERE group_id = 'initech' AND (user_id = 'user_042' OR anonymous_id = 'anon-visitor-42')"
    )
    assert rows == [("user", "user_042", 2)]
    # the trait-only update (no user, no anonymous id) is an event of the group but no membership
    assert (
        sample.scalar(
            "SELECT count(*) FROM user_group_memberships WHERE user_id IS NULL AND anonymous_id IS NULL"
        )
        == 0
    )


def test_numeric_user_id_and_every_event_is_counted_once(sample):
    assert sample.query("SELECT user_id FROM user_group_memberships WHERE group_id = '4242'") == [
        ("9001",)
    ]
    assert sample.scalar("SELECT sum(event_count) FROM groups") == 344


def test_customer_io_objects_types_attributes_leaves_and_deletion(sample):
    # object id 42 is a company (objectTypeId 1) and a school (2): two groups
    assert sample.query(
        "SELECT group_type, name, member_count, active_member_count, is_deleted FROM groups "
        "WHERE group_id = '42' ORDER BY group_type"
    ) == [("1", "Vandelay Industries", 3, 2, False), ("2", "Springfield Elementary", 2, 0, True)]
    assert sample.query(
        "SELECT member_id, attributes::VARCHAR, is_active, left_at IS NOT NULL FROM user_group_memberships "
        "WHERE group_type = '1' AND group_id = '42' ORDER BY member_id"
    ) == [
        ("user_001", '{"role":"owner"}', True, False),
        ("user_002", '{"role":"member","seat":"A-12"}', False, True),  # left (Relationship Deleted)
        ("user_003", "{}", True, False),
    ]
    # the school's deletion ended its memberships
    assert (
        sample.scalar(
            "SELECT count(*) FROM user_group_memberships WHERE group_type = '2' AND NOT is_active "
            "AND left_at = (SELECT deleted_at FROM groups WHERE group_type = '2' AND group_id = '42')"
        )
        == 2
    )
    # control fields are not traits; the catalog sees both types of employees for the company
    assert (
        sample.scalar(
            "SELECT count(*) FROM group_traits_latest WHERE trait_key LIKE '%object_type%' "
            "OR trait_key LIKE 'relationship%'"
        )
        == 0
    )
    assert sample.query(
        "SELECT value_types::VARCHAR, has_type_conflict FROM group_trait_catalog "
        "WHERE group_type = '1' AND trait_key = 'employees'"
    ) == [('{"number":1,"string":1}', True)]
    assert sample.query(
        "SELECT DISTINCT library_name, channel, write_key FROM main_staging.stg_grouplake__group_events "
        "WHERE group_id = '42'"
    ) == [("customerio-cdp", "server", "cio_source_1")]


def test_running_the_demo_again_with_a_full_refresh_changes_nothing(sample):
    before = sample.query("SELECT * FROM group_trait_history ORDER BY ALL")
    # extra options after the paths go to dbt
    again = sample.cli("run", str(SAMPLE_DIR), "--full-refresh")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 loaded, 4 skipped" in again.stdout
    assert "PASS=" in again.stdout and "ERROR=0" in again.stdout
    assert sample.query("SELECT * FROM group_trait_history ORDER BY ALL") == before
