"""Match runs: one solver run over a programme's pool, the pairs it proposes and who it left out.

They sit above both programmes and relationships: a run reads a programme's enrolments, and
publishing it proposes relationships. The tables kept the names they had when match runs lived in
the programmes app (``programmes_matchrun`` …), so that existing databases move over untouched.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Max


class MatchRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready for review"
    FAILED = "failed", "Failed"
    PUBLISHING = "publishing", "Being published"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"


# A programme's runs, newest first; of two created in the same instant (the clock's resolution, or a
# copied database), the one created last, with the higher id: "the latest run" is always one run.
NEWEST_FIRST = ("-created_at", "-pk")


class MatchRun(models.Model):
    """One solver run over a programme's pool: proposals to review, and who stayed unmatched.

    ``publishing`` is the state between starting to send the proposals and having sent them all:
    a run left there (a crash, a lost worker) is finished by publishing it again.
    """

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="match_runs")
    number = models.PositiveIntegerField(
        editable=False, help_text="1, 2, 3… within its programme: what people call it."
    )
    status = models.CharField(max_length=20, choices=MatchRunStatus.choices, default=MatchRunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done, while running.")
    progress_note = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    statistics = models.JSONField(default=dict, blank=True)
    fairness = models.JSONField(default=dict, blank=True, help_text="Per-group targets and results.")
    error = models.TextField(blank=True)
    total_score = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "programmes_matchrun"
        ordering = list(NEWEST_FIRST)
        constraints = [
            # One run at a time per programme: the service checks it under the programme's lock,
            # and the database holds it whatever writes.
            models.UniqueConstraint(
                fields=["programme"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_match_run_under_way_per_programme",
            ),
            models.UniqueConstraint(fields=["programme", "number"], name="match_run_numbered_within_programme"),
        ]

    def __str__(self) -> str:
        return f"Match run {self.number} of programme {self.programme_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.number is None:
            # The next number within the programme; the run service creates runs under the
            # programme's row lock, and the unique constraint refuses a duplicate from anywhere else.
            latest = MatchRun.objects.filter(programme_id=self.programme_id).aggregate(latest=Max("number"))["latest"]
            self.number = (latest or 0) + 1
        super().save(*args, **kwargs)


class Proposal(models.Model):
    """A pair a match run proposes, with its score and the breakdown that explains it.

    Once published, ``relationship`` is the relationship it became, or ``skipped_reason`` says why
    it could not be proposed (someone left, was paired meanwhile): each proposal is decided once,
    in the same transaction that creates its relationship, so publishing again never proposes a
    pair twice.
    """

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="proposals")
    mentor = models.ForeignKey("programmes.Enrolment", on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey("programmes.Enrolment", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(default=0)
    breakdown = models.JSONField(default=dict, blank=True)
    locked = models.BooleanField(default=False, help_text="Kept as it is when the run is re-run.")
    origin = models.CharField(
        max_length=20,
        default="engine",
        choices=[("engine", "Matched by the engine"), ("swap", "Made by a swap"), ("kept", "Kept from before")],
    )
    relationship = models.OneToOneField(
        "relationships.Relationship", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skipped_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "programmes_proposal"
        ordering = ["-score", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "mentee"], name="proposal_mentee_once_per_run")]
        # The review board's order: a page of 50 is read from the index, not sorted from the whole run
        # (200 ms for a run of 12,000 proposals, 7 ms with it).
        indexes = [models.Index(F("run"), F("score").desc(), F("id"), name="proposal_board_order")]

    def __str__(self) -> str:
        return f"{self.mentor_id} → {self.mentee_id} ({self.score:.2f})"

    @property
    def decided(self) -> bool:
        """Published (it became a relationship) or skipped: publishing again leaves it alone."""
        return self.relationship_id is not None or bool(self.skipped_reason)


class Unmatched(models.Model):
    """Someone a match run left without a partner, and why."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="unmatched")
    enrolment = models.ForeignKey("programmes.Enrolment", on_delete=models.CASCADE, related_name="+")
    reason_code = models.CharField(max_length=40)
    reason = models.CharField(max_length=300)

    class Meta:
        db_table = "programmes_unmatched"
        ordering = ["reason_code", "pk"]
        constraints = [models.UniqueConstraint(fields=["run", "enrolment"], name="unmatched_once_per_run")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.reason}"
