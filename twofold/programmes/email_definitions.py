"""The emails a programme sends, each with its default wording, the placeholders it may use and the
footer its managers cannot remove: the invitation and its reminder (sent from this app), the email
of a new proposal or partner request (sent by the worker once the proposal is committed, see
:mod:`twofold.relationships.reminders.proposals`), the proposal reminder and the reminders of a
running pair (sent by the daily run of :mod:`twofold.relationships.reminders`, which fills in the
same placeholders).

Kept apart from the sending so that the programme's email pages, the invitations and the daily run
all read one list: a placeholder named here is the one the preview shows, the check accepts and the
sender fills in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twofold.programmes.models import EmailKind

# Who the pair's emails go to and the thing they are about, shared by every reminder of a pair.
PAIR_PLACEHOLDERS: dict[str, str] = {
    "first_name": "the reader's first name",
    "name": "the reader's full name",
    "own_role": "the reader's side (mentor, mentee, sponsor or protégé)",
    "partner_name": "the other person of the pair",
    "partner_role": "the partner's side",
    "programme_name": "the programme's name",
    "programme_kind": "reverse mentoring or sponsorship",
    "link": "the pair's page in Twofold",
}

INVITATION_PLACEHOLDERS: dict[str, str] = {
    "first_name": "the invited person's first name",
    "name": "their full name",
    "role": "the side they are invited to take (mentor, mentee, sponsor or protégé)",
    "programme_name": "the programme's name",
    "programme_kind": "reverse mentoring or sponsorship",
    "description": "the programme's description",
    "invited_by": "who invited them (the programme's manager)",
    "link": "the page where they say yes or no",
    "closes_on": "the last day to answer, or “no set date”",
}
# Why the person got the email and how to stop any more: added under every invitation and reminder,
# whatever the managers write above it.
INVITATION_FOOTER = (
    "You get this email because {{ invited_by }} invited you to {{ programme_name }} in Twofold, the "
    "mentoring and sponsorship tool your organisation runs. It is not a mailing list: at most one "
    "reminder follows, before enrolment closes. To stop any more emails about this programme, decline "
    "the invitation: {{ link }}"
)
# The same for the emails of a pair: they stop with the pair, and the page says how to end it.
PAIR_FOOTER = (
    "You get this email because you take part in {{ programme_name }} in Twofold, the mentoring and "
    "sponsorship tool your organisation runs. It is an automatic reminder: replies are not read. "
    "Reminders stop when the relationship ends; to decline, end it or raise a concern, open {{ link }}"
)

# The same for the email of a new proposal: it is sent once, and the proposal's page declines it.
PROPOSAL_FOOTER = (
    "You get this email because you take part in {{ programme_name }} in Twofold, the mentoring and "
    "sponsorship tool your organisation runs. It was sent once, automatically, when the proposal was "
    "made: replies are not read. Declining the proposal stops every email about it: {{ link }}"
)


@dataclass(frozen=True)
class EmailDefinition:
    kind: str
    subject: str
    body: str
    placeholders: dict[str, str]
    footer: str
    # Values for the preview and the test email beyond those read from the programme and the manager.
    samples: dict[str, str] = field(default_factory=dict)
    # Whom the preview shows the email to.
    preview_as: str = "With you as the person invited."


def _pair(extra: dict[str, str]) -> dict[str, str]:
    return {**PAIR_PLACEHOLDERS, **extra}


PAIR_PREVIEW = "With you as one of a pair and Sam Example as your partner."
SAMPLE_MEETING = {
    "meeting_starts": "Wednesday 11 March 2026, 14:00 UTC",
    "meeting_starts_short": "Wed 11 Mar, 14:00",
    "meeting_ends": "14:45",
    "meeting_minutes": "45",
    "meeting_location": "Room 4",
}

EMAILS: dict[str, EmailDefinition] = {
    EmailKind.INVITATION: EmailDefinition(
        kind=EmailKind.INVITATION,
        subject="You are invited to {{ programme_name }}",
        body=(
            "Hello {{ first_name }},\n\n"
            "{{ invited_by }} has invited you to take part in {{ programme_name }}, a {{ programme_kind }} "
            "programme, as a {{ role }}.\n\n"
            "{{ description }}\n\n"
            "Say yes or no here: {{ link }}\n\n"
            "Saying yes takes a few minutes: what you hope to give or get, the skills in focus and when you "
            "can usually meet. The last day to answer: {{ closes_on }}."
        ),
        placeholders=INVITATION_PLACEHOLDERS,
        footer=INVITATION_FOOTER,
    ),
    EmailKind.INVITATION_REMINDER: EmailDefinition(
        kind=EmailKind.INVITATION_REMINDER,
        subject="Reminder: your invitation to {{ programme_name }}",
        body=(
            "Hello {{ first_name }},\n\n"
            "Your invitation to take part in {{ programme_name }} as a {{ role }} is still waiting for your "
            "answer. Enrolment closes on {{ closes_on }}.\n\n"
            "Say yes or no here: {{ link }}"
        ),
        placeholders=INVITATION_PLACEHOLDERS,
        footer=INVITATION_FOOTER,
    ),
    EmailKind.PROPOSAL_MADE: EmailDefinition(
        kind=EmailKind.PROPOSAL_MADE,
        subject="You have been matched with {{ partner_name }}",
        body=(
            "Hello {{ first_name }},\n\n"
            "{{ programme_name }} proposes {{ partner_name }} as your {{ partner_role }}.\n\n"
            "{{ next_step }}\n\n"
            "See who {{ partner_name }} is, what they hope for and why you were matched: {{ link }}"
        ),
        placeholders=_pair(
            {
                "answer_by": "the last day to answer, or “no set date”",
                "next_step": "what the reader does now: answer by the last day, or (one-sided acceptance, "
                "to the mentor or sponsor) nothing, their partner answers",
            }
        ),
        footer=PROPOSAL_FOOTER,
        samples={
            "answer_by": "Tuesday 17 March 2026",
            "next_step": "Please accept or decline the proposal by Tuesday 17 March 2026. Declining is fine: "
            "you go back into the pool for another match.",
        },
        preview_as=PAIR_PREVIEW,
    ),
    EmailKind.PARTNER_REQUESTED: EmailDefinition(
        kind=EmailKind.PARTNER_REQUESTED,
        subject="{{ partner_name }} asks you to be their {{ own_role }}",
        body=(
            "Hello {{ first_name }},\n\n"
            "{{ partner_name }} has asked you to be their {{ own_role }} in {{ programme_name }}, a "
            "{{ programme_kind }} programme.\n\n"
            "Read what {{ partner_name }} hopes for and why the matching suggests you, then accept or decline "
            "by {{ answer_by }}. Declining is fine: your place stays open for someone else.\n\n"
            "Answer the request: {{ link }}"
        ),
        placeholders=_pair({"answer_by": "the last day to answer, or “no set date”"}),
        footer=PROPOSAL_FOOTER,
        samples={"answer_by": "Tuesday 17 March 2026"},
        preview_as="With you as the one asked and Sam Example as the one asking.",
    ),
    EmailKind.PROPOSAL_AWAITING: EmailDefinition(
        kind=EmailKind.PROPOSAL_AWAITING,
        subject="Your match with {{ partner_name }} is waiting for your answer",
        body=(
            "Hello {{ first_name }},\n\n"
            "You have been matched with {{ partner_name }} as your {{ partner_role }} in {{ programme_name }}.\n\n"
            "The match is waiting for your answer. The last day to answer: {{ answer_by }}. Before you "
            "answer you can read what {{ partner_name }} hopes for and why you were matched. If it does not "
            "feel right, declining is fine: you go back into the pool for another match.\n\n"
            "Answer the proposal: {{ link }}"
        ),
        placeholders=_pair({"answer_by": "the last day to answer, or “no set date”"}),
        footer=PAIR_FOOTER,
        samples={"answer_by": "Tuesday 17 March 2026"},
        preview_as=PAIR_PREVIEW,
    ),
    EmailKind.MEETING_UPCOMING: EmailDefinition(
        kind=EmailKind.MEETING_UPCOMING,
        subject="Your meeting with {{ partner_name }}: {{ meeting_starts_short }}",
        body=(
            "Hello {{ first_name }},\n\n"
            "A quick reminder of your meeting with {{ partner_name }}, your {{ partner_role }} in "
            "{{ programme_name }}:\n"
            "When: {{ meeting_starts }} to {{ meeting_ends }} ({{ meeting_minutes }} minutes)\n"
            "Where: {{ meeting_location }}\n\n"
            "The invitation is attached, so you can add it to your calendar. Afterwards, take a minute to "
            "log what you talked about — it helps you both see how far you have come.\n\n"
            "See your meetings: {{ link }}"
        ),
        placeholders=_pair(
            {
                "meeting_starts": "the day and time the meeting starts",
                "meeting_starts_short": "the same, short (for the subject)",
                "meeting_ends": "the time it ends",
                "meeting_minutes": "how long it lasts, in minutes",
                "meeting_location": "where, or “not given”",
            }
        ),
        footer=PAIR_FOOTER,
        samples=SAMPLE_MEETING,
        preview_as=PAIR_PREVIEW,
    ),
    EmailKind.MEETING_DUE: EmailDefinition(
        kind=EmailKind.MEETING_DUE,
        subject="Time to meet {{ partner_name }} again",
        body=(
            "Hello {{ first_name }},\n\n"
            "Your next meeting with {{ partner_name }}, your {{ partner_role }} in {{ programme_name }}, is "
            "due. Your last meeting: {{ last_met }}.\n\n"
            "Nothing is in the diary yet. A short message to suggest a time is all it takes; regular "
            "conversations are where most of the value of {{ programme_kind }} comes from.\n\n"
            "Plan your next meeting: {{ link }}"
        ),
        placeholders=_pair({"last_met": "how long ago the pair last met, or “none yet”"}),
        footer=PAIR_FOOTER,
        samples={"last_met": "30 days ago"},
        preview_as=PAIR_PREVIEW,
    ),
    EmailKind.RELATIONSHIP_IDLE: EmailDefinition(
        kind=EmailKind.RELATIONSHIP_IDLE,
        subject="It has been a while since you met {{ partner_name }}",
        body=(
            "Hello {{ first_name }},\n\n"
            "You and {{ partner_name }}, your {{ partner_role }} in {{ programme_name }}, have not met for "
            "twice your meeting rhythm or more. Your last meeting: {{ last_met }}.\n\n"
            "Life gets busy; picking up again is easy. Suggest a time, even a short one. If something is in "
            "the way, you can raise a concern with the programme team in Twofold; your {{ partner_role }} "
            "never sees it.\n\n"
            "Plan a meeting: {{ link }}"
        ),
        placeholders=_pair({"last_met": "how long ago the pair last met, or “none yet”"}),
        footer=PAIR_FOOTER,
        samples={"last_met": "60 days ago"},
        preview_as=PAIR_PREVIEW,
    ),
    EmailKind.CHECK_IN_DUE: EmailDefinition(
        kind=EmailKind.CHECK_IN_DUE,
        subject="Time for your {{ check_in }}: how is it going with {{ partner_name }}?",
        body=(
            "Hello {{ first_name }},\n\n"
            "It is time for the {{ check_in }} on your {{ programme_kind }} with {{ partner_name }}, your "
            "{{ partner_role }} in {{ programme_name }}.\n\n"
            "Three quick scores from 1 to 5 — how satisfied you are, whether you can speak openly, and how "
            "much progress you are making — and a comment if you like. It takes about a minute. Your "
            "{{ partner_role }} does not see your answers.\n\n"
            "Check in: {{ link }}"
        ),
        placeholders=_pair({"check_in": "which check-in: fit check, mid-point check-in or end check-in"}),
        footer=PAIR_FOOTER,
        samples={"check_in": "mid-point check-in"},
        preview_as=PAIR_PREVIEW,
    ),
}
