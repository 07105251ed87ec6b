"""Reminders: which ones are due on a given day, and sending them once.

The rules (each a small function of one pair's facts and the day) decide what is due:

- ``proposal_awaiting`` — a proposal waiting for an answer, to each person who still has to answer;
- ``meeting_upcoming`` — a meeting scheduled for today or tomorrow, with an invitation (.ics) attached;
- ``meeting_due`` — the pair's cadence has passed since they last met, and nothing is scheduled;
- ``relationship_idle`` — no meeting for twice the cadence: both people, and the programme's managers
  in one daily digest each (every idle pair they are told about that day in one email);
- ``check_in_due`` — a check-in point the programme asks for has come, to each side yet to answer it.

``reminders_due`` applies the rules to the database and drops what was already sent recently
(``ReminderSent``); ``reminders_send`` sends the rest, claiming each one first, so that a second run
on the same day — or a run racing it — sends nothing twice, and confirming it once the mail server
took it, so that a run killed mid-batch leaves nothing recorded as sent that was not: the next run
(or the task's retry) releases the dead run's claims and sends those reminders then. Emails name
the partner, the programme and a link; they never carry a meeting note, a private note or a concern,
and they are worded as the pair's programme words them (:mod:`.messages`).

The seams: :mod:`.rules` (what is due, from one pair's facts), :mod:`.due` (reading the facts and
what was sent), :mod:`.messages` (the emails) and :mod:`.sending` (sending each once). The email of a
new proposal, sent once by the worker when the proposal is made rather than by the daily run, uses
the same claims (:mod:`.proposals`).
"""

from __future__ import annotations

from twofold.relationships.reminders.due import pair_facts, programme_managers, reminders_due
from twofold.relationships.reminders.messages import reminder_message, reminder_values
from twofold.relationships.reminders.rules import (
    CHECK_IN_NAMES,
    DueReminder,
    PairFacts,
    Recipient,
    ReminderKind,
    one_line,
)
from twofold.relationships.reminders.sending import ReminderReport, reminder_claims_release, reminders_send

__all__ = [
    "CHECK_IN_NAMES",
    "DueReminder",
    "PairFacts",
    "Recipient",
    "ReminderKind",
    "ReminderReport",
    "one_line",
    "pair_facts",
    "programme_managers",
    "reminder_claims_release",
    "reminder_message",
    "reminder_values",
    "reminders_due",
    "reminders_send",
]
