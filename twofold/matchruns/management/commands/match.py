"""``twofold match PROGRAMME [--publish] [--run RUN]``: match a programme's pool from a shell, or publish
(finish publishing) one of its runs."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.permissions import CommandLineOperator
from twofold.matchruns.models import MatchRun, MatchRunStatus, Unmatched
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.selectors import fairness_lines, run_publication
from twofold.matchruns.services import MatchRunRuleBroken, match_run_start
from twofold.plain_text import counted
from twofold.programmes.management.commands.programme import find_programme


class Command(BaseCommand):
    help = (
        "Run the matching engine over a programme's pool (the programme must be matching, or running for a "
        "partial re-match), print the result, and with --publish send the proposals to the people. With --run, "
        "no new run: print that run of the programme, and with --publish publish it, or finish publishing it "
        "(nobody receives a proposal twice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("programme", help="id or exact name")
        parser.add_argument("--publish", action="store_true", help="send the proposals once matched")
        parser.add_argument(
            "--background", action="store_true", help="queue the run for `twofold worker` instead of waiting"
        )
        parser.add_argument(
            "--run",
            type=int,
            metavar="RUN",
            help="an existing run of the programme, by its number (e.g. one left being published)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        operator = CommandLineOperator()
        programme = find_programme(options["programme"])
        if options["run"] is not None:
            run = MatchRun.objects.filter(programme=programme, number=options["run"]).first()
            if run is None:
                raise CommandError(f"{programme.name} has no match run {options['run']}")
            if run.status in (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING, MatchRunStatus.FAILED):
                error = f": {run.error}" if run.error else ""
                raise CommandError(f"match run {run.number} is {run.get_status_display().lower()}{error}")
        else:
            try:
                run = match_run_start(actor=operator, programme=programme, background=options["background"] or False)
            except MatchRunRuleBroken as error:
                raise CommandError(str(error)) from None
        if run.status == MatchRunStatus.QUEUED:
            self.stdout.write(f"Match run {run.number} queued; `twofold worker` will run it.")
            return
        if run.status == MatchRunStatus.FAILED:
            raise CommandError(f"match run {run.number} failed: {run.error}")
        self._report(run)
        if options["publish"]:
            try:
                result = match_run_publish(actor=operator, run=run)
            except MatchRunRuleBroken as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Published: {counted(result.proposed, 'proposal')} sent.")
            for proposal, reason in result.skipped:
                self.stdout.write(
                    f"  not sent: {proposal.mentor.person.name} → {proposal.mentee.person.name}: {reason}"
                )

    def _report(self, run: MatchRun) -> None:
        stats = run.statistics
        programme = run.programme
        optimality = (
            "proven optimal" if stats.get("certified_optimal") else f"within {stats.get('gap_bound', 0):.3%} of optimal"
        )
        self.stdout.write(
            f"Match run {run.number}: {counted(stats.get('pairs', 0), 'pair')} from "
            f"{counted(stats.get('eligible_mentors', 0), programme.mentor_label)} and "
            f"{counted(stats.get('eligible_mentees', 0), programme.mentee_label)}; "
            f"total score {run.total_score or 0:.2f}, {optimality}, {stats.get('seconds', 0):.1f} s."
        )
        reasons = Counter(Unmatched.objects.filter(run=run).values_list("reason_code", flat=True))
        for code, count in reasons.most_common():
            example = Unmatched.objects.filter(run=run, reason_code=code).first()
            self.stdout.write(f"  unmatched, {code}: {count} (e.g. {example.reason if example else ''})")
        for line in fairness_lines(run):
            self.stdout.write(f"  {line}")
        publication = run_publication(run)
        if publication is not None:
            self.stdout.write(
                f"{run.get_status_display()}: {publication.sent} sent, {publication.not_sent} not sent, "
                f"{publication.waiting} still to send."
            )
