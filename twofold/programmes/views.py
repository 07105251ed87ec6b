"""Programme pages: for programme managers, list, create and edit, states, enrolments; for
participants, applying, answering an invitation, approving a report's application, leaving.

A participant's own page ("My programmes", with their pairs) is drawn by the relationships app,
which sits above this one."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from twofold.accounts import permissions
from twofold.confirmation import confirmation_page, confirmed
from twofold.paging import page_by_ids
from twofold.people.selectors import directory_filter_options
from twofold.programmes.enrolment_services import (
    enrolment_apply,
    enrolment_approve,
    enrolment_respond,
    enrolment_withdraw,
)
from twofold.programmes.enrolments_html import enrolment_rows_html
from twofold.programmes.forms import (
    ApplicationForm,
    InviteForm,
    ProgrammeForm,
    availability_mask,
)
from twofold.programmes.models import (
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Programme,
    ProgrammeKind,
    ProgrammeState,
)
from twofold.programmes.selectors import (
    ENROLMENT_ROW_FIELDS,
    EnrolmentIdsByRole,
    application_to_decide,
    enrolment_rows,
    managed_programme,
    open_enrolment_in,
    pool_count,
    programme_enrolments,
    programme_open_to,
    programme_pool_counts,
    programmes_visible_to,
)
from twofold.programmes.services import (
    ProgrammeRuleBroken,
    programme_create,
    programme_defaults,
    programme_next_states,
    programme_transition,
    programme_update,
)

TRANSITION_LABELS: dict[str, str] = {
    ProgrammeState.DRAFT: "Back to draft",
    ProgrammeState.ENROLLING: "Open enrolment",
    ProgrammeState.MATCHING: "Start matching",
    ProgrammeState.RUNNING: "Start running",
    ProgrammeState.CLOSED: "Close the programme",
}


def _transition_label(programme: Programme, to_state: str) -> str:
    from_state = programme.state
    if programme.is_participant_choice and to_state == ProgrammeState.MATCHING:
        return f"Let {programme.mentee_label}s choose their {programme.mentor_label}s"
    if from_state == ProgrammeState.RUNNING and to_state == ProgrammeState.MATCHING:
        return "Re-match people waiting in the pool"
    if from_state == ProgrammeState.MATCHING and to_state == ProgrammeState.ENROLLING:
        return "Back to enrolment"
    return TRANSITION_LABELS[to_state]


# The sensible next step of each state, the page's one primary action. A running programme has none
# among its transitions (going back to matching is a partial re-match, closing is the end): its
# primary action is its pairs list.
NEXT_STEP: dict[str, str] = {
    ProgrammeState.DRAFT: ProgrammeState.ENROLLING,
    ProgrammeState.ENROLLING: ProgrammeState.MATCHING,
    ProgrammeState.MATCHING: ProgrammeState.RUNNING,
}


# The columns of a programme that name it and its roles (``mentor_label``, ``role_titles``).
PROGRAMME_NAMING = ("pk", "name", "kind")


def managed_programme_or_404(request: HttpRequest, pk: int, *, fields: tuple[str, ...] = ()) -> Programme:
    """The programme ``pk`` if the user manages it. Otherwise 404 whether it exists or not, from the
    same single query: which programmes exist is not for them to learn. Every page of a programme's
    managers (here, its match runs, its health) starts with this. ``fields``: only those columns,
    for a page that shows no more of it than they hold (any other would cost a query of its own)."""
    programme = managed_programme(request.user, pk, fields=fields)
    if programme is None:
        raise Http404("No such programme.")
    return programme


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    permissions.authorize(request.user, "programmes.create")
    programmes = list(programmes_visible_to(request.user))
    return render(request, "programmes/list.html", {"programmes": programmes, "kinds": ProgrammeKind.choices})


def _rule_message(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _apply_rule_error(form: forms.BaseForm, error: ProgrammeRuleBroken) -> None:
    field = error.field if error.field in form.fields else None
    for message in error.problems:
        form.add_error(field, _rule_message(ValueError(message)))


@login_required
def programme_new(request: HttpRequest, kind: str) -> HttpResponse:
    permissions.authorize(request.user, "programmes.create")
    if kind not in ProgrammeKind.values:
        raise Http404("No such kind of programme")
    initial = {**programme_defaults(kind), "name": ""}
    form = ProgrammeForm(request.POST or None, initial=initial, kind=kind)
    if request.method == "POST" and form.is_valid():
        values = {name: value for name, value in form.values().items() if name != "name"}
        try:
            programme = programme_create(actor=request.user, name=form.cleaned_data["name"], kind=kind, **values)
        except ProgrammeRuleBroken as error:
            _apply_rule_error(form, error)
        else:
            messages.success(
                request, f"Created “{programme.name}”. Open enrolment when you are ready to invite people."
            )
            return redirect("programmes:detail", pk=programme.pk)
    label = ProgrammeKind(kind).label
    return render(
        request,
        "programmes/form.html",
        {"form": form, "title": f"New {label.lower()} programme", "kind_label": label},
        status=400 if form.errors else 200,
    )


@login_required
def programme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    form = ProgrammeForm(request.POST or None, instance=programme, kind=programme.kind)
    if request.method == "POST" and form.is_valid():
        changes = form.values()
        try:
            programme_update(actor=request.user, programme=Programme.objects.get(pk=pk), **changes)
        except ProgrammeRuleBroken as error:
            _apply_rule_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("programmes:detail", pk=pk)
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "programme": programme,
            "title": f"Edit {programme.name}",
            "kind_label": programme.get_kind_display(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    next_step = NEXT_STEP.get(programme.state)
    transitions = [
        (state, _transition_label(programme, state), state == next_step) for state in programme_next_states(programme)
    ]
    # The next step first, closing last.
    transitions.sort(key=lambda row: (not row[2], row[0] == ProgrammeState.CLOSED))
    context: dict[str, Any] = {
        "programme": programme,
        "pool": programme_pool_counts(programme),
        "transitions": transitions,
        "managers": list(programme.managers.all()),
    }
    return render(request, "programmes/detail.html", context)


@login_required
@require_POST
def programme_move(request: HttpRequest, pk: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    to_state = request.POST.get("to_state", "")
    if to_state == ProgrammeState.CLOSED and programme.state != ProgrammeState.CLOSED and not confirmed(request):
        return confirmation_page(
            request,
            title=f"Close “{programme.name}”?",
            question="Closing a programme cannot be undone.",
            details=[
                "Nobody can join it any more, no pair is proposed in it, and no reminder is sent for it.",
                "Its pairs, meetings and figures stay, for insights and exports.",
            ],
            confirm_label="Yes, close the programme",
            cancel_url=reverse("programmes:detail", kwargs={"pk": pk}),
        )
    try:
        programme_transition(actor=request.user, programme=programme, to_state=to_state)
    except ProgrammeRuleBroken as error:
        messages.error(request, _rule_message(error))
    else:
        messages.success(request, f"“{programme.name}” is now {programme.get_state_display().lower()}.")
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(reverse("programmes:detail", kwargs={"pk": pk}))
    return redirect("programmes:detail", pk=pk)


@functools.lru_cache(maxsize=8)
def _blank_invite_fields(departments: tuple[str, ...], locations: tuple[str, ...]) -> str:
    """The invitation filter's fields, blank. They show nothing but the directory's departments and
    locations, the cache's key: rendered once per set of them in each process rather than on every
    view of the enrolments page (each widget and option is a template: a fifth of the page's cost)."""
    form = InviteForm(departments=list(departments), locations=list(locations))
    return render_to_string("programmes/partials/invite_fields.html", {"form": form})


@login_required
@require_GET
def enrolment_list(request: HttpRequest, pk: int) -> HttpResponse:
    # The page shows the programme's name and its roles' labels (its kind), no more.
    programme = managed_programme_or_404(request, pk, fields=PROGRAMME_NAMING)
    options = directory_filter_options()
    # The invitation form previews first (GET to the invite page); nothing is sent from here.
    invite_fields = _blank_invite_fields(tuple(options.departments), tuple(options.locations))
    role = request.GET.get("role", "")
    status = request.GET.get("status", "")
    search = request.GET.get("q", "")
    enrolments = programme_enrolments(request.user, programme, role=role, status=status, search=search)
    shown = enrolments.only(*ENROLMENT_ROW_FIELDS)
    pool = programme_pool_counts(programme)
    # A page of ids first: sorting a large programme's enrolments by name sorts narrow rows (a
    # programme of 24,000: 570 ms with every column, 180 ms with ids), then the page's rows in full.
    # Without a search, the pool's counts by role and status already count the list, and a page of
    # it is read one role at a time (a walk along the names, 1 ms for the first page).
    if search.strip():
        page = page_by_ids(shown, 50, request.GET.get("page"))
    else:
        counts = {
            value: pool_count(pool, role=value, status=status)
            for value in EnrolmentRole.values
            if role not in EnrolmentRole.values or value == role
        }
        ids = EnrolmentIdsByRole(enrolments, counts)
        page = page_by_ids(shown, 50, request.GET.get("page"), count=len(ids), ids=ids)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programmes/enrolments.html",
        {
            "programme": programme,
            "invite_fields": invite_fields,
            "page": page,
            "rows_html": enrolment_rows_html(enrolment_rows(programme, page.object_list)),
            "role": role,
            "status": status,
            "search": search,
            "roles": EnrolmentRole.choices,
            "statuses": EnrolmentStatus.choices,
            "query_string": query.urlencode(),
            "pool": pool,
        },
    )


# Participants ---------------------------------------------------------------------------------


def _my_person(request: HttpRequest) -> Any:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees take part in programmes.")
    return person


@login_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply to a programme, or answer an invitation with the same details.

    A person already in the programme sees the form too, and sending it again (a double click, a
    resent page) is refused by the service with a message. A programme they may not join and are not
    in answers 404, the same as an unknown id.
    """
    person = _my_person(request)
    mine = open_enrolment_in(person, pk)
    if mine is not None:
        programme = mine.programme
        roles = [(mine.role, programme.role_titles[mine.role])]
    else:
        offered = programme_open_to(person, pk)
        if offered is None:
            raise Http404("No such programme.")
        programme, roles = offered
    invitation = mine if mine is not None and mine.status == EnrolmentStatus.INVITED else None
    options = directory_filter_options()
    form = ApplicationForm(request.POST or None, roles=roles, departments=options.departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details: dict[str, Any] = {
            "availability": availability_mask(data["availability"]),
            "aspiration": data["aspiration"],
        }
        if data["role"] == EnrolmentRole.MENTOR and data["capacity"]:
            details["capacity"] = data["capacity"]
        try:
            if invitation is not None:
                enrolment = enrolment_respond(
                    actor=request.user,
                    enrolment=invitation,
                    accept=True,
                    goals=data["goals"],
                    focus_skills=data["focus_skills"],
                    **details,
                )
            else:
                enrolment = enrolment_apply(
                    actor=request.user,
                    programme=programme,
                    role=data["role"],
                    goals=data["goals"],
                    focus_skills=data["focus_skills"],
                    **details,
                )
        except ProgrammeRuleBroken as error:
            form.add_error(None, _rule_message(error))
        else:
            messages.success(request, f"You are in “{programme.name}”: {enrolment.get_status_display().lower()}.")
            return redirect("relationships:mine")
    return render(
        request,
        "programmes/apply.html",
        {"programme": programme, "form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def decline_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    person = _my_person(request)
    enrolment = get_object_or_404(Enrolment, pk=pk, person=person)
    try:
        enrolment_respond(actor=request.user, enrolment=enrolment, accept=False)
    except ProgrammeRuleBroken as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You declined the invitation to “{enrolment.programme.name}”.")
    return redirect("relationships:mine")


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A line manager (or their delegate) approves or turns down an application from a direct report."""
    _my_person(request)
    # Only who decides the application learns that it exists: anyone else gets the answer an unknown
    # id gets.
    enrolment = application_to_decide(request.user, pk)
    if enrolment is None:
        raise Http404("No such application waiting for you.")
    accept = request.POST.get("decision") == "approve"
    try:
        enrolment_approve(
            enrolment=enrolment, actor=request.user, approve=accept, reason=request.POST.get("reason", "")[:300]
        )
    except ProgrammeRuleBroken as error:
        messages.error(request, _rule_message(error))
    else:
        name = enrolment.person.name
        messages.success(request, f"Approved {name}'s application." if accept else f"Turned down {name}'s application.")
    return redirect("relationships:mine")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    person = _my_person(request)
    enrolment = get_object_or_404(Enrolment, pk=pk, person=person)
    if not confirmed(request):
        return confirmation_page(
            request,
            title=f"Leave “{enrolment.programme.name}”?",
            question="You leave the programme's pool, and are not matched in it again unless you apply again.",
            details=["A relationship you are in now carries on: end it from its own page if you want to stop it too."],
            confirm_label="Yes, leave the programme",
            cancel_url=reverse("relationships:mine"),
        )
    try:
        enrolment_withdraw(actor=request.user, enrolment=enrolment, reason=request.POST.get("reason", "")[:300])
    except ProgrammeRuleBroken as error:
        messages.error(request, _rule_message(error))
    else:
        messages.success(request, f"You left “{enrolment.programme.name}”.")
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(reverse("relationships:mine"))
    return redirect("relationships:mine")
