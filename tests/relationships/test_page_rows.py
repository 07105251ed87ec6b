"""The rows of the pair's page written in Python (``twofold.relationships.views.rows``) are the HTML
the templates wrote, character for character, and escape what the pair typed."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse, set_script_prefix
from django.utils import dateformat, translation

from tests.conftest import Cast
from tests.factories import MeetingFactory
from tests.people.test_views import signed_in
from tests.relationships.pairing import NOW
from twofold.people.models import Skill
from twofold.relationships.models import MeetingStatus, Relationship
from twofold.relationships.selectors import MeetingView
from twofold.relationships.views.rows import MEETING_STATUS_WORDS, meeting_day, meeting_row_html, meeting_when
from twofold.site_links import id_path

HOSTILE = "Tom & Jerry <script>alert(\"x\")</script> 'q'\nline two\n\nnew paragraph"

# The meeting row as relationships/partials/meeting_log.html drew it before it was written in Python.
MEETING_ROW_TEMPLATE = Template(
    """
      <div class="row-between">
        <span><strong>{{ row.when }}</strong> · {{ row.duration_minutes }} min{% if row.location %} · {{ row.location }}{% endif %}
          <span class="badge{% if row.status != 'held' %} muted{% endif %}">{{ row.status_word }}</span></span>
        {% if row.editable %}
        <a href="{{ row.edit_url }}"
           hx-get="{{ row.edit_url }}" hx-target="#meetings" hx-swap="outerHTML">Edit<span class="visually-hidden"> the meeting of {{ row.day }}</span></a>
        {% endif %}
      </div>
      {% if row.skills %}<p class="muted">Skills: {{ row.skills }}</p>{% endif %}
      {% if row.shared_note %}<p class="note">{{ row.shared_note|linebreaksbr }}</p>{% endif %}
      {% if row.own_private_note %}
      <p class="private-note"><strong>Your private note</strong> <span class="muted">(only you see this)</span><br>{{ row.own_private_note|linebreaksbr }}</p>
      {% endif %}
      """  # noqa: E501
)


def test_a_meeting_row_is_what_the_template_drew() -> None:
    skills = [Skill(id=1, name="R&D <b>", category="technical"), Skill(id=2, name="Speaking", category="people")]
    texts = ["", "Room 2", HOSTILE]
    for status, location, note, private, skill_list, editable in itertools.product(
        MeetingStatus.values, texts, texts, texts, ([], skills), (True, False)
    ):
        meeting = MeetingView(
            id=7,
            starts_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            duration_minutes=45,
            status=status,
            location=location,
            skills=skill_list,
            shared_note=note,
            created_by_id=None,
            own_private_note=private,
        )
        row = {
            "when": "Sun 1 Mar 2026, 09:30",
            "day": "1 March 2026",
            "duration_minutes": 45,
            "location": location,
            "status": status,
            "status_word": MEETING_STATUS_WORDS[status],
            "editable": editable,
            "edit_url": "/relationships/3/meetings/7/?a=1&b=<2>",
            "skills": ", ".join(skill.name for skill in skill_list),
            "shared_note": note,
            "own_private_note": private,
        }
        drawn = meeting_row_html(meeting, day=row["day"], when=row["when"], editable=editable, edit_url=row["edit_url"])
        assert drawn == MEETING_ROW_TEMPLATE.render(Context({"row": row}))


def test_a_meeting_s_day_and_time_are_what_django_s_formatter_writes() -> None:
    # Every weekday and month, hours and minutes of one and two digits, a year of fewer than four.
    moments = [
        datetime(2026, 1, 1, 0, 5, tzinfo=UTC) + timedelta(days=day, minutes=37 * day) for day in range(0, 400, 3)
    ]
    moments.append(datetime(987, 7, 4, 23, 59, tzinfo=UTC))
    for language in ("en-gb", "fr"):
        with translation.override(language):
            for moment in moments:
                assert meeting_day(moment) == dateformat.format(moment, "j F Y")
                assert meeting_when(moment) == dateformat.format(moment, "D j M Y, H:i")


def test_what_the_pair_typed_in_a_meeting_is_escaped(cast: Cast, active: Relationship) -> None:
    MeetingFactory(relationship=active, starts_at=NOW, location="<script>where()</script>", shared_note=HOSTILE)
    client = signed_in(cast.ana_user)
    for url, headers in (
        (reverse("relationships:meetings", args=[active.pk]), {"HTTP_HX_REQUEST": "true"}),
        (reverse("relationships:detail", args=[active.pk]), {}),
    ):
        page = client.get(url, **headers).content.decode()
        assert "<script>where()" not in page and '<script>alert("x")' not in page
        assert " · &lt;script&gt;where()&lt;/script&gt;" in page
        assert (
            '<p class="note">Tom &amp; Jerry &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#x27;q&#x27;'
            "<br>line two<br><br>new paragraph</p>"
        ) in page


def test_a_pair_s_addresses_are_what_reverse_gives() -> None:
    ids = (1, 42, 7700000001, 7700000002, 77000000017700000002)
    try:
        # A prefix holding a mark must stay whole (only the marks after it are ids).
        for prefix in ("/", "/twofold/", "/app7700000001/"):
            set_script_prefix(prefix)
            for pk in ids:
                for name in ("relationships:detail", "relationships:meetings", "relationships:meeting_log"):
                    assert id_path(name, pk=pk) == reverse(name, kwargs={"pk": pk})
                for meeting_id in ids:
                    kwargs = {"pk": pk, "meeting_id": meeting_id}
                    assert id_path("relationships:meeting_edit", **kwargs) == reverse(
                        "relationships:meeting_edit", kwargs=kwargs
                    )
    finally:
        set_script_prefix("/")


def test_a_pair_s_addresses_follow_a_changed_url_configuration() -> None:
    before = id_path("relationships:detail", pk=5)
    with override_settings(ROOT_URLCONF="tests.relationships.mounted_urls"):
        assert id_path("relationships:detail", pk=5) == reverse("relationships:detail", kwargs={"pk": 5})
        assert id_path("relationships:detail", pk=5) != before
    assert id_path("relationships:detail", pk=5) == before
