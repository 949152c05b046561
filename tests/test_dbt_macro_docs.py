"""Every dbt macro is documented: a `_macros.yml` beside it names it, describes it and lists its
arguments in the order of its signature; `macros/cross_db/` holds only dispatch families."""

import re
from pathlib import Path

import yaml

MACROS = Path(__file__).resolve().parent.parent / "dbt_project" / "macros"
SIGNATURE = re.compile(r"\{%-?\s*macro\s+(\w+)\(([^)]*)\)")
DISPATCH_PREFIX = re.compile(r"^(duckdb|spark|default|trino|postgres)__")


def _defined() -> dict[str, tuple[Path, list[str]]]:
    macros = {}
    for path in sorted(MACROS.rglob("*.sql")):
        for name, args in SIGNATURE.findall(path.read_text()):
            assert name not in macros, f"macro {name} defined twice"
            names = [a.split("=")[0].strip() for a in args.split(",") if a.strip()]
            macros[name] = (path, names)
    return macros


def _documented() -> dict[str, tuple[Path, dict]]:
    docs = {}
    for path in sorted(MACROS.rglob("_macros.yml")):
        for entry in yaml.safe_load(path.read_text())["macros"]:
            assert entry["name"] not in docs, f"macro {entry['name']} documented twice"
            docs[entry["name"]] = (path, entry)
    return docs


def test_every_macro_is_documented_beside_it_with_its_arguments():
    defined, documented = _defined(), _documented()
    assert len(defined) > 100
    assert set(documented) == set(defined)
    for name, (path, args) in defined.items():
        yml_path, entry = documented[name]
        assert yml_path.parent == path.parent, f"{name}: documented in {yml_path}, not beside it"
        assert entry["description"].strip(), name
        documented_args = entry.get("arguments", [])
        assert [a["name"] for a in documented_args] == args, name
        for arg in documented_args:
            assert arg["type"] and arg["description"].strip(), (name, arg["name"])


def test_cross_db_holds_dispatch_families_one_per_file():
    for path in sorted((MACROS / "cross_db").glob("*.sql")):
        names = SIGNATURE.findall(path.read_text())
        families = {DISPATCH_PREFIX.sub("", name) for name, _ in names}
        dispatched = [n for n, _ in names if DISPATCH_PREFIX.match(n)]
        if path.stem == "spark_json_member_text":
            # the Spark-only helpers of spark__json_each_join and spark__json_extract_path
            assert families == {"spark_member_json", "spark_json_number_text"}
            continue
        assert families == {path.stem}, path.name
        assert dispatched, f"{path.name} has no engine implementation"
