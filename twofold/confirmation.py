"""Asking before anything irreversible or wide (closing a programme, publishing proposals, leaving a
programme, ending a relationship), with or without JavaScript.

A form that needs asking carries ``hx-post``, ``hx-confirm`` and ``hx-vals='{"confirmed": "yes"}'``:
with JavaScript the browser asks in a dialog and posts with ``confirmed=yes``. Without it the form
posts plainly, :func:`confirmed` is false, and the view answers with :func:`confirmation_page`: the
same question on a page of its own, whose button posts the same fields again with ``confirmed=yes``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED) == "yes"


def confirmation_page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    details: Sequence[str] = (),
    confirm_label: str,
    cancel_url: str,
    action: str | None = None,
) -> HttpResponse:
    """The page that asks ``question`` and posts the request's own fields again, confirmed."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
        for value in values
    ]
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "question": question,
            "details": list(details),
            "fields": fields,
            "action": action or request.path,
            "confirm_label": confirm_label,
            "cancel_url": cancel_url,
        },
    )
