"""Where things live: warehouse file, lake folder, dbt project. Flags win over env vars over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
DEFAULT_LAKE = Path("data/lake")

WAREHOUSE_ENV = "GROUPLAKE_WAREHOUSE"
LAKE_ENV = "GROUPLAKE_LAKE"


@dataclass(frozen=True)
class Paths:
    warehouse: Path
    lake: Path | str     # a folder, or an object-storage URI (s3://bucket/prefix) kept as written

    @classmethod
    def resolve(cls, warehouse: str | Path | None = None, lake: str | Path | None = None) -> "Paths":
        wh = Path(warehouse or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE)
        lk = str(lake or os.environ.get(LAKE_ENV) or DEFAULT_LAKE)
        if "://" in lk:
            return cls(warehouse=wh.absolute(), lake=lk)
        return cls(warehouse=wh.absolute(), lake=Path(lk).absolute())
