"""The page where a mentee or protégé of a participant-choice programme sees the partners the engine
ranks best for them, with the reasons, and asks one (:mod:`twofold.matchruns.choice`)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from twofold.matchruns.choice import partner_choices, partner_request
from twofold.programmes.models import Enrolment, EnrolmentRole, MatchingMode
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken


@login_required
def choose_partner(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the best partners the rules allow, each with why and what they wrote; POST ``partner``
    (an enrolment id from the list): ask them. Only for one's own mentee enrolment in a
    participant-choice programme; anyone else gets the answer an unknown programme gets."""
    person = getattr(request.user, "person", None)
    # programme__pk, not programme_id: the key's own lookup matches nothing for an id too large for
    # the column, where the relation's overflows SQLite's integer (tests/test_existence_oracle.py).
    enrolment = (
        Enrolment.objects.filter(
            programme__pk=pk,
            person=person,
            role=EnrolmentRole.MENTEE,
            programme__matching_mode=MatchingMode.PARTICIPANT_CHOICE,
        )
        .select_related("programme", "person")
        .first()
        if person is not None
        else None
    )
    if enrolment is None:
        raise Http404("No such programme to choose a partner in.")
    error = ""
    if request.method == "POST":
        raw = request.POST.get("partner", "")
        partner = (
            Enrolment.objects.filter(programme=enrolment.programme, role=EnrolmentRole.MENTOR, pk=int(raw)).first()
            if re.fullmatch(r"[0-9]{1,12}", raw)
            else None
        )
        if partner is None:
            error = "Choose a partner from the list."
        else:
            try:
                request_made = partner_request(
                    actor=request.user, enrolment=enrolment, partner=partner, now=timezone.now()
                )
            except RelationshipForbidden as refusal:
                raise PermissionDenied(refusal.message) from refusal
            except RelationshipRuleBroken as refusal:
                error = refusal.message
            else:
                messages.success(
                    request,
                    f"You asked {request_made.mentor.name} to be your {enrolment.programme.mentor_label}. "
                    "They are asked on their page; you will see their answer here.",
                )
                return redirect("relationships:detail", pk=request_made.pk)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    page = partner_choices(enrolment=enrolment)
    return render(
        request,
        "matchruns/choose.html",
        {"page": page, "programme": page.programme, "error": error},
        status=400 if error else 200,
    )
