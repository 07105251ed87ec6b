"""The health page's rows of pairs behind on meetings written in Python
(:mod:`twofold.relationships.health_html`) are the markup the template wrote, byte for byte, in any
time zone and language; and every text in them is escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from twofold.relationships.health_html import pairs_behind_html

# The rows of the table as relationships/health.html wrote them.
TEMPLATE_ROWS = """{% for pair in pairs %}
      <tr>
        <td>{{ pair.mentor.name }}</td>
        <td>{{ pair.mentee.name }}</td>
        <td>{% if pair.last_met_at %}{{ pair.last_met_at|date:"j M Y" }}{% else %}none yet (started {{ pair.started_at|date:"j M Y" }}){% endif %}</td>
        <td>{{ pair.meeting_due_at|date:"j M Y" }}</td>
        <td>{% if pair.idle %}<span class="badge warn">Idle</span>{% else %}<span class="badge muted">Overdue</span>{% endif %}</td>
      </tr>
    {% endfor %}"""  # noqa: E501

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\""


def pairs() -> list[SimpleNamespace]:
    # Just before and after midnight UTC: the day written depends on the time zone.
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    return [
        SimpleNamespace(
            mentor=SimpleNamespace(name=f"Ana {HOSTILE}"),
            mentee=SimpleNamespace(name=f"Zoë's {HOSTILE}"),
            last_met_at=late - timedelta(days=days) if met else None,
            started_at=late - timedelta(days=days + 40),
            meeting_due_at=late + timedelta(minutes=45) - timedelta(days=days // 2),
            idle=idle,
        )
        for days, met, idle in [(0, True, False), (3, False, True), (200, True, True), (31, False, False)]
    ]


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
@pytest.mark.parametrize("language", ["en-gb", "fr"])
def test_the_rows_are_the_templates_markup_byte_for_byte(zone: str, language: str) -> None:
    with timezone.override(zone), translation.override(language):
        expected = Template(TEMPLATE_ROWS).render(Context({"pairs": pairs()}))
        assert pairs_behind_html(pairs()) == expected
    assert pairs_behind_html([]) == ""


def test_every_text_is_escaped() -> None:
    written = pairs_behind_html(pairs())
    assert "<script>" not in written and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in written
    assert "Zoë&#x27;s" in written and "none yet (started " in written
