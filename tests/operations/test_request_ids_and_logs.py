"""Request ids: made here unless a trusted proxy names them, returned, logged, and carried into tasks."""

from __future__ import annotations

import io
import json
import logging
import signal
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.matchruns.test_board import managed
from tests.people.test_views import signed_in
from twofold.matchruns import services as matchrun_services
from twofold.matchruns.models import MatchRun
from twofold.operations.logs import JsonFormatter, PlainFormatter, RequestContextFilter, logging_config


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the access and task loggers write with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    loggers = {logging.getLogger(name): logging.getLogger(name).level for name in ("twofold.access", "twofold.tasks")}
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield stream
    for logger, level in loggers.items():
        logger.removeHandler(handler)
        logger.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_response_names_its_own_generated_request_id(client) -> None:
    first, second = client.get("/healthz"), client.get("/healthz", HTTP_X_REQUEST_ID="chosen-by-the-client")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    assert second["X-Request-ID"] != "chosen-by-the-client"  # nobody said a proxy sets it


def test_a_trusted_proxys_request_id_is_kept_when_well_formed(client, settings) -> None:
    settings.TRUST_X_REQUEST_ID = True
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a:0001")["X-Request-ID"] == "lb-7f3a:0001"
    for forged in ("two words", "x" * 129, "line\nbreak", "<script>"):
        returned = client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
        assert returned != forged and len(returned) == 32


def test_the_access_line_is_one_json_object_with_request_user_path_status_and_duration(cast, json_lines) -> None:
    response = signed_in(cast.programme_manager).get("/people/")
    (line,) = [entry for entry in parsed(json_lines) if entry["logger"] == "twofold.access"]
    assert line["request_id"] == response["X-Request-ID"] and line["user_id"] == cast.programme_manager.pk
    assert line["path"] == "/people/" and line["status"] == response.status_code == 200 and line["method"] == "GET"
    assert isinstance(line["duration_ms"], float) and line["level"] == "INFO"
    assert line["message"].startswith("GET /people/ 200 ") and str(line["time"]).endswith("+00:00")


def test_anonymous_requests_log_no_user_and_probes_log_no_access_line(client, db, json_lines) -> None:
    client.get("/login/")
    client.get("/healthz")
    (line,) = parsed(json_lines)
    assert line["path"] == "/login/" and "user_id" not in line


def test_the_plain_format_carries_the_request_id_too() -> None:
    record = logging.LogRecord("twofold.access", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.request_id = "abc123"
    assert PlainFormatter().format(record).endswith("twofold.access: GET / 200 [request abc123]")


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT='xml'"):
        logging_config(log_format="xml", level="INFO")


# The worker closes connections between tasks, which ends a test's enclosing transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_under_that_requests_id_on_the_worker(cast, monkeypatch, json_lines) -> None:
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(matchrun_services, "BACKGROUND_POOL", 1)  # any pool goes to the worker
    programme = managed(cast)
    response = signed_in(cast.programme_manager).post(reverse("matchruns:start", args=[programme.pk]))
    request_id = response["X-Request-ID"]
    run = MatchRun.objects.get(programme=programme)
    assert run.status == "queued"
    (queued,) = DBTaskResult.objects.all()
    assert queued.args_kwargs == {"args": [run.pk], "kwargs": {"_request_id": request_id}}

    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("worker", "--batch", stdout=io.StringIO())
    finally:
        for number, handler in handlers.items():  # the worker installs its own; give pytest back its own
            signal.signal(number, handler)
    run.refresh_from_db()
    assert run.status == "ready" and run.proposals.count() == 2
    task_lines = [entry for entry in parsed(json_lines) if entry["logger"] == "twofold.tasks"]
    assert [entry["message"].split(" ")[2] for entry in task_lines] == ["started", "finished"]
    assert all(entry["request_id"] == request_id and entry["task"] == "match_run_execute_task" for entry in task_lines)
