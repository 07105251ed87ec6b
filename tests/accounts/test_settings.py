"""Settings come from the environment; production mode is strict and passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from twofold.operations.environment import database_from_url

ROOT = Path(__file__).resolve().parents[2]


def run_twofold(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twofold", *args],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_database_urls(monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_SERVER_SIDE_BINDING", raising=False)
    assert database_from_url("sqlite:///var/x.sqlite3")["NAME"] == "var/x.sqlite3"
    assert database_from_url("sqlite:////abs/x.sqlite3")["NAME"] == "/abs/x.sqlite3"
    postgres = database_from_url("postgres://app:s%40cret@db.internal:6543/people?sslmode=require")
    assert (
        postgres["ENGINE"],
        postgres["NAME"],
        postgres["USER"],
        postgres["PASSWORD"],
        postgres["HOST"],
        postgres["PORT"],
    ) == (
        "twofold.operations.postgresql",
        "people",
        "app",
        "s@cret",
        "db.internal",
        "6543",
    )
    binding = {"server_side_binding": True, "prepare_threshold": 5}
    assert postgres["OPTIONS"] == {"sslmode": "require", "connect_timeout": "10", **binding}
    assert database_from_url("postgres://db/x?connect_timeout=3")["OPTIONS"] == {"connect_timeout": "3", **binding}
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="scheme 'mysql' is not supported"):
        database_from_url("mysql://x@y/z")


def test_server_side_binding_is_a_setting(monkeypatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    options = database_from_url("postgres://db/x?prepare_threshold=0")["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 0)
    with pytest.raises(ImproperlyConfigured, match="prepare_threshold"):
        database_from_url("postgres://db/x?prepare_threshold=soon")
    # Behind PgBouncer in transaction pooling mode: parameters in the SQL text, nothing prepared.
    monkeypatch.setenv("DATABASE_SERVER_SIDE_BINDING", "0")
    assert database_from_url("postgres://db/x")["OPTIONS"] == {"connect_timeout": "10"}


@pytest.mark.django_db
def test_postgresql_prepares_a_repeated_query() -> None:
    from django.db import connection

    from twofold.accounts.models import User

    if connection.vendor != "postgresql" or not connection.features.uses_server_side_binding:
        pytest.skip("prepared statements are a PostgreSQL connection's, with server-side binding on")
    for _ in range(6):
        list(User.objects.filter(username="nobody-prepared"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%nobody%"])
        assert cursor.fetchone()[0] == 0  # the parameter is bound apart, never part of the statement
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [f"%{User._meta.db_table}%username%"],
        )
        assert cursor.fetchone()[0] >= 1


def test_demo_mode_generates_and_keeps_a_secret_key(tmp_path) -> None:
    script = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"DJANGO_SETTINGS_MODULE": "twofold.settings"}
    first = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env={**os.environ, **env, "TWOFOLD_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    second = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env={**os.environ, **env, "TWOFOLD_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_mode_requires_a_secret_key(tmp_path) -> None:
    result = run_twofold("check", env={"TWOFOLD_PRODUCTION": "1", "ALLOWED_HOSTS": "x.example"}, cwd=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production mode" in result.stderr


def test_production_mode_passes_check_deploy(tmp_path) -> None:
    env = {
        "TWOFOLD_PRODUCTION": "1",
        "SECRET_KEY": "x" * 30 + "a-long-and-random-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "twofold.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    for proxy in ("0", "1"):
        result = run_twofold(
            "check", "--deploy", "--fail-level", "WARNING", env={**env, "TRUST_X_FORWARDED_PROTO": proxy}, cwd=tmp_path
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout
        assert "WARNING" not in result.stdout + result.stderr and "?:" not in result.stdout + result.stderr


def settings_in_subprocess(expression: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = f"import django; django.setup(); from django.conf import settings; print(repr(({expression})))"
    return subprocess.run(
        [sys.executable, "-c", script],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "twofold.settings", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hole_8_sign_in_limits_come_from_the_environment(tmp_path) -> None:
    expression = "settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME, settings.SESSION_IDLE_MINUTES"
    defaults = settings_in_subprocess(expression, {"TWOFOLD_VAR_DIR": str(tmp_path)}, tmp_path)
    assert defaults.stdout.strip() == "(5, datetime.timedelta(seconds=900), 60)", defaults.stderr
    env = {
        "TWOFOLD_VAR_DIR": str(tmp_path),
        "SIGNIN_FAILURE_LIMIT": "3",
        "SIGNIN_LOCKOUT_MINUTES": "30",
        "SESSION_IDLE_MINUTES": "20",
        "TOTP_REQUIRED_FOR_ORG_ADMINS": "1",
    }
    configured = settings_in_subprocess(expression + ", settings.TOTP_REQUIRED_FOR_ORG_ADMINS", env, tmp_path)
    assert configured.stdout.strip() == "(3, datetime.timedelta(seconds=1800), 20, True)", configured.stderr
    refused = settings_in_subprocess(expression, {**env, "SIGNIN_FAILURE_LIMIT": "0"}, tmp_path)
    assert (
        refused.returncode != 0
        and "SIGNIN_FAILURE_LIMIT and SIGNIN_LOCKOUT_MINUTES must be 1 or more" in refused.stderr
    )
