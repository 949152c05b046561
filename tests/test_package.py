"""The distribution: the wheel works outside the checkout, and the dbt project works as a dbt package.

- The wheel is built from a copy of the sources, installed into a fresh venv (no pip, no
  editable grouplake; the dependencies come from this venv through a .pth line), and
  `grouplake run` loads a copy of the sample from a temporary directory: the marts are built,
  dbt's target/ and logs/ land beside the warehouse, nothing is written into the installed
  package or the current directory.
- An analyst's own dbt project installs the package from a local path over raw tables copied
  into another schema (`grouplake_raw_schema`), and its marts equal `grouplake build`'s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import duckdb
import pytest

import grouplake
from grouplake.dbt_runner import _DBT_MAIN

from helpers import REPO_ROOT, SAMPLE_DIR

MARTS = ("groups", "group_traits_latest", "user_group_memberships", "group_trait_history")
RAW_TABLES = ("group_events", "group_event_rejects", "load_ledger")


def _pip(*args) -> None:
    """pip of this venv, in the clean environment; it must succeed."""
    res = subprocess.run(
        [sys.executable, "-m", "pip", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_clean_env(),
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without anything that points at the checkout or at dbt's folders."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GROUPLAKE_", "DBT_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return {**env, "COLUMNS": "200", **extra}


def _counts(warehouse: Path, schema: str = "main") -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            m: con.execute(f'SELECT count(*) FROM "{schema}"."{m}"').fetchone()[0] for m in MARTS
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sample loaded and built with the library API (grouplake.run): the expected marts."""
    root = tmp_path_factory.mktemp("reference")
    result = grouplake.run(
        [SAMPLE_DIR],
        warehouse=root / "warehouse.duckdb",
        lake=root / "lake",
        dbt_args=["--exclude", "test_type:unit"],
    )
    assert result.ok, (result.load.files, result.dbt_exit_code)
    return root / "warehouse.duckdb"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (the checkout itself stays untouched)."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns(
        "target", "logs", "dbt_packages", "__pycache__", ".user.yml", "package-lock.yml"
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, src / name)
    for name in ("loader", "dbt_project"):
        shutil.copytree(REPO_ROOT / name, src / name, ignore=ignore)
    # stray dbt output in the source tree must not reach the wheel
    (src / "dbt_project" / "target").mkdir()
    (src / "dbt_project" / "target" / "manifest.json").write_text("{}")
    (src / "dbt_project" / "logs").mkdir()
    (src / "dbt_project" / "logs" / "dbt.log").write_text("")
    _pip("wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", root / "dist", src)
    (whl,) = (root / "dist").glob("grouplake-*.whl")
    return whl


def test_wheel_holds_the_package_the_dbt_project_and_the_license_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names}
    assert top_level == {"grouplake", f"grouplake-{grouplake.__version__}.dist-info"}, top_level
    for needed in (
        "grouplake/__init__.py",
        "grouplake/cli.py",
        "grouplake/dbt_project/dbt_project.yml",
        "grouplake/dbt_project/profiles.yml",
        "grouplake/dbt_project/models/marts/groups.sql",
        "grouplake/dbt_project/models/staging/_grouplake__sources.yml",
        f"grouplake-{grouplake.__version__}.dist-info/licenses/LICENSE",
    ):
        assert needed in names, needed
    # every source file of the dbt project is in the wheel, and nothing dbt wrote
    shipped = {
        n.removeprefix("grouplake/dbt_project/")
        for n in names
        if n.startswith("grouplake/dbt_project/")
    }
    in_repo = {
        str(p.relative_to(REPO_ROOT / "dbt_project"))
        for p in (REPO_ROOT / "dbt_project").rglob("*")
        if p.is_file()
        and p.suffix in (".sql", ".yml", ".py")
        and not ({"target", "logs", "dbt_packages", "__pycache__"} & set(p.parts))
        and p.name not in (".user.yml", "package-lock.yml")
    }
    assert shipped == in_repo
    assert not [n for n in names if "/target/" in n or "/logs/" in n or "dbt_packages" in n]
    license_text = zipfile.ZipFile(wheel).read(
        f"grouplake-{grouplake.__version__}.dist-info/licenses/LICENSE"
    )
    assert b"Apache License" in license_text and b"Version 2.0" in license_text
    metadata = (
        zipfile.ZipFile(wheel)
        .read(f"grouplake-{grouplake.__version__}.dist-info/METADATA")
        .decode()
    )
    assert (
        f"Version: {grouplake.__version__}\n" in metadata
        and "License-Expression: Apache-2.0" in metadata
    )


def test_wheel_in_a_fresh_venv_runs_from_any_directory(wheel, reference, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the dependencies (duckdb, dbt, ...) from this venv; grouplake itself only from the wheel
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_grouplake_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    _pip("--python", py, "install", "--quiet", "--no-deps", "--no-index", wheel)
    package = site / "grouplake"
    installed_before = sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts)

    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(SAMPLE_DIR, work / "sample")
    env = _clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    grouplake_bin = str(venv / "bin" / "grouplake")

    where = subprocess.run(
        [str(py), "-c", "import grouplake; print(grouplake.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where) == package / "__init__.py"
    version = subprocess.run(
        [grouplake_bin, "--version"], cwd=work, env=env, capture_output=True, text=True
    )
    assert (
        version.returncode == 0 and version.stdout.strip() == f"grouplake {grouplake.__version__}"
    )

    res = subprocess.run(
        [grouplake_bin, "run", "sample", "--exclude", "test_type:unit"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]
    assert "Completed successfully" in res.stdout and "groups from" in res.stdout

    warehouse = work / "data" / "warehouse.duckdb"
    counts = _counts(warehouse)
    assert counts == _counts(reference) and all(counts.values()), counts
    # dbt's files are beside the warehouse; the cwd holds only the input and data/
    assert (work / "data" / "warehouse.duckdb.dbt" / "target" / "manifest.json").exists()
    assert (work / "data" / "warehouse.duckdb.dbt" / "logs" / "dbt.log").exists()
    assert sorted(p.name for p in work.iterdir()) == ["data", "sample"]
    assert sorted(p.name for p in (work / "data").iterdir()) == [
        "lake",
        "warehouse.duckdb",
        "warehouse.duckdb.dbt",
        "warehouse.duckdb.lock",
    ]
    # nothing written into the installed package (no target/, logs/, .user.yml, partial parse)
    assert sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts) == installed_before

    # the read-only commands work from the same directory too
    status = subprocess.run(
        [grouplake_bin, "status"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 0 and "raw.group_events" in status.stdout, status.stderr
    build = subprocess.run(
        [grouplake_bin, "build", "--select", "groups"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0 and "PASS=" in build.stdout, (
        build.stdout[-3000:] + build.stderr[-2000:]
    )
    assert sorted(p.name for p in work.iterdir()) == ["data", "sample"]


def test_an_analyst_project_installs_the_package_over_raw_tables_in_another_schema(
    reference, tmp_path
):
    # the analyst's warehouse: grouplake's raw tables copied into schema `landing`
    analyst_wh = tmp_path / "analyst.duckdb"
    con = duckdb.connect(str(analyst_wh))
    con.execute(f"ATTACH '{reference}' AS ref (READ_ONLY)")
    con.execute("CREATE SCHEMA landing")
    for table in RAW_TABLES:
        con.execute(f"CREATE TABLE landing.{table} AS SELECT * FROM ref.raw.{table}")
    con.close()

    project = tmp_path / "analytics"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        "name: analytics\nconfig-version: 2\nprofile: analytics\n"
        "vars:\n  grouplake_raw_schema: landing\n"
    )
    (project / "packages.yml").write_text(f"packages:\n  - local: {REPO_ROOT / 'dbt_project'}\n")
    (project / "profiles.yml").write_text(
        "analytics:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{analyst_wh}'\n      schema: analytics\n      threads: 2\n"
        "      settings:\n        TimeZone: UTC\n"
    )
    env = _clean_env(
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    dbt = [sys.executable, "-c", _DBT_MAIN]
    flags = ["--project-dir", str(project), "--profiles-dir", str(project)]
    for command in (["deps"], ["build", "--exclude", "test_type:unit"]):
        res = subprocess.run(
            [*dbt, *command, *flags],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-3000:]

    con = duckdb.connect(str(analyst_wh))
    try:
        con.execute(f"ATTACH '{reference}' AS ref (READ_ONLY)")
        schemas = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_catalog = 'analyst'"
            ).fetchall()
        }
        # dbt's default schema names: marts in the target schema, the layers beside it
        assert schemas == {"landing", "analytics", "analytics_staging", "analytics_intermediate"}, (
            schemas
        )
        for mart in MARTS:
            n = con.execute(f"SELECT count(*) FROM analytics.{mart}").fetchone()[0]
            assert (
                n > 0 and n == con.execute(f"SELECT count(*) FROM ref.main.{mart}").fetchone()[0]
            ), mart
            for a, b in (("analytics", "ref.main"), ("ref.main", "analytics")):
                diff = con.execute(
                    f"SELECT count(*) FROM (SELECT * FROM {a}.{mart} EXCEPT ALL "
                    f"SELECT * FROM {b}.{mart})"
                ).fetchone()[0]
                assert diff == 0, (mart, a, b, diff)
    finally:
        con.close()
