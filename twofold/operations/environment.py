"""Reading Twofold's settings from the environment: yes/no values, whole numbers and lists, each
refused with the variable's name when it cannot be read, and the database from ``DATABASE_URL``.
:mod:`twofold.settings` reads every setting through these."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a yes/no value (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _postgres_binding_options(options: dict[str, str]) -> dict[str, object]:
    """Server-side binding and prepared statements for PostgreSQL (docs/operations.md, "Prepared statements").

    Django merges parameters into the SQL text by default, so PostgreSQL plans every query afresh; the
    pages' queries cost more to plan than to run. With server-side binding psycopg sends the parameters
    apart and prepares a statement once a connection has run it ``prepare_threshold`` times, so a
    persistent connection plans each of the pages' queries once. Off behind pgbouncer in transaction
    pooling mode, where the next transaction may land on a server connection without the statement.
    """
    if not env_bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        return {}
    threshold = options.get("prepare_threshold", "5")
    try:
        prepare_threshold = int(threshold)
    except ValueError:
        raise ImproperlyConfigured(f"DATABASE_URL's prepare_threshold={threshold!r} is not a whole number") from None
    return {"server_side_binding": True, "prepare_threshold": prepare_threshold}


def database_from_url(url: str) -> dict[str, object]:
    """Translate ``sqlite:///path`` or ``postgres://user:pass@host:port/name?opt=v`` into Django's form."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    options = dict(parse_qsl(parts.query))
    if scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ImproperlyConfigured("DATABASE_URL for SQLite needs a file path: sqlite:///var/twofold.db")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # WAL lets the web app read while a background task or an import writes;
                # IMMEDIATE transactions take the write lock up front instead of failing halfway.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        # A database that does not answer fails a request (and /readyz) in seconds instead of hanging
        # it until the operating system gives up on the connection.
        options.setdefault("connect_timeout", "10")
        return {
            "ENGINE": "twofold.operations.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "twofold",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {**options, **_postgres_binding_options(options)},
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {scheme!r} is not supported; use sqlite:/// or postgres://")
