"""``twofold import-people FILE``: bring people in from an HRIS export."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.people.hris_presets import PRESETS
from twofold.people.services import ImportResult, people_import_file
from twofold.people.tabular import FileRejected
from twofold.terminal import TerminalProgress, rejection_message


class Command(BaseCommand):
    help = (
        "Import people from a CSV, XLSX or JSON export of your HRIS. Upserts by employee id; every "
        "problem is reported with its row and column, and nothing is written unless the whole file is good."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .csv, .xlsx or .json file to import")
        parser.add_argument(
            "--preset",
            choices=sorted(PRESETS),
            default="generic",
            help="the column layout of the HRIS that wrote the file (default: generic, Twofold's own)",
        )
        parser.add_argument("--mapping", metavar="FILE.toml", help="a TOML file naming the columns of any other layout")
        parser.add_argument(
            "--full",
            action="store_true",
            help="the file is the whole workforce: deactivate (never delete) active people missing from it",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and show what would change")
        parser.add_argument(
            "--list", type=int, default=20, metavar="N", help="list up to N people per change (default 20)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = TerminalProgress(enabled=options["verbosity"] > 0)
        try:
            result = people_import_file(
                options["file"],
                preset=options["preset"],
                mapping_file=options["mapping"],
                full=options["full"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except FileRejected as rejected:
            progress.close()
            self.stderr.write(rejection_message(options["file"], rejected.problems))
            raise CommandError(
                "the import was refused; fix the problems above and run it again", returncode=1
            ) from None
        finally:
            progress.close()
        self.stdout.write(describe_import(result, limit=options["list"]))


def describe_import(result: ImportResult, *, limit: int) -> str:
    """A summary of an import for the terminal, in the future tense on a dry run."""
    dry = result.dry_run
    lines = [f"Read {result.rows:,} row{'s' if result.rows != 1 else ''}."]
    if result.ignored_columns:
        lines.append(f"Ignored columns (not mapped to any field): {', '.join(result.ignored_columns)}")
    if not result.changed:
        lines.append("No changes: the directory already matches the file.")
        return "\n".join(lines)

    def listing(done: str, planned: str, ids: list[str], detail: dict[str, list[str]] | None = None) -> None:
        if not ids:
            return
        lines.append(f"{planned if dry else done}: {len(ids):,}")
        for employee_id in ids[:limit]:
            suffix = f" ({', '.join(detail[employee_id])})" if detail else ""
            lines.append(f"  {employee_id}{suffix}")
        if limit and len(ids) > limit:
            lines.append(f"  … and {len(ids) - limit:,} more")

    listing("Created", "Would create", result.created)
    listing("Updated", "Would update", sorted(result.updated), result.updated)
    listing("Deactivated", "Would deactivate", result.deactivated)
    if result.deactivated:
        lines.append(
            "  (leavers cannot sign in any more; their open proposals and relationships "
            f"{'would close' if dry else 'closed'}: “left the organisation”)"
        )
    listing("Reactivated", "Would reactivate", result.reactivated)
    listing("Skills changed for", "Skills would change for", result.skills_changed)
    listing(
        "Restricted attributes changed for",
        "Restricted attributes would change for",
        result.attributes_changed,
    )
    if result.new_skills:
        count = len(result.new_skills)
        lines.append(
            f"{'Would add' if dry else 'Added'} {count} new skill{'s' if count != 1 else ''} "
            f"(category 'other'): {', '.join(result.new_skills[:limit])}"
        )
    if result.tree_moves:
        lines.append(f"Management tree: {result.tree_moves:,} people {'would move' if dry else 'moved'}.")
    if dry:
        lines.append("Dry run: nothing was written.")
    return "\n".join(lines)
