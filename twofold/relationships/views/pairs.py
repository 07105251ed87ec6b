"""The programme managers' pairs list and what they do to one pair: nudge it, extend it, end it
(with a reason, sending one, both or neither back to the pool), and propose someone in the pool to a
partner they pick among those the engine's rules allow.

Every change is a service call with the manager as ``actor``; ending asks for confirmation first
(:mod:`twofold.confirmation`). A manager sees of a pair what the health page shows and the pair's
log of managers' actions: never its meetings' notes, a check-in answer or a concern's text.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from twofold.confirmation import confirmation_page, confirmed
from twofold.programmes.models import Enrolment, EnrolmentRole, EnrolmentStatus, Programme
from twofold.programmes.views import managed_programme_or_404
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken
from twofold.relationships.models import OPEN_STATES, PairEvent, Relationship, RelationshipState
from twofold.relationships.pairs_list import SHOW, SORTS, PairsQuery, pairs_csv, programme_pairs
from twofold.relationships.selectors import relationship_planned_end, with_meeting_clock
from twofold.relationships.services import (
    pair_refusal,
    relationship_end_by_manager,
    relationship_extend,
    relationship_nudge,
    relationship_pick_partner,
)
from twofold.relationships.views.page import page_reload_url

PAIRS_PAGE_SIZE = 25
# A manager picking a partner sees at most this many of the people the search finds, each checked
# against every hard rule; a narrower search finds the others.
CANDIDATES_CHECKED = 60


class NudgeForm(forms.Form):
    message = forms.CharField(
        label="A word to both of them (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Emailed to both and kept on their page. Leave empty for a standard reminder to meet.",
    )


class ExtendForm(forms.Form):
    until = forms.DateField(label="New last day", widget=forms.DateInput(attrs={"type": "date"}))


class ManagerEndForm(forms.Form):
    reason = forms.CharField(
        label="Reason (both of them read it)", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    back_to_pool = forms.MultipleChoiceField(
        label="Match again",
        required=False,
        choices=[("mentor", "Mentor"), ("mentee", "Mentee")],
        widget=forms.CheckboxSelectMultiple,
        help_text="Who stays in the pool for the next matching run, or for you to pick a partner now. "
        "Anyone not ticked leaves the programme's pool.",
    )

    def __init__(self, *args: Any, programme: Programme, names: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["back_to_pool"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            ("mentor", f"{names['mentor']} ({programme.mentor_label})"),
            ("mentee", f"{names['mentee']} ({programme.mentee_label})"),
        ]


def _pairs_url(programme: Programme, **params: str) -> str:
    url = reverse("relationships:pairs", kwargs={"pk": programme.pk})
    query = "&".join(f"{name}={value}" for name, value in params.items() if value)
    return f"{url}?{query}" if query else url


def _pair_url(pair: Relationship, section: str = "") -> str:
    url = reverse("relationships:pair", kwargs={"pk": pair.programme_id, "pair_id": pair.pk})
    return f"{url}#{section}" if section else url


@login_required
@require_safe
def pairs_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Every pair of a programme: search, state, what needs a manager, sort, pages."""
    programme = managed_programme_or_404(request, pk)
    query = PairsQuery.of(request.GET.dict())
    rows = programme_pairs(programme=programme, query=query)
    page = Paginator(rows, PAIRS_PAGE_SIZE).get_page(request.GET.get("page"))
    params = query.as_params()
    return render(
        request,
        "relationships/pairs.html",
        {
            "programme": programme,
            "page": page,
            "rows": [(pair, relationship_planned_end(pair)) for pair in page.object_list],
            "query": query,
            "states": RelationshipState.choices,
            "shows": [(value, label) for value, (label, _) in SHOW.items()],
            "sorts": [(value, label) for value, (label, _) in SORTS.items()],
            "query_string": "&".join(f"{name}={value}" for name, value in params.items()),
            "csv_url": reverse("relationships:pairs_csv", kwargs={"pk": programme.pk})
            + ("?" + "&".join(f"{name}={value}" for name, value in params.items()) if params else ""),
        },
    )


@login_required
@require_safe
def pairs_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The pairs list as it is filtered, as CSV."""
    programme = managed_programme_or_404(request, pk)
    rows = programme_pairs(programme=programme, query=PairsQuery.of(request.GET.dict()))
    response = HttpResponse(pairs_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pairs-programme-{programme.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _managed_pair(request: HttpRequest, pk: int, pair_id: int) -> tuple[Programme, Relationship]:
    programme = managed_programme_or_404(request, pk)
    pair = (
        with_meeting_clock(Relationship.objects.filter(programme=programme))
        .select_related("programme", "mentor", "mentee", "ended_by")
        .filter(pk=pair_id)
        .first()
    )
    if pair is None:
        raise Http404("No such pair in this programme.")
    return programme, pair


def _in_pool(programme: Programme, pair: Relationship) -> list[tuple[str, Enrolment]]:
    """The people of an ended pair who are in the pool without an open pair, to pick a partner for."""
    enrolments = {
        enrolment.pk: enrolment
        for enrolment in Enrolment.objects.filter(
            pk__in=[pair.mentor_enrolment_id, pair.mentee_enrolment_id], status=EnrolmentStatus.ACTIVE
        ).select_related("person")
    }
    waiting = []
    for side, enrolment_id in (("mentor", pair.mentor_enrolment_id), ("mentee", pair.mentee_enrolment_id)):
        enrolment = enrolments.get(enrolment_id)
        if enrolment is None:
            continue
        if side == "mentee" and Relationship.objects.filter(mentee_enrolment=enrolment, state__in=OPEN_STATES).exists():
            continue
        if side == "mentor" and enrolment.seats_taken >= enrolment.capacity:
            continue
        waiting.append((side, enrolment))
    return waiting


def _pair_page(
    request: HttpRequest,
    programme: Programme,
    pair: Relationship,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    names = {"mentor": pair.mentor.name, "mentee": pair.mentee.name}
    planned_end = relationship_planned_end(pair)
    return render(
        request,
        "relationships/pair_manage.html",
        {
            "programme": programme,
            "pair": pair,
            "active": pair.state == RelationshipState.ACTIVE,
            "planned_end": planned_end,
            "events": list(PairEvent.objects.filter(relationship=pair).select_related("by")),
            "nudge_form": bound.get("nudge") or NudgeForm(auto_id="nudge-%s"),
            "extend_form": bound.get("extend") or ExtendForm(auto_id="extend-%s"),
            "end_form": bound.get("end") or ManagerEndForm(programme=programme, names=names, auto_id="end-%s"),
            "in_pool": _in_pool(programme, pair) if pair.state not in OPEN_STATES else [],
        },
        status=status,
    )


@login_required
@require_safe
def pair_detail(request: HttpRequest, pk: int, pair_id: int) -> HttpResponse:
    """One pair, for its programme's managers: where it stands, its log, and what they can do."""
    programme, pair = _managed_pair(request, pk, pair_id)
    return _pair_page(request, programme, pair)


def _done(request: HttpRequest, url: str, message: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, message)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(page_reload_url(url))
    return redirect(url)


@login_required
@require_POST
def pair_nudge(request: HttpRequest, pk: int, pair_id: int) -> HttpResponse:
    programme, pair = _managed_pair(request, pk, pair_id)
    form = NudgeForm(request.POST, auto_id="nudge-%s")
    if form.is_valid():
        try:
            relationship_nudge(relationship=pair, actor=request.user, message=form.cleaned_data["message"])
        except RelationshipForbidden as error:
            raise PermissionDenied(error.message) from error
        except RelationshipRuleBroken as error:
            form.add_error(None, error.message)
        else:
            return _done(
                request,
                _pair_url(pair, "log"),
                f"Nudged: {pair.mentor.name} and {pair.mentee.name} are emailed, and see it on their page.",
            )
    return _pair_page(request, programme, pair, bound={"nudge": form}, status=400)


@login_required
@require_POST
def pair_extend(request: HttpRequest, pk: int, pair_id: int) -> HttpResponse:
    programme, pair = _managed_pair(request, pk, pair_id)
    form = ExtendForm(request.POST, auto_id="extend-%s")
    if form.is_valid():
        try:
            relationship_extend(relationship=pair, actor=request.user, until=form.cleaned_data["until"])
        except RelationshipForbidden as error:
            raise PermissionDenied(error.message) from error
        except RelationshipRuleBroken as error:
            form.add_error("until", error.message)
        else:
            return _done(request, _pair_url(pair, "log"), f"Extended until {form.cleaned_data['until']:%d %B %Y}.")
    return _pair_page(request, programme, pair, bound={"extend": form}, status=400)


@login_required
@require_POST
def pair_end(request: HttpRequest, pk: int, pair_id: int) -> HttpResponse:
    """End a pair with a reason, after a confirmation (a dialog with JavaScript, a page without)."""
    programme, pair = _managed_pair(request, pk, pair_id)
    names = {"mentor": pair.mentor.name, "mentee": pair.mentee.name}
    form = ManagerEndForm(request.POST, programme=programme, names=names, auto_id="end-%s")
    if form.is_valid():
        back = form.cleaned_data["back_to_pool"]
        if not confirmed(request):
            again = [names[side] for side in ("mentor", "mentee") if side in back]
            return confirmation_page(
                request,
                title=f"End {pair.mentor.name} and {pair.mentee.name}'s relationship?",
                question="Ending a relationship cannot be undone.",
                details=[
                    f"Reason, which both of them read: “{form.cleaned_data['reason']}”",
                    f"Matched again: {' and '.join(again)}." if again else "Both leave the programme's pool.",
                ],
                confirm_label="Yes, end the relationship",
                cancel_url=_pair_url(pair),
            )
        try:
            relationship_end_by_manager(
                relationship=pair, actor=request.user, reason=form.cleaned_data["reason"], back_to_pool=back
            )
        except RelationshipForbidden as error:
            raise PermissionDenied(error.message) from error
        except RelationshipRuleBroken as error:
            form.add_error(None, error.message)
        else:
            message = "The relationship has ended."
            if back:
                message += " Those you chose to match again are in the pool: pick a partner below, or wait for a run."
            return _done(request, _pair_url(pair, "rematch" if back else "log"), message)
    return _pair_page(request, programme, pair, bound={"end": form}, status=400)


# --- picking a partner ---------------------------------------------------------------------------


def _candidates(
    programme: Programme, enrolment: Enrolment, search: str
) -> tuple[list[Enrolment], list[tuple[Enrolment, str]], bool]:
    """The people of the other role in the pool the search finds: those the engine's rules allow with
    ``enrolment``, and those they refuse with the rule's words. At most :data:`CANDIDATES_CHECKED`."""
    other = EnrolmentRole.MENTEE if enrolment.role == EnrolmentRole.MENTOR else EnrolmentRole.MENTOR
    found = (
        Enrolment.objects.filter(programme=programme, role=other, status=EnrolmentStatus.ACTIVE)
        .exclude(person=enrolment.person)
        .select_related("person", "nominated_by")
        .order_by("person__name", "pk")
    )
    if search:
        found = found.filter(person__name__icontains=search)
    checked = list(found[: CANDIDATES_CHECKED + 1])
    more = len(checked) > CANDIDATES_CHECKED
    allowed, refused = [], []
    for candidate in checked[:CANDIDATES_CHECKED]:
        mentor, mentee = (enrolment, candidate) if enrolment.role == EnrolmentRole.MENTOR else (candidate, enrolment)
        refusal = pair_refusal(programme=programme, mentor_enrolment=mentor, mentee_enrolment=mentee)
        if refusal is None:
            allowed.append(candidate)
        else:
            refused.append((candidate, refusal.message))
    return allowed, refused, more


@login_required
def pick_partner(request: HttpRequest, pk: int, enrolment_id: int) -> HttpResponse:
    """Propose someone in the pool to a partner the manager picks among those the rules allow."""
    programme = managed_programme_or_404(request, pk)
    enrolment = (
        Enrolment.objects.filter(programme=programme, pk=enrolment_id, status=EnrolmentStatus.ACTIVE)
        .select_related("person")
        .first()
    )
    if enrolment is None:
        raise Http404("Nobody with that enrolment is in this programme's pool.")
    error = ""
    if request.method == "POST":
        partner = Enrolment.objects.filter(programme=programme, pk=request.POST.get("partner") or 0).first()
        if partner is None:
            error = "Choose a partner from the list."
        else:
            try:
                proposal = relationship_pick_partner(
                    programme_enrolment=enrolment, partner_enrolment=partner, actor=request.user, now=timezone.now()
                )
            except RelationshipForbidden as refusal:
                raise PermissionDenied(refusal.message) from refusal
            except RelationshipRuleBroken as refusal:
                error = refusal.message
            else:
                return _done(
                    request,
                    _pairs_url(programme, state=RelationshipState.PROPOSED),
                    f"Proposed {proposal.mentor.name} and {proposal.mentee.name} to each other; "
                    "they are asked on their pages.",
                )
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    search = request.GET.get("q", "").strip()[:100]
    allowed, refused, more = _candidates(programme, enrolment, search)
    label = programme.mentor_label if enrolment.role == EnrolmentRole.MENTOR else programme.mentee_label
    other_label = programme.mentee_label if enrolment.role == EnrolmentRole.MENTOR else programme.mentor_label
    return render(
        request,
        "relationships/pick_partner.html",
        {
            "programme": programme,
            "enrolment": enrolment,
            "label": label,
            "other_label": other_label,
            "allowed": allowed,
            "refused": refused,
            "more": more,
            "search": search,
            "error": error,
        },
        status=400 if error else 200,
    )
