"""Incremental marts == full refresh (SPEC §5), with late, older events and a clear-only batch,
group types, relationship attributes, leaves and deleted groups (some of them late too).

Four batches are loaded one by one with `grouplake load`, and `grouplake build` runs after each
(incremental runs). Then `grouplake build --full-refresh` rebuilds everything from all the data:
every mart must be identical, row for row and column for column.
"""

from __future__ import annotations

import pytest

from helpers import Warehouse, call

TABLES = {
    "groups": "group_type, group_id",
    "group_traits_latest": "group_type, group_id, trait_key",
    "group_trait_history": "group_type, group_id, trait_key, change_seq",
    "user_group_memberships": "group_type, group_id, member_type, member_id",
    "group_trait_catalog": "group_type, trait_key",
    "main_intermediate.int_group_trait_writes": "message_id, trait_key",
    "main_intermediate.int_group_trait_catalog_counts": "group_type, trait_key, original_key, value_type",
    "main_staging.stg_grouplake__group_events": "message_id",
}


def track(message_id, event, group_id, ts, object_type_id=None, user_id=None) -> dict:
    """A Customer.io lifecycle track event (`Relationship Deleted` / `Object Deleted`)."""
    c = {
        "type": "track",
        "event": event,
        "messageId": message_id,
        "timestamp": ts,
        "userId": user_id,
        "context": {"groupId": group_id},
        "properties": {} if object_type_id is None else {"objectTypeId": object_type_id},
    }
    return {k: v for k, v in c.items() if v is not None}


def typed(object_type_id, traits=None, attributes=None) -> dict:
    """Traits of a call for an object of type object_type_id, with relationship attributes."""
    out = {"objectTypeId": object_type_id, **(traits or {})}
    if attributes is not None:
        out["relationshipAttributes"] = attributes
    return out


BATCHES = [
    # 1: the first load
    [
        call(
            "e1",
            "g1",
            "2024-01-01T00:00:00Z",
            {"plan": "free", "name": "A", "address": {"city": "Paris"}},
            user_id="u1",
            anonymous_id="a1",
        ),
        call("e2", "g1", "2024-01-05T00:00:00Z", {"plan": "pro"}, user_id="u1"),
        call("e3", "g2", "2024-01-02T00:00:00Z", {"name": "B"}, anonymous_id="a5"),
        call("e4", "g2", "2024-01-03T00:00:00Z", {"seats": [1, 2]}, user_id="u2"),
        call("e5", "g3", "2024-01-04T00:00:00Z", {}, anonymous_id="a5"),
        # group id 42 in three types: a company (1), a school (2) and the default type
        call(
            "t1",
            "42",
            "2024-01-01T00:00:00Z",
            typed(1, {"name": "Co"}, {"role": "admin"}),
            user_id="u1",
        ),
        call("t2", "42", "2024-01-01T00:00:00Z", typed(2, {"name": "School"}), user_id="u2"),
        call("t3", "42", "2024-01-02T00:00:00Z", {"name": "Plain"}, user_id="u3"),
        call(
            "t4",
            "42",
            "2024-01-03T00:00:00Z",
            typed("1", {"plan": "pro"}, {"seat": 3}),
            user_id="u4",
        ),
    ],
    # 2: late, older events: a value between two existing ones (which makes a later write a
    #    repeat), an oldest value, a new leaf, and a link a5 -> u9 that stitches g2's and g3's
    #    anonymous-only calls
    [
        call(
            "e6",
            "g1",
            "2024-01-03T00:00:00Z",
            {"plan": "pro", "address": {"zip": "75001"}},
            user_id="u1",
        ),
        call("e7", "g1", "2023-12-30T00:00:00Z", {"name": "Z"}),
        call("e8", "g4", "2024-01-01T00:00:00Z", {"name": "D"}, user_id="u9", anonymous_id="a5"),
        # u1 leaves company 42; a late, older attribute write (does not win); the school is deleted
        track("t5", "Relationship Deleted", "42", "2024-01-05T00:00:00Z", 1, user_id="u1"),
        call(
            "t6",
            "42",
            "2023-12-31T00:00:00Z",
            typed(1, attributes={"role": "viewer", "team": "x"}),
            user_id="u1",
        ),
        track("t7", "Object Deleted", "42", "2024-01-04T00:00:00Z", 2),
    ],
    # 3: only clears (trait-only calls), one of them late
    [
        call("e10", "g1", "2024-01-10T00:00:00Z", {"address": None}),
        call("e11", "g2", "2024-01-10T00:00:00Z", {"name": None}),
        call("e12", "g1", "2024-01-02T00:00:00Z", {"plan": None}),
        # u1 joins company 42 again and clears its role; a late leave of u4 from before its join
        call("t8", "42", "2024-01-06T00:00:00Z", typed(1, attributes={"role": None}), user_id="u1"),
        track("t9", "Relationship Deleted", "42", "2024-01-02T00:00:00Z", 1, user_id="u4"),
    ],
    # 4: repeats of current values, a late leaf written before the address clear, a new
    #    anonymous member, and an even earlier link of a5 (now to u8)
    [
        call("e13", "g1", "2024-01-11T00:00:00Z", {"plan": "pro", "name": "A"}, user_id="u1"),
        call("e14", "g1", "2024-01-09T00:00:00Z", {"address": {"country": "FR"}}),
        call("e15", "g5", "2024-01-01T00:00:00Z", {"x": 1}, anonymous_id="a7"),
        call("e16", "g2", "2024-01-12T00:00:00Z", {}, user_id="u2", anonymous_id="a6"),
        call("e17", "g6", "2023-12-01T00:00:00Z", {}, user_id="u8", anonymous_id="a5"),
        # a Group call revives the school; a late deletion of the company, between u1's leave
        # and its new join
        call("t10", "42", "2024-01-07T00:00:00Z", typed(2, {"plan": "edu"}), user_id="u5"),
        track("t11", "Object Deleted", "42", "2024-01-05T12:00:00Z", 1),
    ],
]


def snapshot(wh: Warehouse) -> dict[str, list[tuple]]:
    return wh.tables(TABLES)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("dbt_incremental"))
    dbt_dir = wh.root / "dbt"
    dbt_args = ["--target-path", str(dbt_dir / "target"), "--log-path", str(dbt_dir / "logs")]
    target = dbt_dir / "target"

    def build_sql(*extra: str) -> dict[str, str]:
        """Build; the compiled and the run SQL of every incremental model, by name."""
        res = wh.cli("build", *dbt_args, *extra)
        assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
        sql = {}
        for path in (target / "compiled").glob("grouplake/models/*/*.sql"):
            run_sql = target / "run" / path.relative_to(target / "compiled")
            sql[path.stem] = path.read_text() + (run_sql.read_text() if run_sql.exists() else "")
        return sql

    snaps, compiled, idle = [], [], None
    for i, batch in enumerate(BATCHES, start=1):
        path = wh.write(f"batch{i}.ndjson", batch)
        res = wh.cli("load", str(path))
        assert res.returncode == 0, res.stdout + res.stderr
        # the unit tests do not depend on the data: run them with the first build only
        compiled.append(build_sql(*(["--with-unit-tests"] if i == 1 else [])))
        snaps.append(snapshot(wh))
        if i == 2:
            # a build with no new data in between: every model skips, and the late events of
            # the next batches are still placed in time (the final snapshot = a full refresh)
            idle = (build_sql(), snapshot(wh))
    res = wh.cli("build", "--full-refresh", *dbt_args, "--exclude", "test_type:unit")
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    return wh, snaps, compiled, snapshot(wh), idle


INCREMENTAL_MODELS = [
    "stg_grouplake__group_events",
    "int_group_trait_writes",
    "int_anonymous_user_map",
    "int_group_trait_catalog_counts",
    "group_trait_history",
    "group_traits_latest",
    "user_group_memberships",
    "groups",
]
NOTHING_NEW = "where 1 = 0"


def test_runs_after_the_first_were_incremental(run):
    _, _, compiled, _, _ = run
    history = [c["group_trait_history"] for c in compiled]
    assert "cutoffs" not in history[0]  # first build: a full build
    assert all("cutoffs" in sql and "delete from" in sql.lower() for sql in history[1:])
    assert not any(NOTHING_NEW in c[m] for c in compiled for m in INCREMENTAL_MODELS)


def test_a_build_with_no_new_data_skips_every_model_and_changes_nothing(run):
    _, snaps, _, _, (idle_sql, idle_snap) = run
    assert idle_snap == snaps[1]
    for model in INCREMENTAL_MODELS:
        # the model selects no row (one query found nothing newer than its table) ...
        assert NOTHING_NEW in idle_sql[model], model
        # ... and the delete+insert strategy is left out
        if model not in ("stg_grouplake__group_events", "int_group_trait_writes"):
            assert "no new rows, nothing to delete or insert" in idle_sql[model], model
            assert "delete from" not in idle_sql[model].lower(), model


@pytest.mark.parametrize("table", list(TABLES))
def test_incremental_builds_equal_full_refresh(run, table):
    _, snaps, _, full, _ = run
    assert snaps[-1][table] == full[table]


def history(snap, group_id, trait_key, group_type="default"):
    return [
        (
            d["change_seq"],
            d["value_text"],
            d["write_kind"],
            d["valid_from"][:10],
            d["message_id"],
            d["write_count"],
        )
        for d in map(dict, snap["group_trait_history"])
        if d["group_type"] == group_type
        and d["group_id"] == group_id
        and d["trait_key"] == trait_key
    ]


def members(snap, group_id, group_type="default"):
    return [
        (d["member_type"], d["member_id"], d["event_count"])
        for d in map(dict, snap["user_group_memberships"])
        if d["group_type"] == group_type and d["group_id"] == group_id
    ]


def typed_members(snap, group_type):
    """(member_id, attributes, is_active, left_at day) of group 42 of the type."""
    return [
        (d["member_id"], d["attributes"], d["is_active"], d["left_at"] and d["left_at"][:13])
        for d in map(dict, snap["user_group_memberships"])
        if d["group_type"] == group_type and d["group_id"] == "42"
    ]


def typed_group(snap, group_type):
    """(name, plan, is_deleted, deleted_at, member_count, active_member_count) of group 42 of the type."""
    return [
        (
            d["name"],
            d["plan"],
            d["is_deleted"],
            d["deleted_at"] and d["deleted_at"][:13],
            d["member_count"],
            d["active_member_count"],
        )
        for d in map(dict, snap["groups"])
        if d["group_type"] == group_type and d["group_id"] == "42"
    ]


def test_late_older_events_are_placed_in_time(run):
    _, snaps, *_ = run
    s1, s2 = snaps[0], snaps[1]
    assert history(s1, "g1", "plan") == [
        ("1", "free", "value", "2024-01-01", "e1", "1"),
        ("2", "pro", "value", "2024-01-05", "e2", "1"),
    ]
    # e6 (pro at 01-03) arrives late: pro now starts at 01-03 and e2 is a repeat of it
    assert history(s2, "g1", "plan") == [
        ("1", "free", "value", "2024-01-01", "e1", "1"),
        ("2", "pro", "value", "2024-01-03", "e6", "2"),
    ]
    assert history(s2, "g1", "name") == [
        ("1", "Z", "value", "2023-12-30", "e7", "1"),
        ("2", "A", "value", "2024-01-01", "e1", "1"),
    ]
    # the link a5 -> u9 (batch 2) turns g2's and g3's anonymous members into u9
    assert members(s1, "g2") == [("anonymous", "a5", "1"), ("user", "u2", "1")]
    assert members(s2, "g2") == [("user", "u2", "1"), ("user", "u9", "1")]
    assert members(s2, "g3") == [("user", "u9", "1")]


def test_clear_only_batch(run):
    _, snaps, *_ = run
    s3 = snaps[2]
    assert history(s3, "g1", "plan") == [
        ("1", "free", "value", "2024-01-01", "e1", "1"),
        ("2", None, "null", "2024-01-02", "e12", "1"),
        ("3", "pro", "value", "2024-01-03", "e6", "2"),
    ]
    assert history(s3, "g1", "address.city") == [
        ("1", "Paris", "value", "2024-01-01", "e1", "1"),
        ("2", None, "parent_cleared", "2024-01-10", "e10", "1"),
    ]
    assert history(s3, "g1", "address.zip") == [
        ("1", "75001", "value", "2024-01-03", "e6", "1"),
        ("2", None, "parent_cleared", "2024-01-10", "e10", "1"),
    ]
    latest = {(d["group_id"], d["trait_key"]): d for d in map(dict, s3["group_traits_latest"])}
    assert latest[("g2", "name")]["is_null"] == "true" and latest[("g2", "name")]["value"] is None
    groups = {d["group_id"]: d for d in map(dict, s3["groups"])}
    assert groups["g2"]["name"] is None and groups["g2"]["traits"] == '{"seats":[1,2]}'
    assert groups["g1"]["traits"] == '{"name":"A","plan":"pro"}'


def test_repeats_late_leaf_and_earlier_link(run):
    _, snaps, *_ = run
    s4 = snaps[3]
    # repeats are folded into the current change
    assert history(s4, "g1", "plan")[-1] == ("3", "pro", "value", "2024-01-03", "e6", "3")
    assert history(s4, "g1", "name")[-1] == ("2", "A", "value", "2024-01-01", "e1", "2")
    # a leaf written (late) before the address clear is cleared by it
    assert history(s4, "g1", "address.country") == [
        ("1", "FR", "value", "2024-01-09", "e14", "1"),
        ("2", None, "parent_cleared", "2024-01-10", "e10", "1"),
    ]
    # a5 was seen with u8 before u9: the earliest link wins, in every group
    assert members(s4, "g2") == [("user", "u2", "2"), ("user", "u8", "1")]
    assert members(s4, "g3") == [("user", "u8", "1")]
    assert members(s4, "g4") == [("user", "u9", "1")]  # e8 carries userId u9 itself
    assert members(s4, "g5") == [("anonymous", "a7", "1")]


# ---- partial recompute of group_trait_history ---------------------------------------------
# An incremental run recomputes a (group, trait) only from its anchor: the last existing change
# before the earliest new one. The first batch builds a history for group p1; the second brings
# one case each: a late write splitting a run of repeats (an old one, and the current one), a
# late repeat of the anchor's value,
# a late write before the first one (no anchor), a late null parent between leaf writes, and
# writes after everything (pure appends, one a repeat of the current value).


def at(day, hour=0) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00Z"


PARTIAL_BATCHES = [
    [
        call(
            "a1",
            "p1",
            at(1),
            {
                "plan": "trial",
                "address": {"city": "Nice"},
                "industry": "agri",
                "stage": "lead",
                "score": 1,
            },
            user_id="u1",
        ),
        call(
            "a2",
            "p1",
            at(2),
            {"plan": "free", "name": "A", "address": {"city": "Paris"}, "region": "eu"},
        ),
        call("a3", "p1", at(3), {"plan": "free", "seats": 1, "region": "us", "score": 2}),
        call(
            "a4",
            "p1",
            at(4),
            {"plan": "free", "name": "B", "tier": "x", "industry": "tech", "score": 2},
        ),
        call(
            "a5",
            "p1",
            at(5),
            {"tier": "y", "seats": 2, "address": {"city": "Lyon"}, "stage": "won"},
        ),
        call("a6", "p1", at(6), {"plan": "pro", "tier": "z", "address": {"zip": "75001"}}),
        call("a7", "p1", at(7), {"plan": "pro", "industry": "tech", "score": 3}),
        call("a8", "p1", at(9), {"plan": "basic"}),
        call("a9", "p2", at(1), {"plan": "free"}),  # a group the second batch does not touch
        call("a10", "p1", at(2), {}, user_id="u2"),  # a second member of p1
    ],
    [
        call("b1", "p1", at(3, 12), {"plan": "enterprise"}),  # inside the run free(a2, a3, a4)
        # a repeat of the anchor A(a2); score: inside the run 2(a3, a4), after the anchor's run
        call("b2", "p1", at(3, 6), {"name": "A", "score": 9}),
        # before tier's first write; score: after the run 1(a1), before 2(a3)
        call("b3", "p1", at(1, 12), {"tier": "w", "score": 5}),
        # between Paris(a2) and Lyon(a5); stage: after the run lead(a1), and won(a5) repeats it
        call("b4", "p1", at(4, 12), {"address": None, "stage": "won"}),
        call("b5", "p1", at(10), {"region": "apac", "seats": 2}),  # after everything
        call("b6", "p1", at(5), {"industry": "retail"}),  # inside the current run tech(a4, a7)
        call("b7", "p1", at(8), {}, user_id="u1"),  # u1 again; u2 has no new call
    ],
]

KEPT = " (kept)"


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """(incremental snapshot, full-refresh snapshot, snapshot of the tagged copy).

    Before the incremental build, a copy of the warehouse gets every history row tagged (its
    original_key suffixed with KEPT), and every membership (its user_id): after the build, the
    tagged rows are the ones the run kept.
    """
    import shutil

    import duckdb

    wh = Warehouse(tmp_path_factory.mktemp("dbt_partial"))
    dbt_args = [
        "--target-path",
        str(wh.root / "dbt" / "target"),
        "--log-path",
        str(wh.root / "dbt" / "logs"),
        "--exclude",
        "test_type:unit",
    ]

    def build(w: Warehouse, *extra: str) -> None:
        res = w.cli("build", *dbt_args, *extra)
        assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]

    def copy(w: Warehouse, name: str) -> Warehouse:
        other = Warehouse(tmp_path_factory.mktemp(name))
        shutil.copy(w.path, other.path)
        return other

    for i, batch in enumerate(PARTIAL_BATCHES, start=1):
        res = wh.cli("load", str(wh.write(f"partial{i}.ndjson", batch)))
        assert res.returncode == 0, res.stdout + res.stderr
        if i == 1:
            build(wh)
    tagged = copy(wh, "dbt_partial_tagged")
    con = duckdb.connect(str(tagged.path))
    try:
        con.execute(f"UPDATE group_trait_history SET original_key = original_key || '{KEPT}'")
        con.execute(f"UPDATE user_group_memberships SET user_id = user_id || '{KEPT}'")
    finally:
        con.close()
    build(wh)
    build(tagged)
    full = copy(wh, "dbt_partial_full")
    build(full, "--full-refresh")
    return snapshot(wh), snapshot(full), snapshot(tagged)


@pytest.mark.parametrize("table", list(TABLES))
def test_partial_recompute_equals_full_refresh(partial, table):
    inc, full, _ = partial
    assert inc[table] == full[table]


def test_late_write_splits_a_run_of_repeats(partial):
    inc, _, _ = partial
    assert history(inc, "p1", "plan") == [
        ("1", "trial", "value", "2024-03-01", "a1", "1"),
        ("2", "free", "value", "2024-03-02", "a2", "2"),
        ("3", "enterprise", "value", "2024-03-03", "b1", "1"),
        ("4", "free", "value", "2024-03-04", "a4", "1"),
        ("5", "pro", "value", "2024-03-06", "a6", "2"),
        ("6", "basic", "value", "2024-03-09", "a8", "1"),
    ]


def test_late_write_splits_the_current_run(partial):
    inc, _, _ = partial
    assert history(inc, "p1", "industry") == [
        ("1", "agri", "value", "2024-03-01", "a1", "1"),
        ("2", "tech", "value", "2024-03-04", "a4", "1"),
        ("3", "retail", "value", "2024-03-05", "b6", "1"),
        ("4", "tech", "value", "2024-03-07", "a7", "1"),
    ]


def test_late_repeat_of_the_anchor_is_folded(partial):
    inc, _, _ = partial
    assert history(inc, "p1", "name") == [
        ("1", "A", "value", "2024-03-02", "a2", "2"),
        ("2", "B", "value", "2024-03-04", "a4", "1"),
    ]
    name = {
        d["change_seq"]: d
        for d in map(dict, inc["group_trait_history"])
        if d["group_id"] == "p1" and d["trait_key"] == "name"
    }
    assert name["1"]["last_written_at"].startswith("2024-03-03 06:00:00")
    assert name["1"]["valid_to"].startswith("2024-03-04 00:00:00")


def test_late_write_before_the_first_one(partial):
    inc, _, _ = partial
    assert history(inc, "p1", "tier") == [
        ("1", "w", "value", "2024-03-01", "b3", "1"),
        ("2", "x", "value", "2024-03-04", "a4", "1"),
        ("3", "y", "value", "2024-03-05", "a5", "1"),
        ("4", "z", "value", "2024-03-06", "a6", "1"),
    ]


def test_late_null_parent_between_leaf_writes(partial):
    inc, _, _ = partial
    assert history(inc, "p1", "address.city") == [
        ("1", "Nice", "value", "2024-03-01", "a1", "1"),
        ("2", "Paris", "value", "2024-03-02", "a2", "1"),
        ("3", None, "parent_cleared", "2024-03-04", "b4", "1"),
        ("4", "Lyon", "value", "2024-03-05", "a5", "1"),
    ]
    # first written after the null: not cleared
    assert history(inc, "p1", "address.zip") == [("1", "75001", "value", "2024-03-06", "a6", "1")]
    assert history(inc, "p1", "address") == [("1", None, "null", "2024-03-04", "b4", "1")]


def test_writes_after_everything_are_appended(partial):
    inc, _, _ = partial
    assert history(inc, "p1", "region") == [
        ("1", "eu", "value", "2024-03-02", "a2", "1"),
        ("2", "us", "value", "2024-03-03", "a3", "1"),
        ("3", "apac", "value", "2024-03-10", "b5", "1"),
    ]
    # a repeat of the current value is folded into it
    assert history(inc, "p1", "seats") == [
        ("1", "1", "value", "2024-03-03", "a3", "1"),
        ("2", "2", "value", "2024-03-05", "a5", "2"),
    ]
    seats = [dict(d) for d in inc["group_trait_history"] if dict(d)["trait_key"] == "seats"]
    assert seats[1]["last_written_at"].startswith("2024-03-10") and seats[1]["last_batch_id"] == "2"
    assert seats[1]["is_current"] == "true" and seats[1]["valid_to"] is None
    latest = {(d["group_id"], d["trait_key"]): d for d in map(dict, inc["group_traits_latest"])}
    assert (
        latest[("p1", "region")]["value_text"] == "apac"
        and latest[("p1", "region")]["change_count"] == "3"
    )
    assert latest[("p1", "plan")]["change_count"] == "6"


def test_late_writes_that_split_no_run(partial):
    inc, _, _ = partial
    # score: 5(b3) after the run 1(a1) (carried whole), 9(b2) inside the run 2(a3, a4) (read
    # again from its writes), 3(a7) after them (carried whole)
    assert history(inc, "p1", "score") == [
        ("1", "1", "value", "2024-03-01", "a1", "1"),
        ("2", "5", "value", "2024-03-01", "b3", "1"),
        ("3", "2", "value", "2024-03-03", "a3", "1"),
        ("4", "9", "value", "2024-03-03", "b2", "1"),
        ("5", "2", "value", "2024-03-04", "a4", "1"),
        ("6", "3", "value", "2024-03-07", "a7", "1"),
    ]
    # stage: won(b4) comes after the run lead(a1), and the next change won(a5) folds into it
    assert history(inc, "p1", "stage") == [
        ("1", "lead", "value", "2024-03-01", "a1", "1"),
        ("2", "won", "value", "2024-03-04", "b4", "2"),
    ]


def test_only_split_runs_and_pairs_without_an_anchor_are_read_again(partial):
    _, _, tagged = partial
    # rows taken from the table: kept (before the anchor, or an untouched pair), or carried
    # whole into the recompute from the anchor on (their content, the tag included, comes from
    # the table's row; change_seq, valid_to and the run may be recomputed)
    kept = sorted(
        (d["group_id"], d["trait_key"], d["change_seq"])
        for d in map(dict, tagged["group_trait_history"])
        if d["original_key"].endswith(KEPT)
    )
    assert kept == [
        ("p1", "address.city", "1"),  # Nice: before the anchor Paris
        ("p1", "address.city", "2"),  # Paris: the clear comes after its run
        ("p1", "address.city", "4"),  # Lyon: after the clear
        ("p1", "address.zip", "1"),  # the null came before its first write: not recomputed
        ("p1", "industry", "1"),  # agri: before the anchor tech
        ("p1", "name", "1"),  # A: the late repeat is folded into it
        ("p1", "name", "2"),  # B
        ("p1", "plan", "1"),  # trial: before the anchor free
        ("p1", "plan", "5"),  # pro, basic: after the split run free(a2, a3, a4)
        ("p1", "plan", "6"),
        # appends: the current row is carried over as it was (only its run and valid_to are
        # recomputed), the rows before it are kept
        ("p1", "region", "1"),
        ("p1", "region", "2"),
        ("p1", "score", "1"),  # the anchor: 5(b3) comes after its run
        ("p1", "score", "6"),  # 3(a7): after the split run 2(a3, a4)
        ("p1", "seats", "1"),
        ("p1", "seats", "2"),
        ("p1", "stage", "1"),  # lead: won(b4) comes after its run (won(a5) folds into b4)
        ("p2", "plan", "1"),  # a group with no new write
    ]
    # the others come from the writes: the split runs free(a2, a3, a4) of plan (3 changes),
    # tech(a4, a7) of industry (3) and 2(a3, a4) of score (3), tier (no anchor: 4), address
    # (new: 1); and the new changes: the clear of address.city, apac of region, 5 of score,
    # won(b4) of stage (its row, with won(a5) carried into its run)
    derived = [
        d for d in map(dict, tagged["group_trait_history"]) if not d["original_key"].endswith(KEPT)
    ]
    assert len(derived) == 3 + 3 + 3 + 4 + 1 + 1 + 1 + 1 + 1
    region = [d for d in map(dict, tagged["group_trait_history"]) if d["trait_key"] == "region"]
    assert [(d["value_text"], d["valid_to"] and d["valid_to"][:10]) for d in region] == [
        ("eu", "2024-03-03"),
        ("us", "2024-03-10"),
        ("apac", None),
    ]


def test_only_the_memberships_of_new_calls_were_recomputed(partial):
    inc, _, tagged = partial
    # u1 has a new call in p1: recomputed from its calls; u2 has none: kept as it was
    assert [
        (d["member_id"], d["user_id"], d["event_count"])
        for d in map(dict, tagged["user_group_memberships"])
        if d["group_id"] == "p1"
    ] == [("u1", "u1", "2"), ("u2", "u2" + KEPT, "1")]
    assert [
        (d["member_id"], d["event_count"], d["last_seen_at"][:10])
        for d in map(dict, inc["user_group_memberships"])
        if d["group_id"] == "p1"
    ] == [("u1", "2", "2024-03-08"), ("u2", "1", "2024-03-02")]


# ---- group types, relationship attributes, leaves and deletions, batch by batch -------------


def test_one_group_id_in_three_types_is_three_groups(run):
    _, snaps, *_ = run
    s1 = snaps[0]
    assert typed_group(s1, "1") == [("Co", "pro", "false", None, "2", "2")]
    assert typed_group(s1, "2") == [("School", None, "false", None, "1", "1")]
    assert typed_group(s1, "default") == [("Plain", None, "false", None, "1", "1")]
    # objectTypeId and relationshipAttributes are not traits
    assert not [
        d
        for d in map(dict, s1["group_traits_latest"])
        if d["trait_key"] in ("object_type_id", "relationship_attributes")
        or d["trait_key"].startswith("relationship")
    ]
    assert typed_members(s1, "1") == [
        ("u1", '{"role":"admin"}', "true", None),
        ("u4", '{"seat":3}', "true", None),
    ]


def test_leave_late_attribute_write_and_deletion(run):
    _, snaps, *_ = run
    s2 = snaps[1]
    # the late, older write adds team but does not override role
    assert typed_members(s2, "1") == [
        ("u1", '{"role":"admin","team":"x"}', "false", "2024-01-05 00"),
        ("u4", '{"seat":3}', "true", None),
    ]
    assert typed_group(s2, "2") == [("School", None, "true", "2024-01-04 00", "1", "0")]
    assert typed_members(s2, "2") == [("u2", "{}", "false", "2024-01-04 00")]


def test_rejoin_clears_an_attribute_and_a_leave_before_the_join_is_ignored(run):
    _, snaps, *_ = run
    s3 = snaps[2]
    assert typed_members(s3, "1") == [
        ("u1", '{"team":"x"}', "true", "2024-01-05 00"),
        ("u4", '{"seat":3}', "true", None),
    ]


def test_revival_and_a_late_deletion(run):
    _, snaps, *_ = run
    s4 = snaps[3]
    # a Group call revives the school: its old member stays inactive, the new one is active
    assert typed_group(s4, "2") == [("School", "edu", "false", "2024-01-04 00", "2", "1")]
    assert typed_members(s4, "2") == [
        ("u2", "{}", "false", "2024-01-04 00"),
        ("u5", "{}", "true", None),
    ]
    # the late deletion of the company ends u4's membership; u1 joined again after it
    assert typed_group(s4, "1") == [("Co", "pro", "false", "2024-01-05 12", "2", "1")]
    assert typed_members(s4, "1") == [
        ("u1", '{"team":"x"}', "true", "2024-01-05 12"),
        ("u4", '{"seat":3}', "false", "2024-01-05 12"),
    ]


def test_catalog_per_type(run):
    _, snaps, *_ = run
    catalog = {
        (d["group_type"], d["trait_key"]): d for d in map(dict, snaps[3]["group_trait_catalog"])
    }
    assert {k for k in catalog if k[0] != "default"} == {
        ("1", "name"),
        ("1", "plan"),
        ("2", "name"),
        ("2", "plan"),
    }
    name = catalog[("default", "name")]
    assert (name["original_keys"], name["value_types"], name["has_type_conflict"]) == (
        '["name"]',
        '{"null":1,"string":6}',
        "false",
    )
    assert (name["groups_with_value"], name["groups_cleared"], name["write_count"]) == (
        "3",
        "1",
        "7",
    )


# ---- the warehouse contract ------------------------------------------------------------------


def test_incremental_run_on_an_older_warehouse_asks_for_one_full_refresh(tmp_path):
    """A warehouse whose mart tables predate a column the models now keep (here: group_type and
    lifecycle columns, dropped to stand for an older build) is not altered by an incremental run: the
    run stops with one line per model saying what to do, and one --full-refresh fixes it."""
    import duckdb

    wh = Warehouse(tmp_path)
    dbt_args = [
        "--target-path",
        str(wh.root / "dbt" / "target"),
        "--log-path",
        str(wh.root / "dbt" / "logs"),
        "--exclude",
        "test_type:unit",
    ]
    res = wh.cli("load", str(wh.write("a.ndjson", BATCHES[0])))
    assert res.returncode == 0, res.stdout + res.stderr
    res = wh.cli("build", *dbt_args)
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    con = duckdb.connect(str(wh.path))
    try:
        con.execute("ALTER TABLE main.group_trait_history DROP COLUMN group_type")
        con.execute("ALTER TABLE main.user_group_memberships DROP COLUMN attributes")
        con.execute("ALTER TABLE main.user_group_memberships DROP COLUMN is_active")
    finally:
        con.close()
    res = wh.cli("load", str(wh.write("b.ndjson", BATCHES[1])))
    assert res.returncode == 0, res.stdout + res.stderr
    res = wh.cli("build", *dbt_args)
    assert res.returncode == 1
    out = " ".join(res.stdout.split())
    for table, missing in (
        ('"main"."group_trait_history"', "group_type"),
        ('"main"."user_group_memberships"', "attributes, is_active"),
    ):
        assert (
            f"{table} was built by an earlier version of the models (no column {missing}): "
            "run `grouplake build --full-refresh` once"
        ) in out
    assert (
        "ERROR=2" in out
    )  # the two models; the ones built on them are skipped, nothing was altered
    assert [
        c
        for (c,) in wh.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' "
            "AND table_name = 'user_group_memberships'"
        )
        if c in ("attributes", "is_active")
    ] == []
    res = wh.cli("build", "--full-refresh", *dbt_args)
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    assert wh.query(
        "SELECT group_type, is_deleted FROM groups WHERE group_id = '42' ORDER BY group_type"
    ) == [("1", False), ("2", True), ("default", False)]
