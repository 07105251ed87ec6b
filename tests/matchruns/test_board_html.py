"""The board's rows written in Python (:mod:`twofold.matchruns.board_html`) are the markup the template
wrote, byte for byte, in every state a row can be in; and every text in them is escaped."""

from __future__ import annotations

import itertools

import pytest
from django.template import Context, Template

from twofold.matchruns.board_html import board_rows_html
from twofold.matchruns.selectors import BoardPerson, BoardRow
from twofold.programmes.why_matched import MatchReason

# The rows of the board's table as matchruns/partials/board.html wrote them with the template engine.
TEMPLATE_ROWS = """{% load l10n %}{% localize off %}{% for row in board.rows %}
          <tr>
            {% if run.status == 'ready' %}<td><input type="checkbox" name="proposal" value="{{ row.pk }}" id="pick-{{ row.pk }}"><label for="pick-{{ row.pk }}" class="visually-hidden">Choose {{ row.mentor.name }} and {{ row.mentee.name }} for a swap</label></td>{% endif %}
            <td><a href="{{ row.mentor.url }}">{{ row.mentor.name }}</a><br><span class="muted">{{ row.mentor.detail }}</span></td>
            <td><a href="{{ row.mentee.url }}">{{ row.mentee.name }}</a><br><span class="muted">{{ row.mentee.detail }}</span></td>
            <td>{{ row.score }}{% if row.locked %} <span class="badge">Locked</span>{% endif %}{% if row.swapped %} <span class="badge muted">Swapped</span>{% endif %}{% if run.published_at %}<br>{% if row.sent %}<span class="badge">Sent</span>{% elif row.skipped_reason %}<span class="badge muted">Not sent</span> <span class="muted">{{ row.skipped_reason }}</span>{% else %}<span class="badge muted">To send</span>{% endif %}{% endif %}</td>
            <td>
              <ul class="reasons">
              {% for reason in row.reasons %}
                <li><span class="reason-label">{{ reason.label }}</span>
                  <meter class="bar" min="0" max="100" value="{{ reason.percent }}" aria-hidden="true"></meter>
                  <span class="reason-value">{{ reason.points_of_weight }}</span></li>
              {% empty %}<li class="muted">Kept as it was</li>{% endfor %}
              </ul>
            </td>
            {% if run.status == 'ready' %}
            <td class="row-actions">
              {% if row.locked %}<button type="submit" name="row" value="unlock:{{ row.pk }}" class="button quiet">Unlock</button>
              {% else %}<button type="submit" name="row" value="lock:{{ row.pk }}" class="button quiet">Lock</button>{% endif %}
              <button type="submit" name="row" value="remove:{{ row.pk }}" class="button quiet">Remove</button>
            </td>
            {% endif %}
          </tr>
        {% endfor %}{% endlocalize %}"""  # noqa: E501

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\""


def rows() -> list[BoardRow]:
    reasons = [
        MatchReason(key="cross_department", label="Different departments", points=2.4, weight=4.0),
        MatchReason(key="skills", label=f"Skills the {HOSTILE} lacks", points=1.005, weight=3.0),
        MatchReason(key="odd", label="Already a share", points=0.5, weight=0.0),
    ]
    made = []
    for pk, (locked, swapped, sent, skipped, count) in enumerate(
        itertools.product([False, True], [False, True], [False, True], ["", HOSTILE], [0, 1, 3]), start=1234
    ):
        made.append(
            BoardRow(
                pk=pk,
                mentor=BoardPerson(pk=pk, name=f"Ana {HOSTILE}", url=f"/people/{pk}/?a=1&b=2", detail="L7 · R&D"),
                mentee=BoardPerson(pk=pk + 1, name="Zoë O'Brien", url=f"/people/{pk + 1}/", detail=f"L2 · {HOSTILE}"),
                score=f"{pk / 1000:.2f}",
                locked=locked,
                swapped=swapped,
                sent=sent,
                skipped_reason=skipped,
                reasons=reasons[:count],
            )
        )
    return made


class Run:
    def __init__(self, status: str, published: bool) -> None:
        self.status = status
        self.published_at = "2026-12-01" if published else None


@pytest.mark.parametrize("status", ["ready", "published", "publishing"])
@pytest.mark.parametrize("published", [False, True])
def test_the_rows_are_the_templates_markup_byte_for_byte(status: str, published: bool) -> None:
    board = {"rows": rows()}
    expected = Template(TEMPLATE_ROWS).render(Context({"board": board, "run": Run(status, published)}))
    written = board_rows_html(board["rows"], ready=status == "ready", published=published)
    assert written == expected


def test_every_text_is_escaped() -> None:
    written = board_rows_html(rows(), ready=True, published=True)
    assert "<script>" not in written and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in written
    assert "Zoë O&#x27;Brien" in written and "R&amp;D" in written and "?a=1&amp;b=2" in written
