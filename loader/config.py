"""Where things live: warehouse file, lake folder, dbt project. Flags win over env vars over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
DEFAULT_LAKE = Path("data/lake")

WAREHOUSE_ENV = "GROUPLAKE_WAREHOUSE"
LAKE_ENV = "GROUPLAKE_LAKE"
DEBUG_ENV = "GROUPLAKE_DEBUG"

# dbt's target/ and logs/ for a warehouse go to this folder beside it (never into the
# installed package or the current directory): data/warehouse.duckdb -> data/warehouse.duckdb.dbt/
DBT_DIR_SUFFIX = ".dbt"

# Spark's local state for `grouplake build --engine spark` (Derby metastore, warehouse dir of the
# intermediate tables, derby.log, scratch space, dbt's target/ and logs/): GROUPLAKE_SPARK_STATE,
# else this folder beside a lake folder: data/lake -> data/lake.spark/
SPARK_STATE_ENV = "GROUPLAKE_SPARK_STATE"
SPARK_STATE_SUFFIX = ".spark"


def spark_state_dir(lake: str | Path) -> Path | None:
    """Spark's state folder for ``lake``: GROUPLAKE_SPARK_STATE, else ``<lake>.spark`` beside a lake
    folder; None for a lake on object storage without GROUPLAKE_SPARK_STATE."""
    if os.environ.get(SPARK_STATE_ENV):
        return Path(os.environ[SPARK_STATE_ENV]).absolute()
    if "://" in str(lake):
        return None
    lake = Path(lake).absolute()
    return lake.with_name(lake.name + SPARK_STATE_SUFFIX)


def dbt_project_dir() -> Path:
    """The shipped dbt project: package data ``grouplake/dbt_project`` (the repo's ``dbt_project/``)."""
    return Path(str(resources.files("grouplake.dbt_project")))


def dbt_work_dir(warehouse: str | Path) -> Path:
    """The folder beside ``warehouse`` that holds dbt's ``target/`` and ``logs/`` for it."""
    warehouse = Path(warehouse).absolute()
    return warehouse.with_name(warehouse.name + DBT_DIR_SUFFIX)


@dataclass(frozen=True)
class Paths:
    warehouse: Path
    lake: Path | str  # a folder, or an object-storage URI (s3://bucket/prefix) kept as written

    @classmethod
    def resolve(cls, warehouse: str | Path | None = None, lake: str | Path | None = None) -> Paths:
        wh = Path(warehouse or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE)
        lk = str(lake or os.environ.get(LAKE_ENV) or DEFAULT_LAKE)
        if "://" in lk:
            return cls(warehouse=wh.absolute(), lake=lk)
        return cls(warehouse=wh.absolute(), lake=Path(lk).absolute())
