"""Names of the tables the loader reads and writes, in one place.

Raw tables: schema RAW_SCHEMA of the warehouse, the contract with the dbt project (their
columns: ``grouplake.schema``). Each constant is the qualified name, e.g. ``raw.group_events``.

Per-chunk temp tables: the contract between the steps of a load (``load._stage_lines``). Each
is replaced for every chunk of an input and dropped before the next one is read:

- CHUNK_INPUT: the chunk's lines with their byte-level verdicts (``validate.prepare_chunk``, an
  Arrow table registered under this name);
- CHUNK_CLASSIFIED: one row per line, its reject reason or its event columns
  (``validate.gen_classify_sql``); the privacy hook (``ingest_rules``) edits it in place;
- CHUNK_DUPLICATES: its accepted lines whose messageId is already loaded
  (``duplicates.gen_duplicates_sql``), and CHUNK_DUPLICATE_ROWS their rows of
  raw.group_event_duplicates (``duplicates.gen_duplicate_rows_sql``);
- CHUNK_REJECTS: the reject row of a chunk that could not be read to its end.

Scratch temp tables of one step (named here too, so no two steps of a session share a name).
"""

from __future__ import annotations

RAW_SCHEMA = "raw"

GROUP_EVENTS = f"{RAW_SCHEMA}.group_events"  # accepted Group calls (and lifecycle track events)
GROUP_EVENT_REJECTS = f"{RAW_SCHEMA}.group_event_rejects"  # rejected lines, with their reason
GROUP_EVENT_DUPLICATES = f"{RAW_SCHEMA}.group_event_duplicates"  # later copies of a messageId
LOAD_LEDGER = f"{RAW_SCHEMA}.load_ledger"  # one row per batch (per input loaded or failed)
DELETION_LOG = f"{RAW_SCHEMA}.deletion_log"  # forget requests
SUPPRESSED_IDENTITIES = f"{RAW_SCHEMA}.suppressed_identities"  # ids dropped at ingest
PRIVACY_SALT = f"{RAW_SCHEMA}.privacy_salt"  # the fingerprint of the salt of the hashes
BUILD_LOG = f"{RAW_SCHEMA}.build_log"  # one row per `grouplake build` (build_state.py)

# The marts `grouplake build` makes (dbt_project/models/marts), in schema MARTS_SCHEMA of the
# DuckDB warehouse.
MARTS_SCHEMA = "main"
MARTS = (
    "groups",
    "group_traits_latest",
    "user_group_memberships",
    "group_trait_history",
    "group_trait_catalog",
)

CHUNK_INPUT = "chunk_input"
CHUNK_CLASSIFIED = "chunk_classified"
CHUNK_DUPLICATES = "chunk_duplicates"
CHUNK_DUPLICATE_ROWS = "chunk_duplicate_rows"
CHUNK_REJECTS = "chunk_rejects"

# the privacy hook (ingest_rules): hashed trait / context values of the chunk's events, and the
# redacted raw lines of its rejects and differing duplicates
CHUNK_PII_TRAITS = "chunk_pii"
CHUNK_PII_CONTEXT = "chunk_pii_context"
REDACT_DOCS = "gl_redact_docs"
REDACT_TRAITS = "gl_redact_traits"
REDACTED = "gl_redacted"
# `grouplake forget` (privacy): the identities of the request, (kind, id)
FORGET_IDENTITIES = "gl_forget"
# `grouplake rejects --export` (rejects): the exported rejects and their line in the export
EXPORTED_REJECTS = "exported"
