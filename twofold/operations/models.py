from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A background worker saying it is alive: one row per worker process, refreshed every few seconds.

    It lives in the database, not in the queue, so that ``/readyz`` reads it the same way whichever
    task backend runs the work, and a worker on another machine is seen by every web process.
    """

    worker_id = models.CharField(max_length=200, unique=True)
    backend = models.CharField(max_length=40)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.backend}), last seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
