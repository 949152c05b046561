"""`grouplake build` skips dbt when the warehouse is as its last complete build left it
(grouplake.build_state), and runs it after anything that could change the marts."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from grouplake import build_state
from grouplake.config import dbt_project_dir, dbt_work_dir

from helpers import Warehouse, call

SKIPPED = "nothing to build: no load, forget or project change since the complete build"


def log(wh: Warehouse) -> list[tuple]:
    return wh.query("SELECT build_id, exit_code, complete FROM raw.build_log ORDER BY build_id")


def run_results(wh: Warehouse):
    return dbt_work_dir(wh.path) / "target" / "run_results.json"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    wh = Warehouse(tmp_path_factory.mktemp("build_skip"))
    wh.load(
        wh.write(
            "b1.ndjson",
            [
                call("m1", "g1", "2024-03-01T09:00:00Z", {"plan": "pro"}, user_id="u1"),
                call("m2", "g2", "2024-03-01T10:00:00Z", {"plan": "free"}, user_id="u2"),
            ],
        )
    )
    res = wh.invoke("build")
    assert res.returncode == 0, res.stdout[-3000:]
    return wh


def status(wh: Warehouse) -> str:
    res = wh.invoke("status")
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_build_skips_until_something_changes(wh):
    assert log(wh) == [(1, 0, True)]
    assert "last build: build 1: complete, finished" in status(wh)

    # nothing changed: dbt does not run
    dbt_ran_at = run_results(wh).stat().st_mtime_ns
    res = wh.invoke("build")
    assert res.returncode == 0 and SKIPPED in res.stderr, res.stderr
    assert log(wh) == [(1, 0, True)]
    assert run_results(wh).stat().st_mtime_ns == dbt_ran_at
    # the same input again loads nothing new: still nothing to build
    wh.load(wh.inputs / "b1.ndjson")
    assert SKIPPED in wh.invoke("build").stderr

    # a build of part of the project is not complete: the next plain build runs dbt
    res = wh.invoke("build", "--select", "groups")
    assert res.returncode == 0, res.stdout[-3000:]
    assert log(wh)[-1] == (2, 0, False)
    assert "last build: build 2: succeeded (part of the project), finished" in status(wh)
    res = wh.invoke("build")
    assert res.returncode == 0 and SKIPPED not in res.stderr
    assert log(wh)[-1] == (3, 0, True)
    assert SKIPPED in wh.invoke("build").stderr

    # --force runs dbt on the unchanged warehouse
    res = wh.invoke("build", "--force")
    assert res.returncode == 0 and SKIPPED not in res.stderr
    assert run_results(wh).stat().st_mtime_ns != dbt_ran_at
    assert log(wh)[-1] == (4, 0, True)

    # new data: built
    wh.load(
        wh.write(
            "b2.ndjson",
            [call("m3", "g1", "2024-03-02T09:00:00Z", {"plan": "enterprise"}, user_id="u1")],
        )
    )
    res = wh.invoke("build")
    assert res.returncode == 0 and SKIPPED not in res.stderr
    assert wh.query("SELECT group_id, plan FROM main.groups ORDER BY 1") == [
        ("g1", "enterprise"),
        ("g2", "free"),
    ]
    assert log(wh)[-1] == (5, 0, True)

    # a mart dropped by hand: built again
    con = duckdb.connect(str(wh.path))
    con.execute("DROP TABLE main.groups")
    con.close()
    res = wh.invoke("build")
    assert res.returncode == 0 and SKIPPED not in res.stderr
    assert wh.scalar("SELECT count(*) FROM main.groups") == 2
    assert log(wh)[-1] == (6, 0, True)


def test_an_unfinished_build_is_never_skipped(wh, tmp_path, monkeypatch):
    """A build that was interrupted leaves its row incomplete: the next one runs."""
    for name, value in wh.settings().items():  # as the CLI had them
        monkeypatch.setenv(name, value)
    copy = tmp_path / "w.duckdb"
    shutil.copy(wh.path, copy)
    con = duckdb.connect(str(copy))
    try:
        project = dbt_project_dir()
        assert build_state.built_at_if_current(con, project) is not None
        build_id = build_state.start(con, ["--exclude-resource-type", "unit_test"])
        assert build_state.built_at_if_current(con, project) is None
        # a failed build of the whole project is not complete either
        build_state.finish(con, build_id, 1, project)
        assert build_state.built_at_if_current(con, project) is None
        build_state.finish(con, build_state.start(con, ["--full-refresh"]), 0, project)
        assert build_state.built_at_if_current(con, project) is not None
    finally:
        con.close()


def test_the_fingerprint_follows_the_project_files(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(dbt_project_dir(), project, ignore=shutil.ignore_patterns("target", "logs"))
    before = build_state.project_digest(project)
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text("{}")
    assert build_state.project_digest(project) == before  # dbt's own output does not count
    model = project / "models" / "marts" / "groups.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    assert build_state.project_digest(project) != before
