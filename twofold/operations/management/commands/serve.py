"""``twofold serve``: Twofold behind gunicorn, with its static files from WhiteNoise."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.operations.tasks import task_backend_description


def default_workers() -> int:
    """``WEB_CONCURRENCY`` when set, else one per core plus one.

    Twofold's requests spend most of their time on the processor, not waiting: on two cores three
    processes served about 12 % more requests a second than five, each request costing less CPU
    (fewer processes contending for the cores and their caches, README "Under load"), and
    PostgreSQL and the worker need a share of the same cores.
    """
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    if value:
        try:
            return int(value)
        except ValueError:
            raise CommandError(f"WEB_CONCURRENCY={value!r} is not a whole number") from None
    return (os.cpu_count() or 1) + 1


def database_description() -> str:
    database = settings.DATABASES["default"]
    if str(database["ENGINE"]).endswith("sqlite3"):
        return f"SQLite at {database['NAME']}"
    host = database.get("HOST") or "local socket"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"PostgreSQL {database['NAME']} on {host}{port}"


def static_description() -> str:
    if settings.WHITENOISE_USE_FINDERS:
        return "WhiteNoise, straight from the package (demo mode)"
    return f"WhiteNoise, from {settings.STATIC_ROOT} (collectstatic)"


class Command(BaseCommand):
    help = (
        "Serve Twofold with gunicorn: several worker processes, static files from WhiteNoise, one access "
        "line per request. SIGHUP reloads gracefully (new workers with the code installed now), SIGTERM stops "
        "after the running requests."
    )
    requires_system_checks: list[str] = []  # gunicorn's workers load the app; the checks run in `twofold check`

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("TWOFOLD_BIND", "127.0.0.1:8000"),
            help="HOST:PORT or unix:PATH to listen on (default TWOFOLD_BIND or 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="web processes (default WEB_CONCURRENCY or 1 per core + 1)"
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="threads per process; more than 1 uses gthread (default 1)"
        )
        parser.add_argument(
            "--timeout", type=int, default=60, help="seconds a request may take before its worker is restarted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] if options["workers"] is not None else default_workers()
        if workers < 1 or options["threads"] < 1 or options["timeout"] < 1:
            raise CommandError("--workers, --threads and --timeout must be 1 or more")
        if not settings.WHITENOISE_USE_FINDERS and not _manifest_exists():
            raise CommandError(
                f"No collected static files in {settings.STATIC_ROOT}: run `twofold collectstatic --noinput` first."
            )
        bind = options["bind"]
        where = bind if bind.startswith(("unix:", "fd://")) else f"http://{bind}"
        self.stdout.write(f"Twofold serving on {where}")
        self.stdout.write(
            f"  server:   gunicorn, {workers} worker process{'es' if workers != 1 else ''}"
            + (f" × {options['threads']} threads" if options["threads"] > 1 else "")
        )
        self.stdout.write(f"  database: {database_description()}")
        self.stdout.write(f"  tasks:    {task_backend_description()} — run `twofold worker` beside it")
        self.stdout.write(f"  static:   {static_description()}")
        self.stdout.write(f"  logs:     {settings.LOG_FORMAT} on standard error; probes at /healthz and /readyz")
        self.stdout.flush()
        sys.stderr.flush()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "twofold.wsgi:application",
            "--config",
            "python:twofold.operations.gunicorn_config",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--threads",
            str(options["threads"]),
            "--timeout",
            str(options["timeout"]),
        ]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
        # The serve process becomes the gunicorn master (same pid: systemd and signals reach it).
        os.execv(sys.executable, command)


def _manifest_exists() -> bool:
    manifest_name = getattr(staticfiles_storage, "manifest_name", None)
    if manifest_name is None:
        return True
    return os.path.exists(os.path.join(settings.STATIC_ROOT, manifest_name))
