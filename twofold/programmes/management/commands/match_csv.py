"""``twofold match-csv PEOPLE.csv --kind KIND --out PAIRS.csv``: match people straight from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.matching import MatchInputError, PolicyError
from twofold.people.tabular import FileRejected
from twofold.programmes.spreadsheet import KINDS, describe, match_spreadsheet, unmatched_path_for
from twofold.terminal import rejection_message


class Command(BaseCommand):
    help = (
        "Match mentors and mentees (or sponsors and protégés) from a CSV, XLSX or JSON file of people, "
        "without a database. Writes the pairs with their score breakdown to --out and the people left "
        "without a partner, with the reason, beside it (PAIRS.unmatched.csv). Columns: docs/match-csv.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the people: .csv, .xlsx or .json, one row per person")
        parser.add_argument("--kind", required=True, choices=KINDS, help="the programme kind")
        parser.add_argument("--policy", metavar="FILE.toml", help="weights and rules overriding the kind's defaults")
        parser.add_argument("--out", required=True, metavar="PAIRS.csv", help="where to write the pairs")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = match_spreadsheet(
                options["file"], kind=options["kind"], out=options["out"], policy_file=options["policy"]
            )
        except FileRejected as rejected:
            self.stderr.write(rejection_message(options["file"], rejected.problems).replace("imported", "matched"))
            raise CommandError("the file was refused; fix the problems above and run it again", returncode=1) from None
        except PolicyError as error:
            raise CommandError("the policy was refused: " + "; ".join(error.problems), returncode=1) from None
        except MatchInputError as error:
            raise CommandError("the file cannot be matched: " + "; ".join(error.problems), returncode=1) from None
        except OSError as error:
            second = unmatched_path_for(Path(options["out"]))
            raise CommandError(f"cannot write {options['out']} or {second}: {error}", returncode=1) from None
        self.stdout.write(describe(outcome, options["kind"]))
