"""The repeated rows of the pair's page (its meeting log, ...), written out in Python.

The rows are the page's longest loops, and a template pays for each filter, tag and attribute lookup
of each row several times over what the same HTML costs written here. Each row is written with
``format_html``, which escapes every value given to it (user text never goes in unescaped);
multi-line text goes through Django's own ``linebreaksbr`` filter, which escapes it too. The HTML is
character for character what the templates wrote: ``tests/relationships/test_page_rows.py`` renders
the former template text beside these functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString

from twofold.html_fragments import format_html
from twofold.relationships.models import MeetingStatus
from twofold.relationships.selectors import MeetingView, RelationshipPage
from twofold.site_links import id_path

# The statuses' words as the model names them (its choices' labels), looked up once per row.
MEETING_STATUS_WORDS = dict(MeetingStatus.choices)

_EDIT_LINK = (
    '\n        <a href="{}"\n           hx-get="{}" hx-target="#meetings" hx-swap="outerHTML">Edit'
    '<span class="visually-hidden"> the meeting of {}</span></a>\n        '
)
_PRIVATE_NOTE = (
    '\n      <p class="private-note"><strong>Your private note</strong> <span class="muted">(only you see this)'
    "</span><br>{}</p>\n      "
)


def meeting_row_html(meeting: MeetingView, *, day: str, when: str, editable: bool, edit_url: str) -> SafeString:
    """One meeting as the log shows it when it is not being edited (the ``<li>`` around it is the
    template's): when, how long, where, its status; the link that edits it; its skills, shared note
    and the viewer's own private note."""
    location = format_html(" · {}", meeting.location) if meeting.location else ""
    badge = "badge" if meeting.status == MeetingStatus.HELD else "badge muted"
    edit = format_html(_EDIT_LINK, edit_url, edit_url, day) if editable else ""
    skills = ", ".join(skill.name for skill in meeting.skills)
    return format_html(
        '\n      <div class="row-between">\n        <span><strong>{}</strong> · {} min{}'
        '\n          <span class="{}">{}</span></span>\n        {}\n      </div>\n      {}\n      {}\n      {}\n      ',
        when,
        meeting.duration_minutes,
        location,
        badge,
        MEETING_STATUS_WORDS[meeting.status],
        edit,
        format_html('<p class="muted">Skills: {}</p>', skills) if skills else "",
        format_html('<p class="note">{}</p>', linebreaksbr(meeting.shared_note)) if meeting.shared_note else "",
        format_html(_PRIVATE_NOTE, linebreaksbr(meeting.own_private_note)) if meeting.own_private_note else "",
    )


def meeting_day(local: datetime) -> str:
    """``local`` as ``dateformat.format(local, "j F Y")`` writes it ("7 December 2026"), from the same
    translated names, without the formatter's parsing of the format for each of the log's rows."""
    return f"{local.day} {MONTHS[local.month]} {local.year:04d}"


def meeting_when(local: datetime) -> str:
    """``local`` as ``dateformat.format(local, "D j M Y, H:i")`` writes it ("Mon 7 Dec 2026, 10:00"),
    likewise (``tests/relationships/test_page_rows.py`` compares both with Django's formatter)."""
    return (
        f"{WEEKDAYS_ABBR[local.weekday()]} {local.day} {MONTHS_3[local.month].title()} {local.year:04d}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def meeting_rows(page: RelationshipPage, *, active: bool) -> list[dict[str, Any]]:
    """The meetings of the page of the log shown, as the log draws them: each with its id, the day
    it names (its edit form's heading), the address that edits it, and its row written out."""
    relationship_id = page.relationship.pk
    rows = []
    for meeting in page.meetings_shown or ():
        local = timezone.localtime(meeting.starts_at)
        day = meeting_day(local)
        edit_url = id_path("relationships:meeting_edit", pk=relationship_id, meeting_id=meeting.id)
        rows.append(
            {
                "id": meeting.id,
                "day": day,
                "edit_url": edit_url,
                "html": meeting_row_html(
                    meeting,
                    day=day,
                    when=meeting_when(local),
                    editable=active and meeting.status != MeetingStatus.CANCELLED,
                    edit_url=edit_url,
                ),
            }
        )
    return rows
