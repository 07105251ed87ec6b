"""``twofold import-people FILE``: bring people in from an HRIS export."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.people.hris_presets import PRESETS
from twofold.people.import_services import (
    DeactivationNotConfirmed,
    DeactivationPlan,
    ImportResult,
    deactivation_plan,
    people_import_file,
)
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
        add_deactivation_arguments(
            parser, condition="when people are to be marked as having left (missing with --full, or active: no)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        progress = TerminalProgress(enabled=options["verbosity"] > 0)

        confirm = deactivation_confirmer(self, options, before_asking=progress.close)

        try:
            result = people_import_file(
                options["file"],
                actor=CommandLineOperator(),
                preset=options["preset"],
                mapping_file=options["mapping"],
                full=options["full"],
                dry_run=options["dry_run"],
                confirm_deactivation=confirm,
                allow_mass_deactivation=options["allow_mass_deactivation"],
                progress=progress,
            )
        except FileRejected as rejected:
            progress.close()
            self.stderr.write(rejection_message(options["file"], rejected.problems))
            raise CommandError(
                "the import was refused; fix the problems above and run it again", returncode=1
            ) from None
        except DeactivationNotConfirmed as refused:
            raise deactivation_refusal(refused, options) from None
        finally:
            progress.close()
        self.stdout.write(describe_import(result, limit=options["list"]))


def add_deactivation_arguments(parser: CommandParser, *, condition: str) -> None:
    """The options that confirm marking people as having left, shared by the imports that may."""
    confirm = parser.add_mutually_exclusive_group()
    confirm.add_argument(
        "--confirm-deactivations",
        type=int,
        metavar="N",
        help=f"{condition}: go ahead only if exactly N people are to be marked as having left (as the dry run said)",
    )
    confirm.add_argument(
        "--yes",
        action="store_true",
        help=f"{condition}: mark people as having left without asking, within the limit (for scheduled imports)",
    )
    parser.add_argument(
        "--allow-mass-deactivation",
        action="store_true",
        help=(
            f"{condition}: allow marking more than TWOFOLD_IMPORT_MAX_DEACTIVATION_PERCENT "
            f"(now {settings.IMPORT_MAX_DEACTIVATION_PERCENT}%%) of the active people as having left"
        ),
    )
    parser.add_argument(
        "--no-input",
        action="store_false",
        dest="interactive",
        help="never ask a question; refuse what would need a confirmation not given by an option",
    )
    parser.add_argument("--list", type=int, default=20, metavar="N", help="list up to N people per change (default 20)")


def deactivation_confirmer(
    command: BaseCommand, options: dict[str, Any], *, before_asking: Callable[[], None] = lambda: None
) -> Callable[[DeactivationPlan], bool]:
    """The confirmation the options give, or else the answer to a question on a terminal."""

    def confirm(plan: DeactivationPlan) -> bool:
        if options["yes"]:
            return True
        if options["confirm_deactivations"] is not None:
            return bool(options["confirm_deactivations"] == plan.count)
        if not (options["interactive"] and sys.stdin.isatty()):
            return False
        before_asking()
        listed = ", ".join(plan.employee_ids[: options["list"]])
        more = f" and {plan.count - options['list']:,} more" if plan.count > options["list"] else ""
        command.stdout.write(f"This import would mark {plan.describe()} as having left: {listed}{more}.")
        return input(f"Type {plan.count} to go ahead, anything else to stop: ").strip() == str(plan.count)

    return confirm


def deactivation_refusal(refused: DeactivationNotConfirmed, options: dict[str, Any]) -> CommandError:
    plan = refused.plan
    how = (
        f"if it is, run again adding --allow-mass-deactivation --confirm-deactivations {plan.count}"
        if plan.over_limit and not options["allow_mass_deactivation"]
        else f"confirm with --confirm-deactivations {plan.count} (or --yes in a scheduled job)"
    )
    return CommandError(f"{refused} Nothing was imported; {how}.", returncode=1)


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
    plan = deactivation_plan(result)
    if dry and result.full and plan.count:
        lines.append(
            f"That is {plan.describe()}"
            + (
                f", more than the limit of {plan.limit:,}: importing needs --allow-mass-deactivation."
                if plan.over_limit
                else f"; importing needs --confirm-deactivations {plan.count} (or an answer when asked)."
            )
        )
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
