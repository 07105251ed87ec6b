"""Background work of match runs: large runs are matched, and large runs published, by a worker
(``twofold worker``). Both tasks may run again after their worker died, and finish the work once."""

from __future__ import annotations

from twofold.operations.tasks import traced_task


@traced_task()
def match_run_execute_task(run_id: int) -> int:
    """Run a queued match run; returns how many pairs it proposed."""
    from twofold.matchruns.models import MatchRun
    from twofold.matchruns.services import match_run_execute

    # A task queued again after its worker died takes over the run that worker left running.
    run = match_run_execute(run=MatchRun.objects.get(pk=run_id), resume=True)
    return run.proposals.count()


@traced_task()
def match_run_publish_task(run_id: int, actor_id: int | None) -> int:
    """Publish (or finish publishing) a run as the account that asked; returns the relationships proposed."""
    from twofold.accounts.models import User
    from twofold.accounts.permissions import CommandLineOperator
    from twofold.matchruns.models import MatchRun
    from twofold.matchruns.publishing import match_run_publish

    actor = CommandLineOperator() if actor_id is None else User.objects.get(pk=actor_id)
    return match_run_publish(actor=actor, run=MatchRun.objects.get(pk=run_id)).proposed
