r"""Privacy rules applied while a load classifies its lines: suppression and PII fields.

Both run in SQL over the whole chunk right after the classification (``chunk_classified``),
before duplicates are looked for and anything is written, so no suppressed line and no
unhashed field reaches the lake, the raw tables or a reject row (when rejects are redacted).
The raw line kept for a duplicate whose content differs gets the field rules too
(:func:`redact_duplicates`). Lines of other call types (skipped, never stored) are left alone.

1. **Suppression** (``grouplake suppress``, ``grouplake forget --suppress``): a line is dropped
   and counted as ``suppressed`` when it is an accepted event whose ``user_id`` /
   ``anonymous_id`` / ``group_id`` hashes (``sha256(salt || id)``) to a suppressed id of that
   kind, or a rejected line that matches like a forget matches rejects: its JSON object line has
   a suppressed ``userId`` / ``anonymousId`` / ``groupId``, or any JSON string token of the line
   hashes to a suppressed id (any kind).
2. **PII fields** (``grouplake.toml`` beside the warehouse, or ``GROUPLAKE_CONFIG``)::

       [pii]
       rejects = "redact"          # default "keep": rejects keep their exact bytes

       [pii.fields]
       "context.ip" = "hash"       # sha256(salt || value), as a JSON string
       "traits.email" = "hash"     # top-level trait keys by canonical name (Email, EMAIL; not e-mail)
       "traits.phone" = "drop"     # the key is removed

   ``context.<key>[.<key>...]`` names a (nested) key of ``context`` exactly; ``traits.<name>``
   matches every top-level trait key whose canonical name (docs/models.md) is ``<name>``.
   A hashed string is hashed as the text itself (``"a@b.co"`` -> ``sha256(salt || 'a@b.co')``),
   any other value as its JSON text; a JSON null stays null. The same value always gives the same
   hash, so joins on hashed fields keep working.
3. **Redacted rejects** (``rejects = "redact"``): a rejected line that is a JSON object is stored
   with the same field rules applied (re-serialised: no longer the exact bytes); any other
   rejected line (not JSON, not UTF-8, too large, ...) is stored without its text, with
   ``; raw line withheld (pii.rejects = redact)`` appended to its message.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from grouplake.errors import ConfigError, GrouplakeError
from grouplake.privacy import JSON_LINE_SQL, KINDS
from grouplake.salt import checked_salt, salt_macro_sql
from grouplake.sql import literal
from grouplake.tables import (
    CHUNK_CLASSIFIED,
    CHUNK_DUPLICATE_ROWS,
    CHUNK_PII_CONTEXT,
    CHUNK_PII_TRAITS,
    REDACT_DOCS,
    REDACT_TRAITS,
    REDACTED,
    SUPPRESSED_IDENTITIES,
)

CONFIG_FILE = "grouplake.toml"
CONFIG_ENV = "GROUPLAKE_CONFIG"
MODES = ("drop", "hash")
REJECT_MODES = ("keep", "redact")
WITHHELD_NOTE = "; raw line withheld (pii.rejects = redact)"

_CONTEXT_KEY = re.compile(r"[A-Za-z0-9_$-]+")


@dataclass
class PiiConfig:
    context: dict[tuple[str, ...], str] = field(default_factory=dict)  # key path in context -> mode
    traits: dict[str, str] = field(default_factory=dict)  # canonical trait key -> mode
    redact_rejects: bool = False
    source: str | None = None

    @property
    def hashes(self) -> bool:
        return "hash" in self.context.values() or "hash" in self.traits.values()


def config_path(warehouse: Path) -> Path:
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else Path(warehouse).parent / CONFIG_FILE


def read_config(warehouse: Path) -> PiiConfig:
    """The [pii] section of grouplake.toml (no file: no rules). Errors name the file and the key."""
    path = config_path(warehouse)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        if os.environ.get(CONFIG_ENV):
            raise ConfigError(f"config file not found: {path} (from {CONFIG_ENV})") from None
        return PiiConfig()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid config file {path}: {exc}") from None
    except OSError as exc:
        raise GrouplakeError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    pii = doc.get("pii", {})
    cfg = PiiConfig(source=str(path))
    if not isinstance(pii, dict):
        raise ConfigError(f"{path}: pii must be a table")
    unknown = set(pii) - {"rejects", "fields"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in the pii table: {', '.join(sorted(unknown))} (known: rejects, fields)"
        )
    rejects = pii.get("rejects", "keep")
    if rejects not in REJECT_MODES:
        raise ConfigError(
            f"{path}: pii.rejects must be one of {', '.join(REJECT_MODES)}, not {rejects!r}"
        )
    cfg.redact_rejects = rejects == "redact"
    fields = pii.get("fields", {})
    if not isinstance(fields, dict):
        raise ConfigError(f'{path}: pii.fields must be a table of "field" = "drop" | "hash"')
    for name, mode in fields.items():
        if mode not in MODES:
            raise ConfigError(f'{path}: pii.fields."{name}" must be "drop" or "hash", not {mode!r}')
        top, _, rest = name.partition(".")
        if top == "context" and rest and all(_CONTEXT_KEY.fullmatch(p) for p in rest.split(".")):
            cfg.context[tuple(rest.split("."))] = mode
        elif top == "traits" and rest and re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", rest):
            cfg.traits[rest] = mode
        else:
            raise ConfigError(
                f'{path}: pii.fields has {name!r}: expected "context.<key>[.<key>...]" (keys as sent) or '
                '"traits.<canonical_name>" (a top-level trait key in lower snake_case, e.g. traits.email)'
            )
    return cfg


@dataclass
class IngestRules:
    config: PiiConfig
    suppressed_kinds: list[str]  # kinds with at least one suppressed id

    @property
    def active(self) -> bool:
        c = self.config
        return bool(self.suppressed_kinds or c.context or c.traits or c.redact_rejects)


def _warehouse_of(con: duckdb.DuckDBPyConnection) -> Path:
    return Path(
        con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()[0][0]
    )


def rules_for(con: duckdb.DuckDBPyConnection, warehouse: Path | None = None) -> IngestRules:
    """Read the rules for a load on ``con`` (config file, suppression list) and set up the salt macro."""
    warehouse = Path(warehouse) if warehouse else _warehouse_of(con)
    config = read_config(warehouse)
    kinds = [
        k
        for (k,) in con.execute(
            f"SELECT DISTINCT kind FROM {SUPPRESSED_IDENTITIES} ORDER BY kind"
        ).fetchall()
    ]
    rules = IngestRules(config, kinds)
    if kinds or config.hashes:
        con.execute(salt_macro_sql(checked_salt(con, warehouse)))
    return rules


# ----------------------------------------------------------------------------------- SQL


# the canonical trait key, as dbt_project/macros/trait_keys/canonical_trait_key.sql
def canonical_key_sql(k: str) -> str:
    step1 = rf"regexp_replace({k}, '(\p{{Lu}}+)(\p{{Lu}}\p{{Ll}})', '\1_\2', 'g')"
    step2 = rf"regexp_replace({step1}, '(\p{{Ll}}|\p{{N}})(\p{{Lu}})', '\1_\2', 'g')"
    step4 = rf"regexp_replace(lower({step2}), '[^\p{{L}}\p{{N}}]+', '_', 'g')"
    step5 = rf"regexp_replace({step4}, '^_+|_+$', '', 'g')"
    return f"coalesce(nullif({step5}, ''), '_')"


def _hashed_json_text(v: str) -> str:
    """JSON text of the hash of JSON value ``v`` (strings hashed as their text); null stays null."""
    return (
        f"CASE WHEN json_type({v}) = 'NULL' THEN 'null' ELSE to_json(gl_salted("
        f"CASE WHEN json_type({v}) = 'VARCHAR' THEN {v} ->> '$' ELSE {v}::VARCHAR END))::VARCHAR END"
    )


def _trait_prefilter(cfg: PiiConfig, text: str) -> str:
    """A cheap necessary condition for ``text`` (a key, or a whole re-serialised object) to hold a
    key of a configured canonical name: every ``_``-separated part of the name appears in it, lower
    cased (a canonical key is the original's letters and digits, lower cased, with ``_`` only where
    the original had other characters or a case change)."""
    return (
        "("
        + " OR ".join(
            "("
            + " AND ".join(f"contains(lower({text}), {literal(part)})" for part in name.split("_"))
            + ")"
            for name in cfg.traits
        )
        + ")"
    )


def traits_patch_table_sql(cfg: PiiConfig, table: str, source: str) -> str:
    """CREATE ``table`` (source_line, patch): the JSON merge patch of each traits object of
    ``source`` (a query of source_line, obj) that has a key to drop or hash.

    Keys to drop get ``null`` (a merge patch removes them); keys to hash get their hash, unless
    their value is null (a clear stays a clear: a null in the patch would remove the key). Set-based:
    only objects whose text passes the prefilter are split into keys.
    """
    names = ", ".join(literal(n) for n in cfg.traits)
    keep = (
        "CASE c "
        + " ".join(
            f"WHEN {literal(n)} THEN " + ("true" if mode == "drop" else "json_type(v) <> 'NULL'")
            for n, mode in cfg.traits.items()
        )
        + " ELSE false END"
    )
    value = (
        "CASE c "
        + " ".join(
            f"WHEN {literal(n)} THEN " + ("'null'" if mode == "drop" else _hashed_json_text("v"))
            for n, mode in cfg.traits.items()
        )
        + " END"
    )
    return f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH cand AS (
            SELECT source_line, obj FROM ({source}) WHERE {_trait_prefilter(cfg, "obj::VARCHAR")}
        ), keys AS (
            SELECT source_line, obj, unnest(json_keys(obj)) AS k FROM cand
        ), named AS (
            SELECT source_line, obj, k, {canonical_key_sql("k")} AS c FROM keys WHERE {_trait_prefilter(cfg, "k")}
        ), hits AS (
            SELECT source_line, k, c, json_extract(obj, '/' || replace(replace(k, '~', '~0'), '/', '~1')) AS v
            FROM named WHERE c IN ({names})
        )
        SELECT source_line, ('{{' || string_agg(to_json(k)::VARCHAR || ':' || {value}, ',') || '}}')::JSON AS patch
        FROM hits WHERE {keep}
        GROUP BY source_line"""


def _pointer(path: tuple[str, ...]) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)


def context_values_sql(cfg: PiiConfig, obj: str) -> str:
    """The values at the configured context paths of ``obj``, as a list in rule order (one parse)."""
    return f"json_extract({obj}, [{', '.join(literal(_pointer(path)) for path in cfg.context)}])"


def context_patches_sql(cfg: PiiConfig, values: str) -> list[str]:
    """One JSON merge patch per context rule, from ``values`` (:func:`context_values_sql`); NULL when
    the key is absent (or, to hash, null)."""
    patches = []
    for i, (path, mode) in enumerate(cfg.context.items(), start=1):
        v = f"{values}[{i}]"
        if mode == "drop":
            nested = "null"
            for p in reversed(path):
                nested = json.dumps({p: json.loads(nested)})
            patches.append(f"CASE WHEN {v} IS NOT NULL THEN {literal(nested)}::JSON END")
        else:
            value = f"({_hashed_json_text(v)})::JSON"
            for p in reversed(path):
                value = f"json_object({literal(p)}, {value})"
            patches.append(
                f"CASE WHEN {v} IS NOT NULL AND json_type({v}) <> 'NULL' THEN {value} END"
            )
    return patches


def _apply_patches(target: str, patches: list[str]) -> str:
    return (
        f"json_merge_patch({target}, "
        + ", ".join(f"coalesce({p}, '{{}}'::JSON)" for p in patches)
        + ")"
    )


def suppress_sql(kinds: list[str]) -> str:
    """DELETE the chunk's lines of suppressed identities (see the module doc); returns the count."""
    suppressed = {
        k: f"(SELECT id_sha256 FROM {SUPPRESSED_IDENTITIES} WHERE kind = '{k}')" for k in kinds
    }
    event_match = " OR ".join(f"gl_salted({KINDS[k][0]}) IN {suppressed[k]} IS TRUE" for k in kinds)
    reject_fields = " OR ".join(
        f"gl_salted(json_extract_string({JSON_LINE_SQL}, '$.{KINDS[k][1]}')) IN {suppressed[k]} IS TRUE"
        for k in kinds
    )
    tokens = (
        'len(list_intersect(list_transform(regexp_extract_all(raw_line, \'"((?:[^"\\\\]|\\\\.)*)"\', 1), '
        f"lambda t: gl_salted(t)), (SELECT list(id_sha256) FROM {SUPPRESSED_IDENTITIES}))) > 0"
    )
    return f"""
        DELETE FROM {CHUNK_CLASSIFIED} WHERE source_line IN (
            SELECT source_line FROM {CHUNK_CLASSIFIED} WHERE accepted AND ({event_match})
            UNION ALL
            SELECT source_line FROM {CHUNK_CLASSIFIED} WHERE reason IS NOT NULL AND raw_line IS NOT NULL
              AND ({reject_fields} OR {tokens})
        )"""


def _context_prefilter(cfg: PiiConfig, text: str) -> str:
    """Every configured context path's last key appears as a JSON string in ``text`` (re-serialised JSON)."""
    return (
        "("
        + " OR ".join(f"contains({text}, {literal(json.dumps(path[-1]))})" for path in cfg.context)
        + ")"
    )


def pii_events_sql(cfg: PiiConfig) -> list[str]:
    """Statements rewriting the chunk's accepted events' traits and context by the field rules."""
    stmts = []
    if cfg.traits:
        stmts.append(
            traits_patch_table_sql(
                cfg,
                CHUNK_PII_TRAITS,
                f"SELECT source_line, traits AS obj FROM {CHUNK_CLASSIFIED} WHERE accepted",
            )
        )
        stmts.append(f"""
            UPDATE {CHUNK_CLASSIFIED} AS c SET traits = json_merge_patch(c.traits, p.patch)
            FROM {CHUNK_PII_TRAITS} AS p WHERE c.source_line = p.source_line""")
        stmts.append(f"DROP TABLE {CHUNK_PII_TRAITS}")
    if cfg.context:
        stmts.append(f"""
            CREATE OR REPLACE TEMP TABLE {CHUNK_PII_CONTEXT} AS
            SELECT source_line, {context_values_sql(cfg, "context")} AS vs FROM {CHUNK_CLASSIFIED}
            WHERE accepted AND starts_with(context::VARCHAR, '{{') AND {_context_prefilter(cfg, "context::VARCHAR")}""")
        patches = context_patches_sql(cfg, "x.vs")
        stmts.append(f"""
            UPDATE {CHUNK_CLASSIFIED} AS c SET context = {_apply_patches("c.context", patches)}
            FROM {CHUNK_PII_CONTEXT} AS x WHERE c.source_line = x.source_line
              AND ({" OR ".join(f"({p}) IS NOT NULL" for p in patches)})""")
        stmts.append(f"DROP TABLE {CHUNK_PII_CONTEXT}")
    return stmts


def redact_lines_sql(
    cfg: PiiConfig,
    table: str,
    where: str,
    withheld_note: str | None,
    also_clear: tuple[str, ...] = (),
) -> list[str]:
    """Statements redacting the ``raw_line`` of the rows of ``table`` (keyed by source_line) that
    match ``where``: the field rules applied to lines that are JSON objects (re-serialised), other
    lines withheld (NULL; with ``withheld_note`` appended to their ``message`` when given). The
    ``also_clear`` columns (the exact bytes) are set to NULL in both cases."""
    stmts = [
        f"""
        CREATE OR REPLACE TEMP TABLE {REDACT_DOCS} AS
        SELECT source_line, doc FROM (
            SELECT source_line, (CASE WHEN json_valid(raw_line) THEN raw_line END)::JSON AS doc
            FROM {table} WHERE ({where}) AND raw_line IS NOT NULL)
        WHERE json_type(doc) = 'OBJECT'"""
    ]
    patches = []  # each a one-member patch of the whole line, or NULL when it has nothing to change
    if cfg.traits:
        stmts.append(
            traits_patch_table_sql(
                cfg,
                REDACT_TRAITS,
                "SELECT source_line, json_extract(doc, '$.traits') AS obj "
                f"FROM {REDACT_DOCS} WHERE json_type(json_extract(doc, '$.traits')) = 'OBJECT'",
            )
        )
        patches.append(
            f"(SELECT json_object('traits', t.patch) FROM {REDACT_TRAITS} AS t "
            "WHERE t.source_line = d.source_line)"
        )
    if cfg.context:
        ctx = "json_extract(d.doc, '$.context')"
        values = f"(CASE WHEN json_type({ctx}) = 'OBJECT' THEN {context_values_sql(cfg, ctx)} END)"
        patches += [
            f"CASE WHEN ({p}) IS NOT NULL THEN json_object('context', {p}) END"
            for p in context_patches_sql(cfg, values)
        ]
    redacted = _apply_patches("d.doc", patches) if patches else "d.doc"
    stmts.append(f"""
        CREATE OR REPLACE TEMP TABLE {REDACTED} AS
        SELECT d.source_line, ({redacted})::VARCHAR AS line FROM {REDACT_DOCS} AS d""")
    base64 = "".join(f", {c} = NULL" for c in also_clear)
    stmts.append(f"""
        UPDATE {table} AS c SET raw_line = r.line{base64}
        FROM {REDACTED} AS r WHERE c.source_line = r.source_line AND ({where})""")
    note = f", message = message || {literal(withheld_note)}" if withheld_note else ""
    stmts.append(f"""
        UPDATE {table} SET raw_line = NULL{base64}{note}
        WHERE ({where}) AND raw_line IS NOT NULL AND source_line NOT IN (SELECT source_line FROM {REDACTED})""")
    stmts.append(
        f"DROP TABLE IF EXISTS {REDACT_TRAITS}; DROP TABLE {REDACTED}; DROP TABLE {REDACT_DOCS}"
    )
    return stmts


def redact_rejects_sql(cfg: PiiConfig) -> list[str]:
    """The chunk's rejects (``rejects = "redact"``): rules applied to JSON objects, other lines withheld."""
    return redact_lines_sql(
        cfg, CHUNK_CLASSIFIED, "reason IS NOT NULL", WITHHELD_NOTE, ("raw_base64",)
    )


def redact_duplicates(con: duckdb.DuckDBPyConnection, rules: IngestRules) -> None:
    """The raw lines kept for duplicates with other content (``chunk_duplicate_rows``) are accepted
    calls: with field rules, they get the same rules as the events, so no field escapes them."""
    if rules.config.context or rules.config.traits:
        for stmt in redact_lines_sql(rules.config, CHUNK_DUPLICATE_ROWS, "true", None):
            con.execute(stmt)


def apply(con: duckdb.DuckDBPyConnection, rules: IngestRules) -> int:
    """Apply the rules to ``chunk_classified``; returns the number of suppressed lines (removed from it)."""
    if not rules.active:
        return 0
    suppressed = 0
    if rules.suppressed_kinds:
        suppressed = con.execute(suppress_sql(rules.suppressed_kinds)).fetchall()[0][0]
    for stmt in pii_events_sql(rules.config):
        con.execute(stmt)
    if rules.config.redact_rejects:
        for stmt in redact_rejects_sql(rules.config):
            con.execute(stmt)
    return suppressed
