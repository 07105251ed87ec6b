"""Importing the directory from the HRIS: people (upserted by employee id) and career events.

Every import, from the web page or the command line, comes through here: who may run it (the
``actor``, asked of ``accounts.permissions``) and the record kept of it (:class:`ImportRecord`:
who, when, the file's name and SHA-256, the mode and the counts, whatever the outcome). Rows are
parsed and checked in ``importing`` and ``career_events``, compared with the directory and
written in ``import_writes``. A file checked on the import page waits under ``VAR_DIR/imports``
until it is confirmed or cancelled, or for ``IMPORT_UPLOAD_RETENTION_HOURS`` at most.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from twofold import audit
from twofold.accounts import permissions
from twofold.events import announce
from twofold.people.hris_presets import RESTRICTED_FIELDS, ColumnMapping, resolve_mapping
from twofold.people.import_writes import ImportResult, NoProgress, Progress, people_plan, people_write
from twofold.people.importing import parse_people
from twofold.people.models import ImportKind, ImportOutcome, ImportRecord
from twofold.people.tabular import FileRejected, Table, read_file_bytes, read_table_bytes


@dataclass(frozen=True)
class ImportFile:
    """Which file an import read, as its record keeps it."""

    name: str
    sha256: str = ""
    size: int | None = None

    @classmethod
    def of(cls, data: bytes, *, name: str) -> ImportFile:
        return cls(name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


class ImportNotPermitted(permissions.NotPermitted):
    """The actor may not run this import; nothing in the file was compared with the directory.

    ``columns`` names the file's columns the actor may not import, when those are the reason.
    """

    def __init__(self, message: str, *, columns: Iterable[str] = (), action: str = "people.import") -> None:
        super().__init__(message, action=action)
        self.columns = list(columns)


@dataclass(frozen=True)
class DeactivationPlan:
    """The people a whole-workforce import would mark as having left, against the limit on them."""

    employee_ids: list[str]
    active: int  # active people in the directory before the import
    limit: int  # the most that may be marked as having left without forcing it
    # Of employee_ids, those whose exit (a career event) is dated after today: the daily run marks
    # them on that day, with no further confirmation, so they are confirmed and counted now.
    later: int = 0

    @property
    def count(self) -> int:
        return len(self.employee_ids)

    @property
    def over_limit(self) -> bool:
        return self.count > self.limit

    def describe(self) -> str:
        when = f" ({self.later:,} of them on exit dates still to come)" if self.later else ""
        return f"{self.count:,} of the {self.active:,} active {'person' if self.active == 1 else 'people'}{when}"


ConfirmDeactivation = Callable[[DeactivationPlan], bool]
AppliedHook = Callable[[ImportRecord, ImportResult], None]


class DeactivationNotConfirmed(Exception):
    """A whole-workforce import would mark people as having left without the confirmation it needs."""

    def __init__(self, message: str, *, plan: DeactivationPlan) -> None:
        super().__init__(message)
        self.plan = plan


def deactivation_plan(result: ImportResult) -> DeactivationPlan:
    """Who ``result`` marks as having left, and the most it may: a share of the active workforce."""
    limit = result.active_before * settings.IMPORT_MAX_DEACTIVATION_PERCENT // 100
    return DeactivationPlan(employee_ids=result.deactivated, active=result.active_before, limit=limit)


def people_import_file(
    path: str | Path,
    *,
    actor: Any,
    preset: str = "generic",
    mapping_file: str | Path | None = None,
    full: bool = False,
    dry_run: bool = False,
    confirm_deactivation: ConfirmDeactivation | None = None,
    allow_mass_deactivation: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import people from a CSV, XLSX or JSON file on disk (see :func:`people_import_bytes`)."""
    path = Path(path)
    return people_import_bytes(
        read_file_bytes(path),
        name=path.name,
        actor=actor,
        preset=preset,
        mapping_file=mapping_file,
        full=full,
        dry_run=dry_run,
        confirm_deactivation=confirm_deactivation,
        allow_mass_deactivation=allow_mass_deactivation,
        progress=progress,
        today=today,
    )


def people_import_bytes(
    data: bytes,
    *,
    name: str,
    actor: Any,
    preset: str = "generic",
    mapping_file: str | Path | None = None,
    full: bool = False,
    dry_run: bool = False,
    confirm_deactivation: ConfirmDeactivation | None = None,
    allow_mass_deactivation: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
    on_applied: AppliedHook | None = None,
) -> ImportResult:
    """Import people from a file's bytes (``name`` gives its format), all or nothing.

    Raises :class:`ImportNotPermitted` when ``actor`` may not import (or not some of the file's
    columns), :class:`FileRejected` listing every problem in the file, and
    :class:`DeactivationNotConfirmed` (below); in each case nothing is written but the import's
    record. On a dry run the result says what would change.

    With ``full`` the file is the whole workforce: active people missing from it are deactivated,
    never deleted. That happens only when ``confirm_deactivation`` is given the
    :class:`DeactivationPlan` and approves it (the caller shows the number and asks), and when it
    is more than ``IMPORT_MAX_DEACTIVATION_PERCENT`` of the active people, only with
    ``allow_mass_deactivation`` as well.

    ``on_applied`` is called with the import's record and result inside the transaction of its
    writes (a background job marks itself done there, together with the import).
    """
    record = import_record_new(
        ImportKind.PEOPLE,
        actor=actor,
        file=ImportFile.of(data, name=name),
        preset=_preset_label(preset, mapping_file),
        full=full,
        dry_run=dry_run,
    )
    with import_recorded(record):
        _require_import_permission(actor)
        table = read_table_bytes(data, name=name)
        return _people_import_table(
            table,
            actor=actor,
            record=record,
            preset=preset,
            mapping_file=mapping_file,
            full=full,
            dry_run=dry_run,
            confirm_deactivation=confirm_deactivation,
            allow_mass_deactivation=allow_mass_deactivation,
            progress=progress,
            today=today,
            on_applied=on_applied,
        )


def people_import_table(
    table: Table,
    *,
    actor: Any,
    source: str,
    preset: str = "generic",
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import people from a table built in memory (the demo's generated organisation), named ``source``."""
    record = import_record_new(
        ImportKind.PEOPLE, actor=actor, file=ImportFile(name=source), preset=preset, full=full, dry_run=dry_run
    )
    with import_recorded(record):
        _require_import_permission(actor)
        return _people_import_table(
            table,
            actor=actor,
            record=record,
            preset=preset,
            mapping_file=None,
            full=full,
            dry_run=dry_run,
            confirm_deactivation=None,
            allow_mass_deactivation=False,
            progress=progress,
            today=today,
            on_applied=None,
        )


def _people_import_table(
    table: Table,
    *,
    actor: Any,
    record: ImportRecord,
    preset: str,
    mapping_file: str | Path | None,
    full: bool,
    dry_run: bool,
    confirm_deactivation: ConfirmDeactivation | None,
    allow_mass_deactivation: bool,
    progress: Progress | None,
    today: date | None,
    on_applied: AppliedHook | None,
) -> ImportResult:
    progress = progress or NoProgress()
    mapping = resolve_mapping(table.columns, preset=preset, mapping_file=mapping_file)
    _refuse_columns_beyond(actor, mapping)
    progress.stage("Reading rows", len(table))
    parsed = parse_people(table, mapping, today=today or timezone.localdate(), on_row=progress.advance)
    plan = people_plan(parsed, full=full, dry_run=dry_run)
    result = plan.result
    if dry_run:
        _record_result(record, result)
        return result
    # Whole workforce or not, nobody is marked as having left unconfirmed: a partial file's
    # ``active: no`` rows need the same confirmation as a full file's missing people.
    _require_deactivation_confirmed(
        deactivation_plan(result),
        confirm=confirm_deactivation,
        allow_mass=allow_mass_deactivation,
        question=WHOLE_WORKFORCE if full else MANY_LEAVERS,
    )
    with transaction.atomic():
        people_write(plan, actor=actor, progress=progress)
        _record_result(record, result)
        if on_applied is not None:
            on_applied(record, result)
    return result


WHOLE_WORKFORCE = "Is the file really the whole workforce? Force it only if it is."
MANY_LEAVERS = "Are that many people really leaving? Force it only if they are."


def _require_deactivation_confirmed(
    plan: DeactivationPlan,
    *,
    confirm: ConfirmDeactivation | None,
    allow_mass: bool,
    question: str = WHOLE_WORKFORCE,
) -> None:
    """Marking people as having left is never a side effect: a "whole workforce" tick on a one-row
    file, or a truncated export, would otherwise empty the directory in one go."""
    if not plan.count:
        return
    if plan.over_limit and not allow_mass:
        raise DeactivationNotConfirmed(
            f"This import would mark {plan.describe()} as having left, more than the "
            f"{settings.IMPORT_MAX_DEACTIVATION_PERCENT}% limit ({plan.limit:,}). {question}",
            plan=plan,
        )
    if confirm is None or not confirm(plan):
        raise DeactivationNotConfirmed(
            f"This import would mark {plan.describe()} as having left, and that number was not confirmed.",
            plan=plan,
        )


def _require_import_permission(actor: Any) -> None:
    try:
        permissions.authorize(actor, "people.import")
    except permissions.NotPermitted as refusal:
        raise ImportNotPermitted(
            "Importing the directory needs the “Can import people” permission, which an org admin can grant."
        ) from refusal


def _refuse_columns_beyond(actor: Any, mapping: ColumnMapping) -> None:
    """Refuse, before a single row is read, columns whose stored values the actor may not read.

    The preview compares every column with what is stored: a file copying someone's row plus a
    guessed gender would show "no changes" exactly when the guess is right. So restricted
    attributes are imported by org admins only, and the high-potential flag by those who may see
    it; anyone else is told which columns to remove, whatever the file holds.
    """
    may_restricted = permissions.allowed(actor, "people.import_restricted")
    restricted = [] if may_restricted else [f for f in RESTRICTED_FIELDS if mapping.has(f)]
    may_flags = permissions.allowed(actor, "people.view_talent_flags")
    flags = [] if may_flags or not mapping.has("high_potential") else ["high_potential"]
    if not restricted and not flags:
        return
    reasons = []
    if restricted:
        named = ", ".join(f"‘{mapping.source_label(name)}’" for name in restricted)
        reasons.append(f"restricted self-identified attributes ({named}) are imported by org admins only")
    if flags:
        reasons.append(
            f"the high-potential flag (‘{mapping.source_label('high_potential')}’) is imported by programme "
            "managers and org admins only"
        )
    columns = [mapping.source_label(name) for name in restricted + flags]
    raise ImportNotPermitted(
        f"This file has columns you may not import: {'; '.join(reasons)}. Remove "
        f"{'that column' if len(columns) == 1 else 'those columns'} and check the file again, or ask an org "
        "admin to import it. Nothing was compared with the directory.",
        columns=columns,
    )


# --- the record kept of every import ---------------------------------------------------------------


def _preset_label(preset: str, mapping_file: str | Path | None) -> str:
    return f"{preset} + {Path(mapping_file).name}" if mapping_file else preset


def import_record_new(
    kind: str, *, actor: Any, file: ImportFile, preset: str = "", full: bool = False, dry_run: bool
) -> ImportRecord:
    """The record of an import about to run, saved once it is known how it ended."""
    return ImportRecord(
        kind=kind,
        actor_id=getattr(actor, "pk", None),
        actor_name=str(actor)[:200],
        file_name=file.name[:255],
        file_sha256=file.sha256,
        file_size=file.size,
        preset=preset[:200],
        full=full,
        dry_run=dry_run,
    )


@contextmanager
def import_recorded(record: ImportRecord) -> Iterator[ImportRecord]:
    """Save ``record`` if the import is refused or its file rejected, after anything it began rolled back.

    A successful import saves its record itself, inside the transaction of its writes, so that the
    record and the changes it describes are committed together or not at all.
    """
    try:
        yield record
    except FileRejected as rejected:
        import_record_save(record, outcome=ImportOutcome.REJECTED, errors=len(rejected.problems))
        raise
    except (ImportNotPermitted, DeactivationNotConfirmed) as refused:
        import_record_save(record, outcome=ImportOutcome.REFUSED, detail=str(refused))
        raise


def _record_result(record: ImportRecord, result: ImportResult) -> None:
    changed = (set(result.updated) | set(result.skills_changed) | set(result.attributes_changed)) - set(result.created)
    import_record_save(
        record,
        rows=result.rows,
        created=len(result.created),
        updated=len(changed),
        deactivated=len(result.deactivated),
    )


def import_record_save(record: ImportRecord, *, outcome: str | None = None, detail: str = "", **counts: int) -> None:
    record.outcome = outcome or (ImportOutcome.CHECKED if record.dry_run else ImportOutcome.APPLIED)
    record.detail = detail[:500]
    for name, value in counts.items():
        setattr(record, name, value)
    record.save()
    # Reading a file against the directory (a preview included) is a sensitive read, and applying it
    # an org-wide write: both go to the audit log, refusals too. The command line has no account.
    audit.record(
        f"{record.kind}.import_preview" if record.dry_run else f"{record.kind}.import",
        actor=record.actor if record.actor_id else None,
        target=record,
        allowed=record.outcome != ImportOutcome.REFUSED,
        detail={
            "outcome": record.outcome,
            "file_sha256": record.file_sha256,
            "rows": record.rows,
            "created": record.created,
            "updated": record.updated,
            "deactivated": record.deactivated,
            "errors": record.errors,
        },
    )
    if record.outcome == ImportOutcome.APPLIED:
        announce(
            "import.finished",
            {
                "import": {"id": record.pk, "kind": record.kind, "full": record.full},
                **{count: getattr(record, count) for count in ("rows", "created", "updated", "deactivated")},
            },
        )
