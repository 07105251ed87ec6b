"""Files waiting on the import page between their check and their confirmation: kept under
``VAR_DIR/imports`` until they are confirmed or cancelled, or for ``IMPORT_UPLOAD_RETENTION_HOURS``
at most."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from twofold.people.import_services import _require_import_permission


def import_upload_folder() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def import_upload_save(*, actor: Any, name: str, chunks: Iterable[bytes]) -> Path:
    """Keep an uploaded file until it is confirmed or cancelled, or has waited too long."""
    _require_import_permission(actor)
    folder = import_upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{actor.pk}-{secrets.token_urlsafe(12)}{Path(name).suffix.lower()}"
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return path


def import_upload_read(path: str | Path, *, now: datetime | None = None) -> bytes | None:
    """A waiting file's bytes, or None when it is gone or has waited too long (it is then deleted)."""
    waiting = _waiting_file(path)
    if waiting is None or not waiting.is_file():
        return None
    if _waited_too_long(waiting, now=now):
        waiting.unlink(missing_ok=True)
        return None
    return waiting.read_bytes()


def import_upload_discard(path: str | Path) -> None:
    """Delete a waiting file: it was confirmed, cancelled, refused or replaced by another."""
    waiting = _waiting_file(path)
    if waiting is not None:
        waiting.unlink(missing_ok=True)


def import_uploads_purge(*, now: datetime | None = None) -> int:
    """Delete the files nobody confirmed within ``IMPORT_UPLOAD_RETENTION_HOURS``; the daily run calls this.

    An HRIS export holds the whole workforce's personal data: it is kept no longer than the check
    and its confirmation need. Returns how many files were deleted.
    """
    folder = import_upload_folder()
    if not folder.is_dir():
        return 0
    deleted = 0
    for path in folder.iterdir():
        if path.is_file() and _waited_too_long(path, now=now):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def _waiting_file(path: str | Path) -> Path | None:
    """``path`` if it is one of the waiting files, never anything elsewhere on disk."""
    resolved = Path(path).resolve()
    return resolved if resolved.parent == import_upload_folder().resolve() else None


def _waited_too_long(path: Path, *, now: datetime | None) -> bool:
    saved = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
    return (now or timezone.now()) - saved > timedelta(hours=settings.IMPORT_UPLOAD_RETENTION_HOURS)
