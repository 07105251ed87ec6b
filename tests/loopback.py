"""Fixtures for webhook tests anywhere in the suite: a real HTTP receiver on loopback, and the background
worker run as the project runs it."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers with the next planned status
    (200 once the plan is used up)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_with(self, *statuses: int) -> None:
        self.plan.extend(statuses)

    def next_status(self) -> int:
        with self.lock:
            return self.plan.pop(0) if self.plan else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            target = state["receiver"]
            with target.lock:
                target.requests.append(
                    Received(self.path, {name.lower(): value for name, value in self.headers.items()}, body)
                )
            status = target.next_status()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"not now")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_worker() -> None:
    """The database backend's worker, in batch mode: runs what is queued and due, then returns."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in handlers.items():  # the worker installs its own; give pytest back its own
            signal.signal(number, handler)


@pytest.fixture
def retry_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    # Retries due at once, so one batch run of the worker makes every attempt (the doubling is
    # checked on retry_delay itself, never on the clock).
    settings.WEBHOOK_RETRY_SECONDS = 0
