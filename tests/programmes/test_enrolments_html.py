"""The enrolments table's rows written in Python (:mod:`twofold.programmes.enrolments_html`) are
the markup the template wrote, byte for byte; and every text in them is escaped."""

from __future__ import annotations

from django.template import Context, Template

from twofold.programmes.enrolments_html import enrolment_rows_html
from twofold.programmes.selectors import EnrolmentRow

# The rows of the table as programmes/enrolments.html wrote them.
TEMPLATE_ROWS = """{% for row in rows %}
    <tr>
      <td><a href="{{ row.url }}">{{ row.name }}</a></td>
      <td>{{ row.role }}</td>
      <td>{{ row.status }}</td>
      <td>{{ row.level }}</td>
      <td>{{ row.department }}</td>
      <td>{{ row.seats }}</td>
      <td>{{ row.note }}</td>
    </tr>
  {% endfor %}"""

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\""


def rows() -> list[EnrolmentRow]:
    return [
        EnrolmentRow(
            pk=pk,
            person_id=pk + 1,
            url=f"/people/{pk + 1}/?a=1&b=2",
            name=f"Ana {HOSTILE}",
            role=f"Mentor {HOSTILE}",
            status=f"Active {HOSTILE}",
            level=level,
            department="R&D",
            seats=seats,
            note=note,
        )
        for pk, (level, seats, note) in enumerate(
            [(1, "—", ""), (12, "1 / 2", f"Nominated by Bo {HOSTILE}"), (7, "0 / 1", f"Zoë's {HOSTILE}")], start=999
        )
    ]


def test_the_rows_are_the_templates_markup_byte_for_byte() -> None:
    expected = Template(TEMPLATE_ROWS).render(Context({"rows": rows()}))
    assert enrolment_rows_html(rows()) == expected
    assert enrolment_rows_html([]) == Template(TEMPLATE_ROWS).render(Context({"rows": []})) == ""


def test_every_text_is_escaped() -> None:
    written = enrolment_rows_html(rows())
    assert "<script>" not in written and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in written
    assert "Zoë&#x27;s" in written and "R&amp;D" in written and "?a=1&amp;b=2" in written
