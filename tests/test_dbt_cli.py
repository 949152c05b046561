"""`grouplake run` / `grouplake build` around the dbt project: summary, lock, fresh warehouse, docs."""

from __future__ import annotations

import json
import os
import subprocess
import time

import duckdb
import pytest

from grouplake.warehouse import warehouse_lock

from helpers import GROUPLAKE, REPO_ROOT, Warehouse, call

MARTS = ("groups", "group_traits_latest", "user_group_memberships", "group_trait_history")


def dbt_args(wh: Warehouse) -> list[str]:
    return [
        "--target-path",
        str(wh.root / "dbt" / "target"),
        "--log-path",
        str(wh.root / "dbt" / "logs"),
    ]


def dbt_env(wh: Warehouse) -> dict[str, str]:
    """Keep dbt's target/ and logs/ per test warehouse (`grouplake run` takes no dbt flags)."""
    return {
        "DBT_TARGET_PATH": str(wh.root / "dbt" / "target"),
        "DBT_LOG_PATH": str(wh.root / "dbt" / "logs"),
    }


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("dbt_cli"))
    path = wh.write(
        "calls.ndjson",
        [
            call(
                "m1",
                "acme",
                "2024-03-01T09:00:00Z",
                {"name": "Acme", "plan": "pro", "employees": 120},
                user_id="u1",
                anonymous_id="a1",
            ),
            call("m2", "acme", "2024-03-02T09:00:00Z", {"plan": "enterprise"}, user_id="u2"),
            call(
                "m3",
                "beta",
                "2024-03-01T10:00:00Z",
                {"name": "Beta", "industry": "Retail"},
                anonymous_id="a7",
            ),
            '{"type": "identify", "userId": "u1"}',  # skipped by the loader, not a group call
        ],
    )
    res = wh.cli("run", str(path), env=dbt_env(wh))
    return wh, res


def test_run_loads_builds_and_prints_a_summary(ran):
    wh, res = ran
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    out = res.stdout
    assert "Completed successfully" in out  # dbt build output
    assert "2 groups from 3 calls" in out
    assert "2 users and 1 anonymous visitors in 3 memberships" in out
    assert "top traits" in out and "Acme" in out and "enterprise" in out
    # example SQL, including "traits of group G as of date D" with a real group
    assert (
        "FROM group_trait_history" in out
        and "WHERE group_type = 'default' AND group_id = 'acme'" in out
    )
    assert "valid_to IS NULL OR valid_to >" in out
    assert wh.query(
        "SELECT group_id, plan, employees, member_count FROM groups ORDER BY group_id"
    ) == [("acme", "enterprise", 120, 2), ("beta", None, None, 1)]


def test_build_waits_for_the_warehouse_lock_and_works_on_a_fresh_warehouse(tmp_path):
    wh = Warehouse(tmp_path)
    duckdb.connect(str(wh.path)).close()  # an empty DuckDB file: no raw schema yet
    env = {**os.environ, "GROUPLAKE_WAREHOUSE": str(wh.path), "COLUMNS": "200"}
    with warehouse_lock(wh.path, wait_seconds=1):
        proc = subprocess.Popen(
            [*GROUPLAKE, "build", *dbt_args(wh), "--exclude", "test_type:unit"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3.0)
        assert proc.poll() is None, "build must wait while a load holds the warehouse"
        assert wh.query(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'raw'"
        ) == [(0,)], "nothing may touch the warehouse before the lock is taken"
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-5000:] + err[-3000:]
    assert "waiting for the warehouse lock" in err
    # a build before any load: raw tables are created, the marts exist and are empty
    for mart in MARTS:
        assert wh.scalar(f"SELECT count(*) FROM main.{mart}") == 0


def test_build_gives_up_with_a_clear_message_after_wait_seconds(tmp_path):
    wh = Warehouse(tmp_path)
    duckdb.connect(str(wh.path)).close()
    with warehouse_lock(wh.path, wait_seconds=1):
        result = wh.cli("build", "--wait", "1")
    assert result.returncode == 3
    assert "warehouse is busy" in result.stderr and "Traceback" not in result.stderr


def test_docs_generate_documents_every_model_and_column(ran):
    from grouplake.dbt_runner import run_dbt

    wh, _ = ran
    assert run_dbt(wh.path, "docs generate", dbt_args(wh)) == 0
    target = wh.root / "dbt" / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    models = {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == "grouplake"
    }
    assert set(MARTS) <= set(models)
    for node_id, entry in catalog["nodes"].items():
        node = manifest["nodes"][node_id]
        if node["resource_type"] != "model":
            continue
        assert node["description"].strip(), f"{node['name']} has no description"
        documented = {
            c.lower() for c, meta in node["columns"].items() if meta["description"].strip()
        }
        in_warehouse = {c.lower() for c in entry["columns"]}
        assert in_warehouse == documented, (
            f"{node['name']}: undocumented {in_warehouse - documented}, "
            f"documented but missing {documented - in_warehouse}"
        )
    mart_schemas = {catalog["nodes"][f"model.grouplake.{m}"]["metadata"]["schema"] for m in MARTS}
    assert mart_schemas == {"main"}
