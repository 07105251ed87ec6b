"""Importing career events from the HRIS (promotions, moves, exits): parsed and checked in
:mod:`twofold.people.career_events`, added beside the directory, exits applied when they take effect.
Who may import, and the record kept of every import, are :mod:`twofold.people.import_services`'s."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from twofold.dates import LATEST_DATE
from twofold.people.bulk import bulk_insert_rows
from twofold.people.career_events import parse_career_events
from twofold.people.import_services import (
    ConfirmDeactivation,
    DeactivationPlan,
    ImportFile,
    _require_deactivation_confirmed,
    _require_import_permission,
    import_record_new,
    import_record_save,
    import_recorded,
)
from twofold.people.import_side_tables import CHUNK
from twofold.people.leavers import people_deactivate
from twofold.people.models import CareerEvent, CareerEventKind, ImportKind, ImportRecord, Person
from twofold.people.services import exits_in_effect
from twofold.people.tabular import FileRejected, read_file_bytes, read_table_bytes


@dataclass
class EventImportResult:
    rows: int
    created: int
    unchanged: int
    dry_run: bool = False
    # Employee ids of the people whose exit took effect (or, on a dry run, would).
    left: list[str] = field(default_factory=list)
    # Employee ids of the people with a new exit still to come, which the daily run will apply.
    leaving_later: list[str] = field(default_factory=list)


def career_events_import_file(
    path: str | Path,
    *,
    actor: Any,
    dry_run: bool = False,
    confirm_deactivation: ConfirmDeactivation | None = None,
    allow_mass_deactivation: bool = False,
    today: date | None = None,
) -> EventImportResult:
    """Import career events (employee_id, kind, date, from/to level and title, note) from a file.

    Exits mark people as having left only as the people import's whole-workforce mode does: when
    ``confirm_deactivation`` accepts their number, and, past ``IMPORT_MAX_DEACTIVATION_PERCENT`` of
    the active people, only with ``allow_mass_deactivation`` (see :func:`_career_events_add`).
    """
    path = Path(path)
    data = read_file_bytes(path)
    record = import_record_new(
        ImportKind.CAREER_EVENTS, actor=actor, file=ImportFile.of(data, name=path.name), dry_run=dry_run
    )
    with import_recorded(record):
        # Before anything is read or compared: the dry run's counts are for those who may import.
        _require_import_permission(actor)
        table = read_table_bytes(data, name=path.name)
        employee_pks = dict(Person.objects.values_list("employee_id", "pk"))
        events, problems = parse_career_events(table, employee_pks, today=timezone.localdate())
        if problems:
            raise FileRejected(problems)
        return _career_events_add(
            events,
            actor=actor,
            record=record,
            dry_run=dry_run,
            confirm=confirm_deactivation,
            allow_mass=allow_mass_deactivation,
            today=today,
        )


def career_events_import(
    events: Iterable[CareerEvent],
    *,
    actor: Any,
    source: str,
    dry_run: bool = False,
    confirm_deactivation: ConfirmDeactivation | None = None,
    allow_mass_deactivation: bool = False,
    today: date | None = None,
) -> EventImportResult:
    """Import events built in memory (the demo's generated history), named ``source`` in the record."""
    record = import_record_new(ImportKind.CAREER_EVENTS, actor=actor, file=ImportFile(name=source), dry_run=dry_run)
    with import_recorded(record):
        _require_import_permission(actor)
        return _career_events_add(
            list(events),
            actor=actor,
            record=record,
            dry_run=dry_run,
            confirm=confirm_deactivation,
            allow_mass=allow_mass_deactivation,
            today=today,
        )


def _career_events_add(
    events: list[CareerEvent],
    *,
    actor: Any,
    record: ImportRecord,
    dry_run: bool,
    confirm: ConfirmDeactivation | None,
    allow_mass: bool,
    today: date | None,
) -> EventImportResult:
    """Add events not already recorded (same person, kind and date); re-importing changes nothing.

    Exits that have come and are each person's latest event mark them as having left, through
    :func:`~twofold.people.leavers.people_deactivate`, in the same transaction as the events. A new
    exit dated in the future does so on its day, in the daily run
    (:func:`~twofold.people.services.people_exits_apply`). Both count towards the confirmation
    and the limit an import needs to mark people as having left (``_require_deactivation_confirmed``,
    as for a whole-workforce people import); an import that is not confirmed records nothing.
    """
    today = today or timezone.localdate()
    person_ids = {event.person_id for event in events}
    known: set[tuple[int, str, date]] = set()
    ids = sorted(person_ids)
    for start in range(0, len(ids), CHUNK):
        known.update(
            CareerEvent.objects.filter(person_id__in=ids[start : start + CHUNK]).values_list(
                "person_id", "kind", "effective_date"
            )
        )
    fresh = [event for event in events if (event.person_id, event.kind, event.effective_date) not in known]
    exits: dict[int, date] = {}
    for event in events:
        if event.kind == CareerEventKind.EXIT:
            exits[event.person_id] = max(event.effective_date, exits.get(event.person_id, event.effective_date))
    leaving = exits_in_effect(exits, pending=fresh, today=today)
    # New exits still to come that will be the person's latest event: the daily run applies them.
    new_exits = {event.person_id for event in fresh if event.kind == CareerEventKind.EXIT}
    future = {pk: when for pk, when in exits.items() if when > today and pk in new_exits}
    later = exits_in_effect(future, pending=fresh, today=LATEST_DATE)
    result = EventImportResult(
        rows=len(events),
        created=len(fresh),
        unchanged=len(events) - len(fresh),
        dry_run=dry_run,
        left=sorted(leaving.values()),
        leaving_later=sorted(later.values()),
    )
    if not dry_run:
        active = Person.objects.filter(active=True).count()
        _require_deactivation_confirmed(
            DeactivationPlan(
                employee_ids=result.left + result.leaving_later,
                active=active,
                limit=active * settings.IMPORT_MAX_DEACTIVATION_PERCENT // 100,
                later=len(result.leaving_later),
            ),
            confirm=confirm,
            allow_mass=allow_mass,
            question="Are all these exits really meant? Force it only if they are.",
        )
    with transaction.atomic():
        if not dry_run:
            now = timezone.now()
            for event in fresh:
                # An exit whose day has come is applied now; a later one by the daily run.
                if event.kind == CareerEventKind.EXIT and event.effective_date <= today:
                    event.applied_at = now
            # Plain rows (COPY on PostgreSQL): a model instance per INSERT row cost a quarter of
            # building the demo organisation.
            bulk_insert_rows(
                CareerEvent,
                EVENT_COLUMNS,
                ([getattr(event, EVENT_ATTRIBUTES.get(name, name)) for name in EVENT_COLUMNS] for event in fresh),
            )
            if leaving:
                people_deactivate(person_ids=list(leaving), actor=actor)
        import_record_save(record, rows=result.rows, created=result.created, deactivated=len(result.left))
    return result


EVENT_COLUMNS = (
    "person",
    "kind",
    "effective_date",
    "from_level",
    "to_level",
    "from_title",
    "to_title",
    "note",
    "applied_at",
)
EVENT_ATTRIBUTES = {"person": "person_id"}
