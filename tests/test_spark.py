"""The marts built on Apache Spark equal the marts built on DuckDB, row for row (SPEC §6).

One dataset with the tricky cases goes into one warehouse and lake: the random calls of
test_dbt_oracle (many spellings of a trait, nested objects, parent clears, ties on event_at,
anonymous ids stitched to users) plus hand-written calls: numbers as ids, numbers in every
form, trait timestamps and integers, unicode and escaped keys, a key sent twice, clears and
late events. DuckDB builds the marts with `grouplake build`; Spark builds them from the lake
with the shipped profile's `spark` target (dbt in this process, so the module starts one
Spark session), as Parquet under <lake>/marts/. Every mart is compared column for column
(timestamps as UTC microseconds, JSON parsed with number texts kept) after the first load
(full build; the unit tests run on Spark here, once) and after a second load (incremental
on DuckDB; appends and table rebuilds on Spark).

The few values Spark cannot write as DuckDB does (docs/models.md, "Other engines") live in
the group PINNED, left out of the equality and asserted value by value on each engine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from test_dbt_oracle import generate

from helpers import REPO_ROOT, Warehouse, call, utc

if shutil.which("java") is None:
    pytest.skip("Spark tests need Java 17+ (no `java` on PATH)", allow_module_level=True)
if (
    importlib.util.find_spec("pyspark") is None
    or importlib.util.find_spec("dbt.adapters.spark") is None
):
    pytest.skip(
        "Spark tests need the spark extra (pip install -e '.[spark]')", allow_module_level=True
    )

MARTS = [
    "groups",
    "group_traits_latest",
    "user_group_memberships",
    "group_trait_history",
    "group_trait_catalog",
]
PINNED = "pinned"


def line(message_id: str, group_id: str, ts: str, traits_json: str) -> str:
    """A call written by hand, for JSON that json.dumps cannot write (a key twice, number forms)."""
    return (
        f'{{"type":"group","messageId":"{message_id}","groupId":"{group_id}","timestamp":"{ts}",'
        f'"traits":{traits_json}}}'
    )


T1, T2, T3, T4 = (
    "2024-03-01T00:00:00Z",
    "2024-03-02T00:00:00Z",
    "2024-03-03T00:00:00Z",
    "2024-03-04T00:00:00Z",
)

# numbers as they are sent -> their text in the marts (the same on both engines)
NUMBERS = {
    "int": ("1", "1"),
    "negative": ("-5", "-5"),
    "float": ("1.5", "1.5"),
    "integral float": ("1000.0", "1000.0"),
    "ten million": ("1e7", "10000000.0"),
    "e20": ("1E+20", "100000000000000000000.0"),
    "exponent big": ("1e21", "1e21"),
    "exponent big digits": ("-1.2345e22", "-1.2345e22"),
    "exponent small": ("1.5e-7", "1.5e-7"),
    "small": ("0.00001", "0.00001"),
    "milli": ("0.001", "0.001"),
    "uint64": ("12345678901234567890", "12345678901234567890"),
    "bignum": ("123456789012345678901234567890", "123456789012345678901234567890"),
    "minus zero": ("-0.0", "-0.0"),
    "pi": ("3.14159265358979323846", "3.141592653589793"),
}

# created_at trait -> groups.created_at on both engines (ISO-8601 shapes of iso_timestamp_pattern)
CREATED_AT = {
    "ts-offset": ("2020-05-01T12:00:00+02:00", utc(2020, 5, 1, 10)),
    "ts-date": ("2020-05-01", utc(2020, 5, 1)),
    "ts-space": ("2020-05-01 12:00:00", utc(2020, 5, 1, 12)),
    "ts-nanos": ("2020-05-01T12:00:00.123456789Z", utc(2020, 5, 1, 12, 0, 0, 123456)),
    "ts-hhmm": ("2020-05-01T12:00Z", None),
    "ts-hour24": ("2020-05-01T24:00:00Z", None),
    "ts-year": ("2020", utc(1970, 1, 1, 0, 33, 40)),  # a numeric string: unix seconds
    "ts-epoch": ("epoch", None),
    "ts-infinity": ("infinity", None),
    "ts-zone-name": ("2020-05-01 12:00:00 Europe/Paris", None),
    "ts-unix-s": (1700000000.5, utc(2023, 11, 14, 22, 13, 20, 500000)),
    "ts-unix-ms": (1700000000123, utc(2023, 11, 14, 22, 13, 20, 123000)),
    "ts-unix-str": (" 1700000000 ", utc(2023, 11, 14, 22, 13, 20)),
    "ts-negative": (-86400, utc(1969, 12, 31)),
    "ts-too-big": (1e14, None),
}

# employees trait -> groups.employees on both engines
EMPLOYEES = {
    "emp-str": ("250", 250),
    "emp-padded": (" 250 ", 250),
    "emp-plus": ("+3", 3),
    "emp-fraction": (12.5, None),
    "emp-huge": (1e21, None),
    "emp-integral-float": (1000.0, 1000),
    "emp-commas": ("1,000", None),
    "emp-bool": (True, None),
}

# trait key as sent -> canonical key (Spark lower-cases `Σ` and `İ` as DuckDB does)
UNICODE_KEYS = {
    "Größe": "größe",
    "Ünïcödé Kéy": "ünïcödé_kéy",
    "日本語キー": "日本語キー",
    "emoji 😀 key": "emoji_key",
    "ΣΟΦΙΑΣ": "σοφιασ",
    "İstanbul": "istanbul",
    "naïveCamelCase": "naïve_camel_case",
}
ESCAPES = 'line\nbreak "quoted" \\ / \u0001 \u007f é 😀'

# values Spark writes differently (docs/models.md): trait -> (as sent, DuckDB text, Spark texts)
PINNED_VALUES = {
    # numbers inside arrays and objects keep the form Java gives them
    "in array": (
        "[10000000.0,0.00001,1e21]",
        "[10000000.0,0.00001,1e21]",
        {"[1.0E7,1.0E-5,1.0E21]"},
    ),
    # beyond the double range: Spark reads infinity, written as the string "Infinity"
    "beyond double": ("1e400", "1e400", {"Infinity"}),
    # Java before 19 prints a few doubles with more digits than the shortest form
    "java digits": (
        "2.82879384806159e17",
        "282879384806159000.0",
        {"282879384806159000.0", "282879384806159008.0"},
    ),
}


def batch1_hand() -> list:
    calls = [
        # numbers as ids
        {
            "type": "group",
            "messageId": "h-num-ids",
            "groupId": 123,
            "userId": 42,
            "anonymousId": 7,
            "timestamp": T1,
            "traits": {"name": 99},
        },
        {
            "type": "group",
            "messageId": "h-float-id",
            "groupId": 1500.0,
            "userId": 4.2e1,
            "timestamp": T1,
        },
        {
            "type": "group",
            "messageId": "h-big-id",
            "groupId": 12345678901234567890,
            "timestamp": T1,
        },
        # an anonymous-only member, linked to a user by the second batch
        call("h-anon", "anon-grp", T1, {"plan": "trial"}, anonymous_id="a-late-link"),
        # address leaves, later cleared by a null parent (batch 2)
        call(
            "h-addr-1",
            "addr",
            T1,
            {
                "address": {"city": "Paris", "postalCode": "75001", "geo": {"lat": 48.8}},
                "plan": "new",
                "name": "Addr Co",
            },
            user_id="u-addr",
        ),
        # trait-only call: no member
        call("h-trait-only", "addr", T2, {"industry": "Retail"}),
        call(
            "h-unicode",
            "unicode",
            T1,
            {
                **{k: i for i, k in enumerate(UNICODE_KEYS)},
                "text": ESCAPES,
                "deep": {"a": {"b": {"c": {"z": 1, "a": [2, {"y": None}]}}}},
            },
        ),
        # a big number as the group type, relationship attributes with number forms and two spellings
        {
            "type": "group",
            "messageId": "h-typed",
            "groupId": "typed",
            "objectTypeId": 1e20,
            "userId": "u-t",
            "timestamp": T1,
            "traits": {
                "relationshipAttributes": {
                    "score": 1.0,
                    "Role": "admin",
                    "role": "owner",
                    "big": 10000000.0,
                }
            },
        },
        *[call(f"h-{g}", g, T1, {"created_at": v}) for g, (v, _) in CREATED_AT.items()],
        *[call(f"h-{g}", g, T1, {"employees": v, "name": v}) for g, (v, _) in EMPLOYEES.items()],
    ]
    lines = [json.dumps(c) for c in calls]
    lines.append(
        line(
            "h-numbers",
            "numbers",
            T1,
            "{" + ",".join(f'"{k}":{v}' for k, (v, _) in NUMBERS.items()) + "}",
        )
    )
    lines.append(
        line(
            "h-pinned",
            PINNED,
            T1,
            "{" + ",".join(f'"{k}":{v}' for k, (v, _, _) in PINNED_VALUES.items()) + "}",
        )
    )
    # the same key twice, and another spelling of it: `tier` beats `Tier`, the last `tier` wins
    lines.append(
        line("h-dup", "dup", T1, '{"tier":1,"Tier":3,"tier":2,"address":{"city":"A","city":"B"}}')
    )
    return lines


def batch2_hand() -> list:
    return [
        # clear the address after the fact, with a late leaf written before the clear
        call("h-addr-2", "addr", T3, {"address": None, "name": None}),
        call("h-addr-late", "addr", T2, {"address": {"street": "Main St"}}, user_id="u-addr"),
        # a late, older plan: placed before "new" in the history
        call("h-addr-older", "addr", "2024-02-01T00:00:00Z", {"plan": "old"}),
        # a repeat of a value, and a changed number
        call("h-numbers-2", "numbers", T4, {"int": 1, "float": 2.5}),
        # the anonymous id of anon-grp now belongs to a user
        call("h-link", "other", T4, {}, user_id="u-linked", anonymous_id="a-late-link"),
        call("h-unicode-2", "unicode", T4, {"ΣΟΦΙΑΣ": None, "groesse": "x"}),
    ]


# --- the two builds ---------------------------------------------------------------------------------


def spark_state(wh: Warehouse) -> Path:
    return wh.lake.parent / (wh.lake.name + ".spark")


def spark_build(wh: Warehouse, *args: str) -> None:
    """`dbt build --target spark` in this process: every call uses the module's one Spark session."""
    from dbt.cli.main import dbtRunner

    from grouplake.config import dbt_project_dir
    from grouplake.dbt_runner import spark_env, spark_paths

    lake, state = spark_paths(wh.lake)
    assert state == spark_state(wh)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(spark_env(lake, state))  # what `grouplake build --engine spark` gives its dbt
    project = str(dbt_project_dir())
    try:
        res = dbtRunner().invoke(
            [
                "build",
                "--project-dir",
                project,
                "--profiles-dir",
                project,
                "--target",
                "spark",
                "--target-path",
                str(wh.root / "dbt_spark" / "target"),
                "--log-path",
                str(wh.root / "dbt_spark" / "logs"),
                *args,
            ]
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    failed = [
        f"{r.node.unique_id}: {r.message}"
        for r in getattr(res.result, "results", None) or []
        if str(r.status) in ("error", "fail")
    ]
    assert res.success, f"Spark build failed: {failed or res.exception}"


def duckdb_build(wh: Warehouse) -> None:
    res = wh.cli(
        "build",
        "--exclude",
        "test_type:unit",
        "--target-path",
        str(wh.root / "dbt" / "target"),
        "--log-path",
        str(wh.root / "dbt" / "logs"),
    )
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]


def load(wh: Warehouse, *paths: Path) -> None:
    res = wh.cli("load", *map(str, paths))
    assert res.returncode == 0, res.stdout + res.stderr


def parse_json(text: str | None):
    """JSON text -> Python value, numbers kept as their text (so 1000.0 and 1000 differ)."""
    if text is None:
        return None
    value = json.loads(
        text,
        parse_float=lambda s: ("number", s),
        parse_int=lambda s: ("number", s),
        parse_constant=lambda s: ("number", s),
    )
    return json.dumps(value, sort_keys=True)


def read_marts(
    con: duckdb.DuckDBPyConnection, relation: str, json_columns: dict | None = None
) -> dict:
    """{mart: (column names and types, normalised rows)}; `relation` formats the mart name.

    JSON columns (DuckDB's JSON type; plain text on Spark, so `json_columns` names them there)
    are parsed, timestamps become UTC microseconds."""
    out = {}
    for mart in MARTS:
        rel = relation.format(mart=mart)
        columns = con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()
        names = [c[0] for c in columns]
        is_json = json_columns[mart] if json_columns else {n for n, t, *_ in columns if t == "JSON"}
        exprs = [
            f"epoch_us({n})"
            if t.startswith("TIMESTAMP")
            else f"CAST({n} AS VARCHAR)"
            if n in is_json
            else n
            for n, t, *_ in columns
        ]
        rows = [
            tuple(parse_json(v) if n in is_json else v for n, v in zip(names, row, strict=True))
            for row in con.execute(f"SELECT {', '.join(exprs)} FROM {rel}").fetchall()
        ]
        # JSON is text on Spark (no JSON type there); DuckDB's sum() of integers is a HUGEINT
        types = [(n, {"JSON": "VARCHAR", "HUGEINT": "BIGINT"}.get(t, t)) for n, t, *_ in columns]
        out[mart] = (types, rows, is_json)
    return out


def snapshot(wh: Warehouse) -> dict:
    con = duckdb.connect(str(wh.path), read_only=True)
    try:
        con.execute("SET TimeZone='UTC'")
        duck = read_marts(con, "main.{mart}")
    finally:
        con.close()
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        spark = read_marts(
            con,
            "read_parquet('" + str(wh.lake / "marts") + "/{mart}/*.parquet')",
            json_columns={mart: duck[mart][2] for mart in MARTS},
        )
    finally:
        con.close()
    return {"duckdb": duck, "spark": spark}


@pytest.fixture(scope="module")
def spark_session():
    """The JVM this module starts (through dbt-spark's session method), stopped at the end."""
    yield
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.kill()
            proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None


@pytest.fixture(scope="module")
def full(tmp_path_factory, spark_session):
    wh = Warehouse(tmp_path_factory.mktemp("spark"))
    oracle = generate()
    load(
        wh,
        wh.write("oracle0.ndjson", oracle[0]),
        wh.write("oracle1.ndjson", oracle[1]),
        wh.write("hand1.ndjson", batch1_hand()),
    )
    duckdb_build(wh)
    spark_build(wh)  # models, data tests and the unit tests (once for the module)
    writes = sorted(
        p.name for p in spark_state(wh).glob("warehouse/*/int_group_trait_writes/*.parquet")
    )
    return wh, snapshot(wh), writes


@pytest.fixture(scope="module")
def incremental(full):
    wh, _, writes_before = full
    load(wh, wh.write("oracle2.ndjson", generate()[2]), wh.write("hand2.ndjson", batch2_hand()))
    duckdb_build(wh)
    spark_build(wh, "--exclude", "test_type:unit")
    writes = sorted(
        p.name for p in spark_state(wh).glob("warehouse/*/int_group_trait_writes/*.parquet")
    )
    return wh, snapshot(wh), writes_before, writes


# --- the tests ------------------------------------------------------------------------------------

PINNED_KEYS = {"in_array", "beyond_double", "java_digits"}


def without_pinned(types: list[tuple], rows: list[tuple]) -> Counter:
    """The rows, less those of the group PINNED (and its traits in the catalog, which has no group_id)."""
    names = [n for n, _ in types]
    if "group_id" in names:
        at = names.index("group_id")
        return Counter(r for r in rows if r[at] != PINNED)
    at = names.index("trait_key")
    return Counter(r for r in rows if r[at] not in PINNED_KEYS)


def assert_same_marts(snap: dict) -> None:
    for mart in MARTS:
        duck_types, duck_rows, _ = snap["duckdb"][mart]
        spark_types, spark_rows, _ = snap["spark"][mart]
        assert spark_types == duck_types, mart
        d, s = without_pinned(duck_types, duck_rows), without_pinned(spark_types, spark_rows)
        assert sum(d.values()) > 0
        assert s == d, (
            mart,
            "only on DuckDB:",
            list((d - s).elements())[:5],
            "only on Spark:",
            list((s - d).elements())[:5],
        )


def test_marts_equal_after_full_build(full):
    _, snap, _ = full
    assert_same_marts(snap)
    rows = {mart: len(snap["duckdb"][mart][1]) for mart in MARTS}
    assert rows["group_trait_history"] > 800 and rows["groups"] > 40  # the data really is there


MART_NAMES = {
    "groups": "groups",
    "latest": "group_traits_latest",
    "history": "group_trait_history",
    "memberships": "user_group_memberships",
}


def mart_rows(wh: Warehouse, engine: str, sql: str) -> list[tuple]:
    """Run `sql` (with {groups}, {latest}, {history}, {memberships}) on one engine's marts."""
    if engine == "duckdb":
        return wh.query(sql.format(**{k: f"main.{v}" for k, v in MART_NAMES.items()}))
    names = {k: f"read_parquet('{wh.lake / 'marts' / v}/*.parquet')" for k, v in MART_NAMES.items()}
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        return con.execute(sql.format(**names)).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_typed_columns_follow_the_same_rules(full, engine):
    wh, _, _ = full
    created = dict(
        mart_rows(
            wh, engine, "SELECT group_id, created_at FROM {groups} WHERE group_id LIKE 'ts-%'"
        )
    )
    assert created == {g: want for g, (_, want) in CREATED_AT.items()}
    employees = dict(
        mart_rows(
            wh, engine, "SELECT group_id, employees FROM {groups} WHERE group_id LIKE 'emp-%'"
        )
    )
    assert employees == {g: want for g, (_, want) in EMPLOYEES.items()}
    names = dict(
        mart_rows(
            wh, engine, "SELECT group_id, name FROM {groups} WHERE group_id IN ('123', 'emp-bool')"
        )
    )
    assert names == {"123": "99", "emp-bool": "true"}


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_number_texts(full, engine):
    wh, _, _ = full
    got = dict(
        mart_rows(
            wh, engine, "SELECT original_key, value_text FROM {latest} WHERE group_id = 'numbers'"
        )
    )
    assert got == {k: text for k, (_, text) in NUMBERS.items()}


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_ids_keys_and_escapes(full, engine):
    wh, _, _ = full
    groups = {g for (g,) in mart_rows(wh, engine, "SELECT group_id FROM {groups}")}
    assert {"123", "1500", "12345678901234567890"} <= groups
    latest = dict(
        mart_rows(
            wh, engine, "SELECT original_key, trait_key FROM {latest} WHERE group_id = 'unicode'"
        )
    )
    assert {k: latest[k] for k in UNICODE_KEYS} == UNICODE_KEYS
    text = mart_rows(
        wh,
        engine,
        "SELECT value_text FROM {latest} WHERE group_id = 'unicode' AND trait_key = 'text'",
    )
    assert text == [(ESCAPES,)]
    deep = mart_rows(
        wh,
        engine,
        "SELECT CAST(value AS VARCHAR), value_type FROM {latest} "
        "WHERE group_id = 'unicode' AND trait_key = 'deep.a.b.c'",
    )
    assert deep == [
        ('{"z":1,"a":[2,{"y":null}]}', "object")
    ]  # deeper than 4 levels: kept whole, in order
    typed = mart_rows(
        wh,
        engine,
        "SELECT group_type, CAST(attributes AS VARCHAR) FROM {memberships} "
        "WHERE group_id = 'typed'",
    )
    assert typed == [("100000000000000000000.0", '{"big":10000000.0,"role":"owner","score":1.0}')]
    dup = mart_rows(
        wh,
        engine,
        "SELECT trait_key, original_key, value_text FROM {latest} WHERE group_id = 'dup' "
        "ORDER BY trait_key",
    )
    assert dup == [("address.city", "address.city", "B"), ("tier", "tier", "2")]


def test_pinned_differences(full):
    wh, snap, _ = full
    sql = "SELECT original_key, value_text FROM {latest} WHERE group_id = 'pinned'"
    duck, spark = dict(mart_rows(wh, "duckdb", sql)), dict(mart_rows(wh, "spark", sql))
    assert duck == {k: d for k, (_, d, _) in PINNED_VALUES.items()}
    assert set(spark) == set(PINNED_VALUES)
    for key, (_, _, spark_texts) in PINNED_VALUES.items():
        assert spark[key] in spark_texts, key
    # the parsed values agree except beyond the double range
    assert json.loads(spark["in array"]) == json.loads(duck["in array"])
    assert float(spark["java digits"]) == float(duck["java digits"])


def test_spark_files_live_beside_the_lake(full):
    wh, _, _ = full
    for mart in MARTS:
        assert list((wh.lake / "marts" / mart).glob("*.parquet")), mart
    state = spark_state(wh)
    assert (
        (state / "metastore_db").is_dir()
        and (state / "derby.log").is_file()
        and (state / "warehouse").is_dir()
    )
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (REPO_ROOT / stray).exists() and not (Path.cwd() / stray).exists(), stray


# --- after the second load (these run last: it changes the marts the tests above read) ------------


def test_marts_equal_after_incremental_batch(incremental):
    _, snap, _, _ = incremental
    assert_same_marts(snap)


def test_spark_appends_to_incremental_writes(incremental):
    """int_group_trait_writes stays incremental on Spark: the second build adds files, keeps the first ones."""
    _, _, before, after = incremental
    assert before and set(before) < set(after)


def test_second_batch_changed_the_marts(full, incremental):
    _, snap1, _ = full
    _, snap2, _, _ = incremental
    for mart in MARTS:
        assert snap2["spark"][mart][1] != snap1["spark"][mart][1], mart


def test_late_clear_and_link_on_both_engines(incremental):
    wh, snap, _, _ = incremental
    for engine in ("duckdb", "spark"):
        addr = dict(
            mart_rows(
                wh, engine, "SELECT trait_key, value_text FROM {latest} WHERE group_id = 'addr'"
            )
        )
        assert addr == {
            "address.city": None,
            "address.postal_code": None,
            "address.geo.lat": None,
            "address.street": None,
            "address": None,
            "plan": "new",
            "name": None,
            "industry": "Retail",
        }, engine
        plan = mart_rows(
            wh,
            engine,
            "SELECT value_text FROM {history} WHERE group_id = 'addr' AND trait_key = 'plan' "
            "ORDER BY change_seq",
        )
        assert plan == [("old",), ("new",)], engine
        members = mart_rows(
            wh,
            engine,
            "SELECT member_type, member_id FROM {memberships} WHERE group_id = 'anon-grp'",
        )
        assert members == [("user", "u-linked")], engine


# --- grouplake build --engine spark ----------------------------------------------------------------


def test_cli_spark_build_of_a_lake_without_events_is_one_line(tmp_path):
    wh = Warehouse(tmp_path)
    res = wh.cli("build", "--engine", "spark")
    assert res.returncode == 4
    assert (
        res.stderr.strip()
        == f"error: no events in the lake at {wh.lake / 'group_events'}: run `grouplake load` first"
    )
    assert not spark_state(wh).exists()


def test_cli_spark_build_of_an_object_storage_lake_needs_a_state_folder(tmp_path):
    wh = Warehouse(tmp_path)
    res = wh.cli("build", "--engine", "spark", "--lake", "s3a://bucket/lake")
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "error: a Spark build of the lake s3a://bucket/lake needs GROUPLAKE_SPARK_STATE: "
        "a local folder for Spark's metastore, scratch space and logs"
    )


@pytest.mark.slow
def test_cli_build_engine_spark_on_the_sample(tmp_path):
    """`grouplake build --engine spark` end to end (its own Spark process): the marts of the sample."""
    wh = Warehouse(tmp_path)
    res = wh.cli("load", str(REPO_ROOT / "data" / "sample"))
    assert res.returncode == 0, res.stdout + res.stderr
    res = wh.cli("build", "--engine", "spark", "--exclude", "test_type:unit", timeout=1200)
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    duckdb_build(wh)
    con = duckdb.connect()
    try:
        n = con.execute(
            f"SELECT count(*) FROM read_parquet('{wh.lake}/marts/groups/*.parquet')"
        ).fetchone()[0]
    finally:
        con.close()
    assert n == wh.scalar("SELECT count(*) FROM main.groups") > 0
    state = spark_state(wh)
    assert (state / "metastore_db").is_dir() and (state / "dbt" / "logs" / "dbt.log").is_file()
    assert not (REPO_ROOT / "metastore_db").exists() and not (REPO_ROOT / "derby.log").exists()
