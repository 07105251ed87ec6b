"""Faults on PostgreSQL, with real processes: a worker SIGKILLed in the middle of each kind of task,
and a database connection dropped in the middle of an import and of a publication.

A row lock held from the test holds the worker at a chosen step (the last write of a match run, the
second proposal of a publication, the update of a person during an import, the second email of a
reminder batch is held by the mail server instead); the fault strikes there. Afterwards the state
must be whole, and a retry (the next worker, which queues the dead worker's task again) or the next
attempt must finish the work exactly once.
"""

from __future__ import annotations

import asyncio
import email
import threading
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.factories import OPERATOR
from tests.matchruns.test_match_runs import matching_programme, pairs_of
from tests.operations.faults import (
    Worker,
    enqueue,
    holding,
    require_postgres,
    terminate_backend,
    wait_until_blocked,
    worker_environment,
)
from tests.operations.processes import TWOFOLD, free_port, run, wait_for
from tests.relationships.test_reminders import pair
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.services import match_run_start
from twofold.people.import_jobs import import_job_retry
from twofold.people.models import ImportJob, ImportJobStatus, ImportOutcome, ImportRecord, Person
from twofold.relationships.models import Relationship, RelationshipState, ReminderSent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BACKENDS = ["database", "rq"]


@pytest.fixture
def env_for(request, tmp_path):  # type: ignore[no-untyped-def]
    require_postgres()

    def make(backend: str, **extra: str) -> dict[str, str]:
        redis_url = request.getfixturevalue("redis_url") if backend == "rq" else None
        return worker_environment(tmp_path, backend, redis_url, **extra)

    return make


def retry_with_a_new_worker(env: dict[str, str]) -> str:
    """A worker started after the death: it queues the dead worker's task again and runs it."""
    output = run([*TWOFOLD, "worker", "--batch"], env, timeout=180)
    assert "lost its worker" in output and "queued again (attempt 2 of 3)" in output, output
    return output


def last_task(path: str) -> DBTaskResult:
    return DBTaskResult.objects.filter(task_path=path).order_by("-enqueued_at").first()  # type: ignore[return-value]


# --- a worker killed mid-task ----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_match_run_whose_worker_died_stores_nothing_and_its_retry_stores_it_once(
    backend, cast, env_for, tmp_path
) -> None:
    env = env_for(backend)
    programme = matching_programme(cast)
    queued = MatchRun.objects.create(programme=programme, parameters={"locked": [], "partial": False})
    worker = Worker(env, tmp_path / "worker.log")
    try:
        # The run's last step locks its programme: held there, the run has solved and stored nothing.
        with holding("SELECT 1 FROM programmes_programme WHERE id = %s FOR UPDATE", programme.pk):
            enqueue(env, f"from twofold.matchruns.tasks import match_run_execute_task as t; t.enqueue({queued.pk})")
            wait_until_blocked(worker)
            worker.kill()
    finally:
        worker.stop()
    queued.refresh_from_db()
    assert queued.status == MatchRunStatus.RUNNING and queued.progress == 90 and not queued.proposals.exists()

    retry_with_a_new_worker(env)
    queued.refresh_from_db()
    assert queued.status == MatchRunStatus.READY
    assert queued.proposals.count() == 2 and pairs_of(queued) == {("J1", "V2"), ("J2", "V1")}
    if backend == "database":
        task = last_task("twofold.matchruns.tasks.match_run_execute_task")
        assert task.status == TaskResultStatus.SUCCESSFUL and len(task.worker_ids) == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_publication_whose_worker_died_is_finished_by_the_retry_without_a_pair_twice(
    backend, cast, env_for, tmp_path
) -> None:
    env = env_for(backend)
    programme = matching_programme(cast)
    ready = match_run_start(actor=OPERATOR, programme=programme)
    first, second = Proposal.objects.filter(run=ready).order_by("pk")
    worker = Worker(env, tmp_path / "worker.log")
    try:
        with holding("SELECT 1 FROM programmes_proposal WHERE id = %s FOR UPDATE", second.pk):
            queued = enqueue(
                env,
                "from twofold.accounts.permissions import CommandLineOperator\n"
                "from twofold.matchruns.models import MatchRun\n"
                "from twofold.matchruns.publishing import match_run_publish_start\n"
                f"run = match_run_publish_start(actor=CommandLineOperator(), run=MatchRun.objects.get(pk={ready.pk}), "
                "background=True)\n"
                "print('status', run.status)\n",
            )
            assert "status publishing" in queued
            wait_until_blocked(worker)
            worker.kill()
    finally:
        worker.stop()
    ready.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert ready.status == MatchRunStatus.PUBLISHING
    assert first.relationship_id is not None and not second.decided
    assert Relationship.objects.filter(programme=programme).count() == 1

    retry_with_a_new_worker(env)
    ready.refresh_from_db()
    assert ready.status == MatchRunStatus.PUBLISHED
    relationships = Relationship.objects.filter(programme=programme)
    assert relationships.count() == 2
    assert set(Proposal.objects.filter(run=ready).values_list("relationship_id", flat=True)) == set(
        relationships.values_list("pk", flat=True)
    )


def import_file(var_dir: Path, cast: Any) -> Path:
    """Ana's new title and three new people: the new ones are inserted before Ana is updated."""
    folder = var_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hris.csv"
    path.write_text(
        "employee_id,name,email,level,title\n"
        f"J1,Ana Junior,{cast.ana.email},2,Senior Analyst\n"
        "N1,Nia New,n1@example.org,3,Analyst\n"
        "N2,Noor New,n2@example.org,3,Analyst\n"
        "N3,Ned New,n3@example.org,4,Engineer\n",
        encoding="utf-8",
    )
    return path


def queued_import(var_dir: Path, cast: Any) -> ImportJob:
    path = import_file(var_dir, cast)
    return ImportJob.objects.create(
        actor=cast.admin, file_path=str(path), file_name="hris.csv", preset="generic", rows=4
    )


NEW_PEOPLE = ["N1", "N2", "N3"]


def assert_imported_once(job: ImportJob, cast: Any) -> None:
    job.refresh_from_db()
    assert job.status == ImportJobStatus.APPLIED and job.record is not None
    assert job.record.created == 3 and job.record.updated == 1
    assert Person.objects.filter(employee_id__in=NEW_PEOPLE).count() == 3
    assert ImportRecord.objects.filter(outcome=ImportOutcome.APPLIED).count() == 1
    cast.ana.refresh_from_db()
    assert cast.ana.title == "Senior Analyst"
    assert not Path(job.file_path).exists()  # the waiting file goes with the job's end


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_import_whose_worker_died_wrote_nothing_and_its_retry_imports_everyone_once(
    backend, cast, env_for, tmp_path
) -> None:
    env = env_for(backend)
    job = queued_import(tmp_path, cast)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        with holding("SELECT 1 FROM people_person WHERE employee_id = 'J1' FOR UPDATE"):
            enqueue(env, f"from twofold.people.tasks import import_job_run_task as t; t.enqueue({job.pk})")
            wait_until_blocked(worker)
            job.refresh_from_db()
            # The page's progress, committed beside the import's open transaction.
            assert job.status == ImportJobStatus.RUNNING and job.rows_checked == 4 and job.stage
            worker.kill()
    finally:
        worker.stop()
    assert not Person.objects.filter(employee_id__in=NEW_PEOPLE).exists()
    assert not ImportRecord.objects.exists()

    retry_with_a_new_worker(env)
    assert_imported_once(job, cast)
    job.refresh_from_db()
    assert job.attempts == 2


class HeldInbox:
    """A mail server that takes the first message, then holds the next one at RCPT until released."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.hold = True
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.hold and self.messages:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reminder_batch_whose_worker_died_records_only_what_was_sent_and_its_retry_sends_the_rest_once(
    backend, cast, env_for, tmp_path
) -> None:
    four_days_ago = timezone.now() - timezone.timedelta(days=4)
    pair(mentor=cast.ben, mentee=cast.vp_tech, state=RelationshipState.PROPOSED, proposed_at=four_days_ago)
    pair(mentor=cast.ana, mentee=cast.vp_sales, state=RelationshipState.PROPOSED, proposed_at=four_days_ago)
    inbox = HeldInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = env_for(backend, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_USE_TLS="0")
    worker = Worker(env, tmp_path / "worker.log")
    try:
        enqueue(env, "from twofold.relationships.tasks import reminders_daily; reminders_daily.enqueue()")
        wait_for(inbox.holding.is_set, 90, f"the batch never reached its second email:\n{worker.output()}")
        worker.kill()
        # One reminder reached the server; the one it held was claimed, never confirmed.
        assert len(inbox.messages) == 1
        assert ReminderSent.objects.filter(pending=False).count() == 1
        assert ReminderSent.objects.filter(pending=True).count() == 1
        inbox.release.set()
        inbox.hold = False

        retry_with_a_new_worker(env)
    finally:
        worker.stop()
        inbox.release.set()
        controller.stop()
    delivered = [(message["To"], message["X-Twofold-Reminder"], message["Subject"]) for message in inbox.messages]
    assert len(delivered) == 4 and len(set(delivered)) == 4
    assert len({to for to, _, _ in delivered}) == 4
    assert ReminderSent.objects.filter(pending=False).count() == 4
    assert not ReminderSent.objects.filter(pending=True).exists()


# --- a database connection dropped mid-task ------------------------------------------------------


def test_an_import_whose_database_connection_dropped_wrote_nothing_says_so_and_succeeds_when_tried_again(
    cast, env_for, tmp_path
) -> None:
    env = env_for("database")
    job = queued_import(tmp_path, cast)
    worker = Worker(env, tmp_path / "worker.log")
    try:
        with holding("SELECT 1 FROM people_person WHERE employee_id = 'J1' FOR UPDATE"):
            enqueue(env, f"from twofold.people.tasks import import_job_run_task as t; t.enqueue({job.pk})")
            terminate_backend(wait_until_blocked(worker))
            wait_for(
                lambda: ImportJob.objects.get(pk=job.pk).status == ImportJobStatus.FAILED,
                60,
                f"the job was not marked stopped:\n{worker.output()}",
            )
        job.refresh_from_db()
        assert job.error.startswith("The database connection was lost") and "nothing was imported" in job.error
        assert not Person.objects.filter(employee_id__in=NEW_PEOPLE).exists()
        assert not ImportRecord.objects.exists()
        assert Path(job.file_path).exists()  # kept for the next attempt

        # The next attempt, from the job's page, on the same worker: it reconnects by itself.
        import_job_retry(actor=cast.admin, job=job)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).finished, 60, f"the retry never ended:\n{worker.output()}")
        assert_imported_once(job, cast)
        assert worker.process.poll() is None
    finally:
        worker.stop()


def test_a_publication_whose_database_connection_dropped_keeps_each_pair_whole_and_the_next_attempt_finishes_it(
    cast, env_for, tmp_path
) -> None:
    env = env_for("database")
    programme = matching_programme(cast)
    ready = match_run_start(actor=OPERATOR, programme=programme)
    second = Proposal.objects.filter(run=ready).order_by("pk")[1]
    worker = Worker(env, tmp_path / "worker.log")
    try:
        with holding("SELECT 1 FROM programmes_proposal WHERE id = %s FOR UPDATE", second.pk):
            enqueue(
                env,
                "from twofold.accounts.permissions import CommandLineOperator\n"
                "from twofold.matchruns.models import MatchRun\n"
                "from twofold.matchruns.publishing import match_run_publish_start\n"
                f"match_run_publish_start(actor=CommandLineOperator(), run=MatchRun.objects.get(pk={ready.pk}), "
                "background=True)\n",
            )
            terminate_backend(wait_until_blocked(worker))
            wait_for(
                lambda: last_task("twofold.matchruns.tasks.match_run_publish_task").status == TaskResultStatus.FAILED,
                60,
                f"the publication did not fail:\n{worker.output()}",
            )
    finally:
        worker.stop()
    task = last_task("twofold.matchruns.tasks.match_run_publish_task")
    assert task.exception_class_path.endswith("OperationalError")
    assert "terminating connection due to administrator command" in task.traceback
    ready.refresh_from_db()
    second.refresh_from_db()
    assert ready.status == MatchRunStatus.PUBLISHING and not second.decided
    assert Relationship.objects.filter(programme=programme).count() == 1

    result = match_run_publish(actor=OPERATOR, run=ready)
    ready.refresh_from_db()
    assert ready.status == MatchRunStatus.PUBLISHED and result.proposed == 2
    assert Relationship.objects.filter(programme=programme).count() == 2
