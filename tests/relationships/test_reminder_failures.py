"""Hole 10: a reminder run aborted on a person named "Lee, Ana", and the reminder it failed to send was
recorded as sent (so never retried). Names are now quoted into one mailbox; a reminder that cannot be
sent for any reason is reported, not recorded, and the run goes on with the others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend
from django.core.management import CommandError, call_command

from tests.conftest import Cast
from tests.relationships import test_reminders as reminders
from twofold.relationships.models import RelationshipState, ReminderSent
from twofold.relationships.reminders import reminders_send

TODAY = reminders.TODAY


def awaiting_answers(cast: Cast) -> None:
    """Two proposals waiting three days: reminders to Ana, Vera, Ben and Victor."""
    for mentor, mentee in ((cast.ana, cast.vp_sales), (cast.ben, cast.vp_tech)):
        reminders.pair(
            mentor=mentor, mentee=mentee, state=RelationshipState.PROPOSED, proposed_at=reminders.days_ago(3)
        )


def test_hole_10_a_comma_in_a_name_is_one_recipient_and_the_run_sends_everything(cast: Cast, smtp_server) -> None:  # type: ignore[no-untyped-def]
    cast.vp_sales.name = "Lee, Ana"
    cast.vp_sales.save()
    cast.vp_tech.name = "Tech\nVictor"  # a line break that slipped into the directory before imports refused it
    cast.vp_tech.save()
    awaiting_answers(cast)

    report = reminders_send(today=TODAY)

    assert report.failed == [] and len(report.sent) == 4
    assert ReminderSent.objects.count() == 4
    to_lee = next(m for m in smtp_server.messages if cast.vp_sales.email in m["To"])
    [mailbox] = to_lee["To"].addresses
    assert (mailbox.display_name, mailbox.addr_spec) == ("Lee, Ana", cast.vp_sales.email)
    to_ana = next(m for m in smtp_server.messages if cast.ana.email in m["To"])
    assert to_ana["Subject"] == "Your match with Lee, Ana is waiting for your answer"
    to_victor = next(m for m in smtp_server.messages if cast.vp_tech.email in m["To"])
    assert to_victor["To"].addresses[0].display_name == "Tech Victor"


class RefusingBackend(MemoryBackend):
    """Sends to the test outbox, except to one address, where it fails with an error no mail server
    gives (as a bug or a header it cannot encode would)."""

    def __init__(self, *args: Any, refuse: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refuse = refuse

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if any(f"<{self.refuse}>" in recipient for message in messages for recipient in message.to):
            raise ValueError("this message cannot be encoded")
        return super().send_messages(messages)


def test_hole_10_a_reminder_that_fails_is_reported_not_recorded_and_the_others_still_go(cast: Cast, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    awaiting_answers(cast)

    report = reminders_send(today=TODAY, connection=RefusingBackend(refuse=cast.vp_sales.email))

    assert [due.recipient.email for due in report.failed] == [cast.vp_sales.email]
    assert sorted(due.recipient.email for due in report.sent) == sorted(
        [cast.ana.email, cast.ben.email, cast.vp_tech.email]
    )
    recorded = set(ReminderSent.objects.values_list("recipient", flat=True))
    assert recorded == {cast.ana.email, cast.ben.email, cast.vp_tech.email}

    again = reminders_send(today=TODAY)
    assert [due.recipient.email for due in again.sent] == [cast.vp_sales.email] and again.failed == []


def test_hole_10_the_command_reports_the_failures_and_fails(cast: Cast, settings, capsys) -> None:  # type: ignore[no-untyped-def]
    awaiting_answers(cast)
    cast.ben.email = "not-a-mailbox"
    cast.ben.save()
    with pytest.raises(CommandError, match="1 reminders could not be sent"):
        call_command("send_reminders", "--date", TODAY.isoformat())
    output = capsys.readouterr()
    assert "FAILED proposal_awaiting to Ben Junior <not-a-mailbox>" in output.err
    assert output.out.count("  sent ") == 3
    assert ReminderSent.objects.count() == 3
