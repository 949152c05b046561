"""The privacy salt: the secret behind every hash grouplake stores instead of personal data.

Forget requests (``raw.deletion_log``), the suppression list (``raw.suppressed_identities``)
and the PII rules of ``grouplake.toml`` (``hash``) store ``sha256(salt || value)`` as lower-case
hex, computed by DuckDB's ``sha256`` in SQL and by ``hashlib`` here (the same bytes: UTF-8).

The salt is kept outside the warehouse, so a copy of the DuckDB file alone cannot be used to
test guesses against the hashes:

* ``GROUPLAKE_SALT`` (the value itself), when set, else
* the file ``<warehouse>.salt`` beside the warehouse (e.g. ``data/warehouse.duckdb.salt``),
  created with mode 0600 and 32 random bytes (hex) the first time a privacy feature needs it.

The warehouse stores a fingerprint of the salt (``raw.privacy_salt``). A different salt (a lost
salt file recreated, a wrong ``GROUPLAKE_SALT``) would silently stop suppressed ids from
matching and change every hashed value, so it is an error instead.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import duckdb

from grouplake.errors import GrouplakeError
from grouplake.sql import literal
from grouplake.tables import PRIVACY_SALT

SALT_ENV = "GROUPLAKE_SALT"
_FINGERPRINT_PREFIX = "grouplake-salt-fingerprint:"


def salt_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".salt")


def salt_source(warehouse: Path) -> str:
    return SALT_ENV if os.environ.get(SALT_ENV) else str(salt_path(warehouse))


def read_salt(warehouse: Path, *, create: bool = True) -> str | None:
    """The salt (from GROUPLAKE_SALT or the salt file); a new salt file when ``create`` and none exists."""
    env = os.environ.get(SALT_ENV)
    if env:
        return env
    path = salt_path(warehouse)
    try:
        salt = path.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
        return _create_salt_file(path)
    except OSError as exc:
        raise GrouplakeError(f"cannot read the salt file {path}: {exc.strerror or exc}") from None
    if not salt:
        raise GrouplakeError(
            f"the salt file {path} is empty: restore it from a backup (or set {SALT_ENV})"
        )
    return salt


def _create_salt_file(path: Path) -> str:
    salt = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return path.read_text().strip()
    except OSError as exc:
        raise GrouplakeError(f"cannot create the salt file {path}: {exc.strerror or exc}") from None
    try:
        os.write(fd, (salt + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return salt


def fingerprint(salt: str) -> str:
    return hashlib.sha256((_FINGERPRINT_PREFIX + salt).encode()).hexdigest()


def salted_sha256(salt: str, value: str) -> str:
    """The same value as SQL ``sha256(salt || value)``."""
    return hashlib.sha256((salt + value).encode()).hexdigest()


def checked_salt(
    con: duckdb.DuckDBPyConnection, warehouse: Path, *, create: bool = True
) -> str | None:
    """The salt, checked against the fingerprint the warehouse keeps (recorded on first use)."""
    known = con.execute(f"SELECT fingerprint FROM {PRIVACY_SALT}").fetchall()
    salt = read_salt(warehouse, create=create and not known)
    if salt is None and known:
        raise GrouplakeError(
            f"the salt file {salt_path(warehouse)} is missing, and this warehouse holds hashes made with it: "
            f"restore it from a backup (or set {SALT_ENV}); a new salt would not match them"
        )
    if salt is None:
        return None
    if not known:
        con.execute(f"INSERT INTO {PRIVACY_SALT} VALUES (?)", [fingerprint(salt)])
    elif known[0][0] != fingerprint(salt):
        raise GrouplakeError(
            f"the salt in {salt_source(warehouse)} is not the one this warehouse's hashes were made with: "
            f"restore the original salt file (or {SALT_ENV}); with another salt suppressed ids would "
            "not match and hashed values would change"
        )
    return salt


def salt_macro_sql(salt: str) -> str:
    """A temporary (never stored) macro ``gl_salted(x)`` = ``sha256(salt || x)`` for the session."""
    return f"CREATE OR REPLACE TEMP MACRO gl_salted(x) AS sha256({literal(salt)} || x)"
