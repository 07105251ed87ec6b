"""The directory's rows written in Python (:mod:`twofold.people.directory_html`) are the markup the
template wrote, byte for byte, for every kind of row and viewer; and every text in them is escaped."""

from __future__ import annotations

import itertools

import pytest
from django.template import Context, Template

from twofold.people.directory_html import directory_rows_html
from twofold.people.selectors import DirectoryRow

# The rows of the directory's table as people/partials/directory_results.html wrote them.
TEMPLATE_ROWS = """{% for person in rows %}
    <tr>
      <td><a href="{{ person.url }}">{{ person.name }}</a>
        {% if talent_flags and person.high_potential %}<span class="badge">High potential</span>{% endif %}
        {% if not person.active %}<span class="badge muted">Left</span>{% endif %}</td>
      <td>{{ person.title }}</td>
      <td>{{ person.level }}</td>
      <td>{{ person.department }}</td>
      <td>{{ person.location }}</td>
      <td>{% if person.manager_url %}<a href="{{ person.manager_url }}">{{ person.manager_name }}</a>{% else %}—{% endif %}</td>
    </tr>
  {% endfor %}"""  # noqa: E501

HOSTILE = "<script>alert('x')</script> & \"Ünïcode\""


def rows() -> list[DirectoryRow]:
    return [
        DirectoryRow(
            pk=pk,
            url=f"/people/{pk}/?a=1&b=2",
            name=f"Ana {HOSTILE}",
            title=f"Head of {HOSTILE}",
            level=level,
            department="R&D",
            location=f"Zoë's {HOSTILE}",
            active=active,
            high_potential=high_potential,
            manager_url=f"/people/{pk + 1}/" if managed else "",
            manager_name=f"Bo {HOSTILE}" if managed else "",
        )
        for pk, (active, high_potential, managed, level) in enumerate(
            itertools.product([False, True], [False, True], [False, True], [1, 12]), start=999
        )
    ]


@pytest.mark.parametrize("talent_flags", [False, True])
def test_the_rows_are_the_templates_markup_byte_for_byte(talent_flags: bool) -> None:
    expected = Template(TEMPLATE_ROWS).render(Context({"rows": rows(), "talent_flags": talent_flags}))
    assert directory_rows_html(rows(), talent_flags=talent_flags) == expected


def test_every_text_is_escaped() -> None:
    written = directory_rows_html(rows(), talent_flags=True)
    assert "<script>" not in written and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in written
    assert "Zoë&#x27;s" in written and "R&amp;D" in written and "?a=1&amp;b=2" in written
