"""What a log line knows about the work it belongs to: the request (or task) and who is signed in.

Context variables rather than thread locals, so that each request, each thread of a threaded
server and each task run sees only its own values.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("twofold_request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("twofold_user_id", default=None)
path_var: ContextVar[str | None] = ContextVar("twofold_path", default=None)
task_var: ContextVar[str | None] = ContextVar("twofold_task", default=None)

# What an incoming X-Request-ID may look like: short and printable, so that it cannot forge log
# lines or carry markup. Anything else is replaced by a generated id.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(incoming: str | None) -> str:
    """The incoming id when it is well formed, otherwise a new one."""
    if incoming and REQUEST_ID_PATTERN.match(incoming):
        return incoming
    return request_id_new()


def current_request_id() -> str | None:
    return request_id_var.get()


@contextmanager
def request_context(*, request_id: str | None, path: str | None = None, task: str | None = None) -> Iterator[None]:
    """Within the block, log lines (and tasks queued) carry this request id, path and task name."""
    request_token = request_id_var.set(request_id)
    path_token = path_var.set(path)
    task_token = task_var.set(task)
    user_token = user_id_var.set(None)
    try:
        yield
    finally:
        user_id_var.reset(user_token)
        task_var.reset(task_token)
        path_var.reset(path_token)
        request_id_var.reset(request_token)
