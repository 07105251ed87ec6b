"""``twofold audit-export``: the audit log as CSV or JSON lines, for a date range."""

from __future__ import annotations

import csv
import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from twofold.audit import record
from twofold.audit.models import AuditEntry
from twofold.audit.selectors import AuditFilters, audit_entries
from twofold.formula_cells import formula_neutralised

COLUMNS = [
    "id",
    "at",
    "actor_kind",
    "actor_user_id",
    "actor_person_id",
    "actor_name",
    "action",
    "allowed",
    "target_type",
    "target_id",
    "target_label",
    "subject_person_id",
    "channel",
    "ip_address",
    "user_agent",
    "detail",
]


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


def _values(entry: AuditEntry) -> dict[str, Any]:
    values = {name: getattr(entry, "pk" if name == "id" else name) for name in COLUMNS}
    values["at"] = entry.at.isoformat()
    return values


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict):
        value = json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)
    # Names, labels and user agents come from people and browsers: never a live spreadsheet formula.
    return formula_neutralised(value) if isinstance(value, str) else ("" if value is None else value)


class Command(BaseCommand):
    help = (
        "Export the audit log, oldest first, as CSV (safe to open in a spreadsheet) or JSON lines, "
        "optionally for a range of days (both ends included). The export is itself recorded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--since", help="first day, YYYY-MM-DD")
        parser.add_argument("--until", help="last day, YYYY-MM-DD")
        parser.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        filters = AuditFilters(since=_day(options["since"], "--since"), until=_day(options["until"], "--until"))
        if filters.since and filters.until and filters.since > filters.until:
            raise CommandError("--since is after --until: nothing could match")
        entries = audit_entries(filters).order_by("at", "pk")
        out = options["out"]
        try:
            stream: Any = open(out, "w", newline="", encoding="utf-8") if out else self.stdout  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}") from None
        count = 0
        try:
            if options["format"] == "csv":
                writer = csv.writer(stream)
                writer.writerow(COLUMNS)
                for entry in entries.iterator(chunk_size=2000):
                    values = _values(entry)
                    writer.writerow([_csv_cell(values[name]) for name in COLUMNS])
                    count += 1
            else:
                for entry in entries.iterator(chunk_size=2000):
                    stream.write(json.dumps(_values(entry), cls=DjangoJSONEncoder, sort_keys=True) + "\n")
                    count += 1
        finally:
            if out:
                stream.close()
        record(
            "audit.export",
            target_type="audit log",
            detail={
                "format": options["format"],
                "since": options["since"],
                "until": options["until"],
                "entries": count,
            },
        )
        if out:
            self.stdout.write(f"Wrote {count:,} audit entries to {out}.")
