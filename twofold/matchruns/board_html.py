"""The rows of the review board's table of pairs, written in Python.

Fifty rows of about fifteen fields each, and a list of reasons in each, cost the template engine
more than the rest of the board page together; written here with :func:`format_html` (every value
escaped) they cost a tenth of that. The markup is the template's as it was, whitespace included: a
test renders the old template fragment beside :func:`board_rows_html` and holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.safestring import SafeString

from twofold.html_fragments import escaped, format_html
from twofold.matchruns.selectors import BoardRow

_ROW = (
    "\n          <tr>\n            {choose}\n"
    '            <td><a href="{mentor_url}">{mentor_name}</a><br><span class="muted">{mentor_detail}</span></td>\n'
    '            <td><a href="{mentee_url}">{mentee_name}</a><br><span class="muted">{mentee_detail}</span></td>\n'
    "            <td>{score}{badges}</td>\n"
    '            <td>\n              <ul class="reasons">\n              {reasons}\n              </ul>\n'
    "            </td>\n            {actions}\n          </tr>\n        "
)
# While the run is ready for review: the chooser for a swap first, the lock and remove buttons last.
_READY_ROW = _ROW.replace(
    "{choose}",
    '<td><input type="checkbox" name="proposal" value="{pk}" id="pick-{pk}"><label for="pick-{pk}"'
    ' class="visually-hidden">Choose {mentor_name} and {mentee_name} for a swap</label></td>',
).replace(
    "{actions}",
    '\n            <td class="row-actions">\n'
    '              <button type="submit" name="row" value="{lock}:{pk}" class="button quiet">{lock_label}</button>'
    "{lock_gap}\n"
    '              <button type="submit" name="row" value="remove:{pk}" class="button quiet">Remove</button>\n'
    "            </td>\n            ",
)
_REASON = (
    '\n                <li><span class="reason-label">{}</span>\n'
    '                  <meter class="bar" min="0" max="100" value="{:d}" aria-hidden="true"></meter>\n'
    '                  <span class="reason-value">{}</span></li>\n              '
)
_NO_REASON = SafeString('<li class="muted">Kept as it was</li>')
_LOCKED = SafeString(' <span class="badge">Locked</span>')
_SWAPPED = SafeString(' <span class="badge muted">Swapped</span>')
_SENT = SafeString('<br><span class="badge">Sent</span>')
_TO_SEND = SafeString('<br><span class="badge muted">To send</span>')
_NOT_SENT = '<br><span class="badge muted">Not sent</span> <span class="muted">{}</span>'
_EMPTY = SafeString("")
_LOCK = {"lock": SafeString("lock"), "lock_label": SafeString("Lock"), "lock_gap": _EMPTY}
_UNLOCK = {"lock": SafeString("unlock"), "lock_label": SafeString("Unlock"), "lock_gap": SafeString("\n              ")}


def _badges(row: BoardRow, published: bool) -> SafeString:
    badges = (_LOCKED if row.locked else "") + (_SWAPPED if row.swapped else "")
    if published:
        if row.sent:
            badges += _SENT
        elif row.skipped_reason:
            badges += format_html(_NOT_SENT, row.skipped_reason)
        else:
            badges += _TO_SEND
    return SafeString(badges)


def _reasons(row: BoardRow, labels: dict[str, str]) -> SafeString:
    """The reasons as list items: each label escaped (once a page: the board's rows share a handful of
    labels), the share a whole number and the figures written by ``points_of_weight`` in digits."""
    if not row.reasons:
        return _NO_REASON
    items = []
    for reason in row.reasons:
        label = labels.get(reason.label)
        if label is None:
            label = labels[reason.label] = escaped(reason.label)
        items.append(_REASON.format(label, reason.percent, escaped(reason.points_of_weight)))
    return SafeString("".join(items))


def board_row_html(row: BoardRow, *, ready: bool, published: bool, labels: dict[str, str] | None = None) -> SafeString:
    """One pair of the board as a table row: the chooser and the lock and remove buttons while the
    run is ready for review, whether it was sent once the run is published. ``labels`` keeps the
    reasons' escaped labels from one row to the next."""
    return format_html(
        _READY_ROW if ready else _ROW,
        pk=row.pk,
        choose=_EMPTY,
        actions=_EMPTY,
        mentor_url=row.mentor.url,
        mentor_name=row.mentor.name,
        mentor_detail=row.mentor.detail,
        mentee_url=row.mentee.url,
        mentee_name=row.mentee.name,
        mentee_detail=row.mentee.detail,
        score=row.score,
        badges=_badges(row, published),
        reasons=_reasons(row, {} if labels is None else labels),
        **(_UNLOCK if row.locked else _LOCK),
    )


def board_rows_html(rows: Iterable[BoardRow], *, ready: bool, published: bool) -> SafeString:
    """The table's rows, one after the other."""
    labels: dict[str, str] = {}
    return SafeString("".join(board_row_html(row, ready=ready, published=published, labels=labels) for row in rows))
