"""``twofold report PROGRAMME [--format pdf|html|json|csv] [--out FILE] [--as-of DATE]``: the board report.

The very figures of the programme's insights page (:func:`twofold.insights.report.programme_report`),
through the same privacy rules, written to a file or to standard output.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from twofold.insights.report import FORMATS, programme_report
from twofold.programmes.management.commands.programme import find_programme
from twofold.programmes.models import ProgrammeState


class Command(BaseCommand):
    help = "Write a programme's evidence of impact as a board-ready PDF, or as HTML, JSON or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("programme", help="the programme's id or exact name")
        parser.add_argument("--format", choices=FORMATS, default="pdf")
        parser.add_argument("--out", help="the file to write (default: standard output; a PDF needs a file)")
        parser.add_argument(
            "--as-of", dest="as_of", help="the day the figures are read as of (YYYY-MM-DD; default today)"
        )
        parser.add_argument("--department", help="careers of this department only, as the page's filter")

    def handle(self, *args: Any, **options: Any) -> None:
        programme = find_programme(options["programme"])
        if programme.state == ProgrammeState.DRAFT:
            raise CommandError(f"{programme.name!r} is a draft: there is nothing to report yet")
        as_of = timezone.localdate()
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError as error:
                raise CommandError(f"--as-of {options['as_of']!r}: write the day as YYYY-MM-DD") from error
        fmt, out = options["format"], options["out"]
        if fmt == "pdf" and not out:
            raise CommandError("a PDF needs --out FILE")
        report = programme_report(programme, as_of=as_of, department=options["department"] or None)
        if fmt == "pdf":
            content: str | bytes = report.as_pdf()
        elif fmt == "json":
            content = json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "csv":
            content = report.as_csv()
        else:
            content = report.as_html()
        if out is None:
            assert isinstance(content, str)
            sys.stdout.write(content)
            return
        path = Path(out)
        try:
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from error
        self.stderr.write(f"Wrote {fmt.upper()} report of {programme.name!r} as of {as_of.isoformat()} to {out}")
