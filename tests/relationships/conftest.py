"""The programmes and pairs the relationship tests share, on the cast of tests/conftest.py.

Reverse mentoring: Ana (junior, Engineering) mentors Vera (VP Sales). Sponsorship: Vera sponsors
Ana (flagged high potential). Ana and Victor share a reporting chain, as do Ben and Vera.
"""

from __future__ import annotations

import email
import socket
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Cast
from tests.factories import ProgrammeFactory
from tests.relationships.pairing import pair_up, propose
from twofold.programmes.models import Programme, ProgrammeState
from twofold.relationships.meeting_clock import meeting_clocks_stale
from twofold.relationships.models import Relationship


@pytest.fixture(autouse=True)
def _meeting_clocks_kept(request: pytest.FixtureRequest) -> Any:
    """After every test here that writes to the database: each pair's stored meeting clock equals
    its definition, whichever services the test went through."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))
    if not (transactional or marker or "db" in request.fixturenames):
        yield
        return
    # Depend on the database fixture, so that this check runs before its rollback or flush.
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    assert meeting_clocks_stale(Relationship.objects.all()) == []


@pytest.fixture
def reverse_mentoring(cast: Cast) -> Programme:
    return ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING, managers=[cast.programme_manager])


@pytest.fixture
def sponsorship(cast: Cast) -> Programme:
    return ProgrammeFactory(
        name="Rising leaders", sponsorship=True, state=ProgrammeState.MATCHING, managers=[cast.programme_manager]
    )


@pytest.fixture
def proposed(cast: Cast, reverse_mentoring: Programme) -> Relationship:
    """Ana proposed as Vera's reverse mentor, nobody has answered yet."""
    return propose(reverse_mentoring, cast.ana, cast.vp_sales)


@pytest.fixture
def active(cast: Cast, reverse_mentoring: Programme) -> Relationship:
    """Ana and Vera, accepted by both: an active reverse-mentoring relationship."""
    return pair_up(reverse_mentoring, cast.ana, cast.vp_sales)


@pytest.fixture
def sponsored(cast: Cast, sponsorship: Programme) -> Relationship:
    """Vera sponsoring Ana: an active sponsorship."""
    return pair_up(sponsorship, cast.vp_sales, cast.ana)


# --- a real SMTP server on loopback ---------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        # After this many messages the server answers "service not available" (None: never).
        self.down_after: int | None = None

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.down_after is not None and len(self.messages) >= self.down_after:
            return "421 4.3.2 Service not available, closing transmission channel"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()
