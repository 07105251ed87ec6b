"""Snapshots of the insights pages: each view's report, computed by a worker, with its time.

A view is a programme's page (or the page across programmes) with its filters: the department and
the period. Its :class:`InsightsSnapshot` keeps the last report computed for it, serialized, with
the moment it was computed, so a page, its downloads and the PDF are read from one stored object
instead of being recomputed on every request; and beside it the state of the refresh under way,
so the page can show its progress.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RefreshStatus(models.TextChoices):
    IDLE = "idle", "Up to date"
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Computing"
    FAILED = "failed", "Failed"


IN_FLIGHT = (RefreshStatus.QUEUED, RefreshStatus.RUNNING)


class SnapshotScope(models.TextChoices):
    PROGRAMME = "programme", "One programme"
    OVERVIEW = "overview", "Across programmes"


class InsightsSnapshot(models.Model):
    """The last computed report of one view, and the state of its refresh.

    ``key`` names the view (scope, programme, department, period) and is unique: one row per view,
    refreshed in place. ``payload`` is the report as the pages read it, written only by
    :mod:`twofold.insights.snapshots`; ``format`` is the version of that serialization, and a row
    of another version counts as never computed.
    """

    key = models.CharField(max_length=400, unique=True)
    scope = models.CharField(max_length=20, choices=SnapshotScope.choices)
    programme = models.ForeignKey(
        "programmes.Programme", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.CharField(max_length=200, blank=True)
    period = models.CharField(max_length=20, blank=True)
    format = models.PositiveSmallIntegerField(default=0)
    payload = models.BinaryField(null=True, blank=True, editable=False)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    computed_at = models.DateTimeField(null=True, blank=True)
    compute_seconds = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=RefreshStatus.choices, default=RefreshStatus.IDLE)
    stage = models.CharField(max_length=100, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    steps = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"Insights snapshot {self.key} ({self.status})"

    @property
    def refreshing(self) -> bool:
        return self.status in IN_FLIGHT
