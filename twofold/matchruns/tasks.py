"""Background work of match runs: large runs go to a worker (``twofold worker``)."""

from __future__ import annotations

from twofold.operations.tasks import traced_task


@traced_task()
def match_run_execute_task(run_id: int) -> int:
    """Run a queued match run; returns how many pairs it proposed."""
    from twofold.matchruns.models import MatchRun
    from twofold.matchruns.services import match_run_execute

    run = match_run_execute(run=MatchRun.objects.get(pk=run_id))
    return run.proposals.count()
