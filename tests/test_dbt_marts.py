"""The dbt marts end to end (SPEC §4, §5): NDJSON -> `grouplake load` -> `grouplake build` -> exact rows.

One hand-written scenario, loaded in two batches (the second one late and partly older), one
`dbt build`; every test below reads the marts of that one warehouse.
"""

from __future__ import annotations

import json

import pytest

from helpers import Warehouse, call, utc

BATCH_1 = [
    call(
        "m1",
        "g1",
        "2024-01-01T10:00:00Z",
        user_id="u1",
        anonymous_id="a1",
        traits={
            "name": "Acme",
            "Plan": "free",
            "employees": "250",
            "createdAt": "2020-05-01T12:00:00+02:00",
            "address": {"city": "Paris", "postalCode": "75001"},
            "tags": ["b2b", "eu"],
        },
    ),
    call(
        "m2",
        "g1",
        "2024-01-02T00:00:00Z",
        anonymous_id="a2",
        traits={"plan": "pro", "industry": "Software"},
    ),
    # a trait-only update (no userId, no anonymousId): clears the address, unparseable employees
    call("m3", "g1", "2024-01-03T00:00:00Z", traits={"address": None, "employees": "many"}),
    # same plan again (not a change); a2 is now known to be u2
    call(
        "m4",
        "g1",
        "2024-01-04T00:00:00Z",
        user_id="u2",
        anonymous_id="a2",
        traits={"plan": "pro", "total billed": 1200},
    ),
    # numeric groupId, anonymous-only member, unix seconds created_at, numeric employees
    call(
        "m5",
        42,
        "2024-01-02T00:00:00Z",
        anonymous_id="a9",
        traits={"name": "Beta", "created_at": 1700000000, "employees": 12},
    ),
    call("m6", 42, "2024-01-03T00:00:00Z", user_id="u1", traits=None),
    # unix milliseconds; two spellings of `name` in one call: `name` wins over `Name`
    call(
        "m7",
        "g3",
        "2024-01-01T00:00:00Z",
        user_id="u3",
        traits={
            "CreatedAt": 1700000000000,
            "website": "https://gamma.example",
            "Name": "Gamma",
            "name": "Gamma Inc",
        },
    ),
]

BATCH_2 = [
    # late: older than m2..m4, newer than m1
    call(
        "m8",
        "g1",
        "2024-01-01T12:00:00Z",
        user_id="u1",
        traits={"plan": "trial", "address": {"street": "1 Rue X"}, "name": "Acme SA"},
    ),
    # very late: older than everything of g1
    call(
        "m9",
        "g1",
        "2023-12-31T00:00:00Z",
        traits={"industry": "Hardware", "phone": "+33 1 00 00 00 00"},
    ),
    # a duplicate of m1 (dropped by the loader, and never seen twice by the models)
    call(
        "m1",
        "g1",
        "2024-01-01T10:00:00Z",
        user_id="u1",
        anonymous_id="a1",
        traits={"name": "DUPLICATE"},
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Warehouse:
    wh = Warehouse(tmp_path_factory.mktemp("dbt_marts"))
    a = wh.write("a.ndjson", BATCH_1)
    b = wh.write("b.ndjson", BATCH_2)
    for path in (a, b):
        res = wh.cli("load", str(path))
        assert res.returncode == 0, res.stdout + res.stderr
    dbt_dir = wh.root / "dbt"
    res = wh.cli(
        "build",
        "--with-unit-tests",
        "--target-path",
        str(dbt_dir / "target"),
        "--log-path",
        str(dbt_dir / "logs"),
    )
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    wh.build_output = res.stdout
    return wh


def test_build_runs_models_data_tests_and_unit_tests(built):
    out = built.build_output
    assert "Completed successfully" in out
    assert "ERROR=0" in out and "WARN=0" in out
    for model in (
        "stg_grouplake__group_events",
        "int_group_trait_writes",
        "int_group_trait_changes",
        "groups",
        "group_traits_latest",
        "user_group_memberships",
        "group_trait_history",
    ):
        assert model in out
    assert "unit_test" in out or "::" in out  # unit tests ran as part of build
    assert (
        "unique_combination_of_columns" in out
        and "relationships" in out
        and "accepted_values" in out
    )


def test_marts_are_plain_tables_in_the_default_schema(built):
    rows = built.query(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' ORDER BY table_name"
    )
    assert rows == [
        ("group_trait_catalog", "BASE TABLE"),
        ("group_trait_history", "BASE TABLE"),
        ("group_traits_latest", "BASE TABLE"),
        ("groups", "BASE TABLE"),
        ("user_group_memberships", "BASE TABLE"),
    ]
    assert built.scalar("SELECT count(*) FROM groups") == 3  # unqualified, as an analyst would


def test_groups_exact_rows(built):
    rows = built.query("""
        SELECT group_id, name, industry, plan, website, phone, employees, created_at,
               address_city, address_postal_code, address_street,
               traits::VARCHAR, trait_count, first_seen_at, last_seen_at, event_count, member_count
        FROM groups ORDER BY group_id""")
    assert rows == [
        (
            "42",
            "Beta",
            None,
            None,
            None,
            None,
            12,
            utc(2023, 11, 14, 22, 13, 20),
            None,
            None,
            None,
            '{"created_at":1700000000,"employees":12,"name":"Beta"}',
            3,
            utc(2024, 1, 2),
            utc(2024, 1, 3),
            2,
            2,
        ),
        (
            "g1",
            "Acme SA",
            "Software",
            "pro",
            None,
            "+33 1 00 00 00 00",
            None,  # "many" does not parse: null here, kept in traits
            utc(2020, 5, 1, 10),
            None,
            None,
            None,
            '{"created_at":"2020-05-01T12:00:00+02:00","employees":"many","industry":"Software",'
            '"name":"Acme SA","phone":"+33 1 00 00 00 00","plan":"pro","tags":["b2b","eu"],"total_billed":1200}',
            12,
            utc(2023, 12, 31),
            utc(2024, 1, 4),
            6,
            2,
        ),
        (
            "g3",
            "Gamma Inc",
            None,
            None,
            "https://gamma.example",
            None,
            None,
            utc(2023, 11, 14, 22, 13, 20),
            None,
            None,
            None,
            '{"created_at":1700000000000,"name":"Gamma Inc","website":"https://gamma.example"}',
            3,
            utc(2024, 1, 1),
            utc(2024, 1, 1),
            1,
            1,
        ),
    ]


def test_group_traits_latest_exact_rows(built):
    rows = built.query("""
        SELECT trait_key, original_key, value::VARCHAR, value_type, is_null, updated_at, message_id,
               last_written_at, change_count
        FROM group_traits_latest WHERE group_id = 'g1' ORDER BY trait_key""")
    assert rows == [
        ("address", "address", None, "null", True, utc(2024, 1, 3), "m3", utc(2024, 1, 3), 1),
        ("address.city", "address", None, "null", True, utc(2024, 1, 3), "m3", utc(2024, 1, 3), 2),
        (
            "address.postal_code",
            "address",
            None,
            "null",
            True,
            utc(2024, 1, 3),
            "m3",
            utc(2024, 1, 3),
            2,
        ),
        (
            "address.street",
            "address",
            None,
            "null",
            True,
            utc(2024, 1, 3),
            "m3",
            utc(2024, 1, 3),
            2,
        ),
        (
            "created_at",
            "createdAt",
            '"2020-05-01T12:00:00+02:00"',
            "string",
            False,
            utc(2024, 1, 1, 10),
            "m1",
            utc(2024, 1, 1, 10),
            1,
        ),
        (
            "employees",
            "employees",
            '"many"',
            "string",
            False,
            utc(2024, 1, 3),
            "m3",
            utc(2024, 1, 3),
            2,
        ),
        (
            "industry",
            "industry",
            '"Software"',
            "string",
            False,
            utc(2024, 1, 2),
            "m2",
            utc(2024, 1, 2),
            2,
        ),
        (
            "name",
            "name",
            '"Acme SA"',
            "string",
            False,
            utc(2024, 1, 1, 12),
            "m8",
            utc(2024, 1, 1, 12),
            2,
        ),
        (
            "phone",
            "phone",
            '"+33 1 00 00 00 00"',
            "string",
            False,
            utc(2023, 12, 31),
            "m9",
            utc(2023, 12, 31),
            1,
        ),
        ("plan", "plan", '"pro"', "string", False, utc(2024, 1, 2), "m2", utc(2024, 1, 4), 3),
        (
            "tags",
            "tags",
            '["b2b","eu"]',
            "array",
            False,
            utc(2024, 1, 1, 10),
            "m1",
            utc(2024, 1, 1, 10),
            1,
        ),
        (
            "total_billed",
            "total billed",
            "1200",
            "number",
            False,
            utc(2024, 1, 4),
            "m4",
            utc(2024, 1, 4),
            1,
        ),
    ]
    g3 = built.query(
        "SELECT trait_key, original_key, value_text FROM group_traits_latest "
        "WHERE group_id = 'g3' ORDER BY trait_key"
    )
    assert g3 == [
        ("created_at", "CreatedAt", "1700000000000"),
        ("name", "name", "Gamma Inc"),
        ("website", "website", "https://gamma.example"),
    ]


def test_group_trait_history_exact_rows(built):
    rows = built.query("""
        SELECT trait_key, change_seq, value_text, value_type, write_kind, valid_from, valid_to, is_current,
               message_id, original_key, write_count
        FROM group_trait_history
        WHERE group_id = 'g1' AND trait_key IN ('plan', 'name', 'industry', 'address.street', 'address.city')
        ORDER BY trait_key, change_seq""")
    assert rows == [
        (
            "address.city",
            1,
            "Paris",
            "string",
            "value",
            utc(2024, 1, 1, 10),
            utc(2024, 1, 3),
            False,
            "m1",
            "address.city",
            1,
        ),
        (
            "address.city",
            2,
            None,
            "null",
            "parent_cleared",
            utc(2024, 1, 3),
            None,
            True,
            "m3",
            "address",
            1,
        ),
        # written by a late batch, but before the clear: cleared too
        (
            "address.street",
            1,
            "1 Rue X",
            "string",
            "value",
            utc(2024, 1, 1, 12),
            utc(2024, 1, 3),
            False,
            "m8",
            "address.street",
            1,
        ),
        (
            "address.street",
            2,
            None,
            "null",
            "parent_cleared",
            utc(2024, 1, 3),
            None,
            True,
            "m3",
            "address",
            1,
        ),
        # the very late, oldest write goes first, and does not overwrite the newer value
        (
            "industry",
            1,
            "Hardware",
            "string",
            "value",
            utc(2023, 12, 31),
            utc(2024, 1, 2),
            False,
            "m9",
            "industry",
            1,
        ),
        (
            "industry",
            2,
            "Software",
            "string",
            "value",
            utc(2024, 1, 2),
            None,
            True,
            "m2",
            "industry",
            1,
        ),
        (
            "name",
            1,
            "Acme",
            "string",
            "value",
            utc(2024, 1, 1, 10),
            utc(2024, 1, 1, 12),
            False,
            "m1",
            "name",
            1,
        ),
        ("name", 2, "Acme SA", "string", "value", utc(2024, 1, 1, 12), None, True, "m8", "name", 1),
        (
            "plan",
            1,
            "free",
            "string",
            "value",
            utc(2024, 1, 1, 10),
            utc(2024, 1, 1, 12),
            False,
            "m1",
            "Plan",
            1,
        ),
        (
            "plan",
            2,
            "trial",
            "string",
            "value",
            utc(2024, 1, 1, 12),
            utc(2024, 1, 2),
            False,
            "m8",
            "plan",
            1,
        ),
        # m4 re-sent "pro": not a new row, folded in (write_count 2)
        ("plan", 3, "pro", "string", "value", utc(2024, 1, 2), None, True, "m2", "plan", 2),
    ]
    assert built.scalar("SELECT count(*) FROM group_trait_history") == 26  # g1: 20, 42: 3, g3: 3


def test_traits_of_a_group_as_of_a_date(built):
    def as_of(ts: str):
        return built.query(
            """
            SELECT trait_key, value_text FROM group_trait_history
            WHERE group_id = 'g1' AND valid_from <= ?::TIMESTAMPTZ
              AND (valid_to IS NULL OR valid_to > ?::TIMESTAMPTZ) AND NOT is_null
            ORDER BY trait_key""",
            [ts, ts],
        )

    assert as_of("2024-01-01 11:00:00+00") == [
        ("address.city", "Paris"),
        ("address.postal_code", "75001"),
        ("created_at", "2020-05-01T12:00:00+02:00"),
        ("employees", "250"),
        ("industry", "Hardware"),
        ("name", "Acme"),
        ("phone", "+33 1 00 00 00 00"),
        ("plan", "free"),
        ("tags", '["b2b","eu"]'),
    ]
    assert as_of("2024-01-02 12:00:00+00") == [
        ("address.city", "Paris"),
        ("address.postal_code", "75001"),
        ("address.street", "1 Rue X"),
        ("created_at", "2020-05-01T12:00:00+02:00"),
        ("employees", "250"),
        ("industry", "Software"),
        ("name", "Acme SA"),
        ("phone", "+33 1 00 00 00 00"),
        ("plan", "pro"),
        ("tags", '["b2b","eu"]'),
    ]
    assert as_of("2023-01-01 00:00:00+00") == []


def test_user_group_memberships_exact_rows(built):
    rows = built.query("""
        SELECT group_id, member_type, member_id, user_id, anonymous_id, anonymous_id_count,
               first_seen_at, last_seen_at, event_count
        FROM user_group_memberships ORDER BY group_id, member_type, member_id""")
    assert rows == [
        # a9 was never seen with a userId: an anonymous member
        ("42", "anonymous", "a9", None, "a9", 1, utc(2024, 1, 2), utc(2024, 1, 2), 1),
        ("42", "user", "u1", "u1", None, 0, utc(2024, 1, 3), utc(2024, 1, 3), 1),
        ("g1", "user", "u1", "u1", "a1", 1, utc(2024, 1, 1, 10), utc(2024, 1, 1, 12), 2),
        # m2 came with only anonymousId a2; m4 says a2 is u2: one member, no separate anonymous row.
        # trait-only calls m3 and m9 create no membership.
        ("g1", "user", "u2", "u2", "a2", 1, utc(2024, 1, 2), utc(2024, 1, 4), 2),
        ("g3", "user", "u3", "u3", None, 0, utc(2024, 1, 1), utc(2024, 1, 1), 1),
    ]


def test_staging_dropped_the_duplicate(built):
    assert built.scalar("SELECT count(*) FROM raw.group_events") == 9
    assert built.scalar("SELECT count(*) FROM main_staging.stg_grouplake__group_events") == 9
    assert (
        built.scalar(
            "SELECT value_text FROM group_trait_history WHERE group_id = 'g1' "
            "AND trait_key = 'name' AND change_seq = 1"
        )
        == "Acme"
    )


def test_summary_and_example_queries_run_on_the_built_warehouse(built):
    from io import StringIO

    from rich.console import Console

    from grouplake.summary import example_queries, print_summary

    buf = StringIO()
    print_summary(built.path, Console(file=buf, width=200, color_system=None))
    text = buf.getvalue()
    assert "3 groups from 9 calls" in text
    assert "top traits" in text and "Acme SA" in text
    for _, sql in example_queries("g1", "default", "2024-01-02 00:00:00"):
        built.query(sql)


def test_build_excludes_unit_tests_unless_asked(built):
    """`grouplake build` runs models and data tests; the unit tests only with --with-unit-tests."""
    target = built.root / "dbt-select" / "target"

    def kinds(*flags: str) -> dict[str, int]:
        res = built.cli(
            "build", *flags, "--select", "stg_grouplake__group_events", "--target-path", str(target)
        )
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        results = json.loads((target / "run_results.json").read_text())["results"]
        counts: dict[str, int] = {}
        for r in results:
            kind = r["unique_id"].split(".")[0]
            counts[kind] = counts.get(kind, 0) + 1
            assert r["status"] in ("success", "pass"), r
        return counts

    default = kinds()
    assert default.get("model") == 1 and default.get("test", 0) > 0
    assert "unit_test" not in default
    with_unit = kinds("--with-unit-tests")
    assert with_unit.get("unit_test", 0) >= 1
    assert with_unit.get("test") == default["test"]
    # dbt's own resource-type flags decide when given: no data tests here, so the unit tests run
    no_data_tests = kinds("--exclude-resource-type", "test")
    no_data_tests.pop("operation", None)  # the project's run hooks, whatever is selected
    assert no_data_tests == {"model": 1, "unit_test": with_unit["unit_test"]}
