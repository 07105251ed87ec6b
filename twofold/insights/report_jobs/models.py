"""A board report drawn by a worker: the request, its progress, and the PDF once drawn."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReportJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Drawing the report"
    READY = "ready", "Ready"
    FAILED = "failed", "Stopped"


IN_FLIGHT = (ReportJobStatus.QUEUED, ReportJobStatus.RUNNING)


class ReportJob(models.Model):
    """A programme's board report (PDF) asked for by one account, with the page's department filter.

    Drawn by ``twofold worker`` as that account sees the programme, as of the day it was asked for.
    At most one job per account, programme, filter and day is in flight: asking again while it is
    returns the same job. The PDF is kept in :class:`ReportFile`, written in the very transaction
    that marks the job ready, so a worker that died before that commit left no file and a retry
    draws it once; one that died after it left a ready job that a retry leaves alone.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="+")
    department = models.CharField(max_length=200, blank=True)
    as_of = models.DateField()
    status = models.CharField(max_length=20, choices=ReportJobStatus.choices, default=ReportJobStatus.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    steps = models.PositiveSmallIntegerField(default=3)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "programme", "department", "as_of"],
                condition=Q(status__in=["queued", "running"]),
                name="report_job_one_in_flight",
            )
        ]

    def __str__(self) -> str:
        return f"Report job {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in IN_FLIGHT

    @property
    def percent(self) -> int:
        return round(100 * self.step / self.steps) if self.steps else 0


class ReportFile(models.Model):
    """The drawn PDF, apart from its job so that listing jobs never reads the files."""

    job = models.OneToOneField(ReportJob, on_delete=models.CASCADE, related_name="file")
    name = models.CharField(max_length=255)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
