"""What either of the pair does on their page: the agreement, meetings, knowledge transfer, advocacy,
check-ins, raising a concern, nominating, ending early and completing. Each form posts here and
answers through :func:`twofold.relationships.views.page.act`."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from twofold.confirmation import confirmation_page, confirmed
from twofold.people.models import Person
from twofold.relationships.errors import RelationshipRuleBroken
from twofold.relationships.forms import (
    AdvocacyActionForm,
    AdvocacyOutcomeForm,
    AgreementForm,
    CheckInForm,
    ConcernForm,
    EndForm,
    KnowledgeTransferForm,
    MeetingEditForm,
    MeetingLogForm,
    MeetingScheduleForm,
    NominationForm,
)
from twofold.relationships.models import (
    AdvocacyKind,
    AdvocacyOutcome,
    CheckInPoint,
    Meeting,
    RelationshipState,
)
from twofold.relationships.selectors import (
    RelationshipPage,
    meeting_held_on,
    nomination_choices,
    skill_catalogue,
)
from twofold.relationships.services import (
    advocacy_action_record,
    advocacy_action_set_outcome,
    agreement_accept,
    agreement_update,
    check_in_submit,
    concern_raise,
    knowledge_transfer_record,
    meeting_log,
    meeting_schedule,
    meeting_update,
    nomination_create,
    private_note_set,
    relationship_complete,
    relationship_end,
)
from twofold.relationships.views.page import (
    SECTIONS,
    _act,
    _context,
    _directions,
    _load,
    _meeting_edit_form,
    _page_url,
    _refuse,
    _section_done,
    _whole_page_done,
)

# --- agreement -------------------------------------------------------------------------------------


@login_required
@require_POST
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return AgreementForm(
            request.POST, auto_id="agreement-%s", with_confidentiality=not page.programme.is_sponsorship
        )

    def perform(person: Person, page: RelationshipPage, form: AgreementForm) -> str:
        data = form.cleaned_data
        agreement_update(
            relationship=page.relationship,
            actor=request.user,
            goals=data["goals"],
            cadence_days=data["cadence_days"],
            confidentiality=data.get("confidentiality"),
        )
        return "Agreement saved. If it changed, both of you accept it again."

    return _act(request, pk, section="agreement", form_key="agreement_form", make_form=make_form, perform=perform)


@login_required
@require_POST
def agreement_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    person, page = _load(request, pk)
    try:
        agreement_accept(relationship=page.relationship, actor=request.user)
    except RelationshipRuleBroken as error:
        return _refuse(request, pk, error)
    return _section_done(request, pk, person, section="agreement", message="You accepted the agreement.")


# --- meetings --------------------------------------------------------------------------------------


def _meeting_form(request: HttpRequest) -> Callable[[Person, RelationshipPage], forms.Form]:
    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return MeetingLogForm(request.POST, skills=skill_catalogue(), partner_name=page.partner.name, auto_id="log-%s")

    return make_form


@login_required
@require_POST
def meeting_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a meeting that took place."""

    def perform(person: Person, page: RelationshipPage, form: MeetingLogForm) -> str:
        data = form.cleaned_data
        day = timezone.localtime(data["starts_at"]).date()
        if request.POST.get("same_day") != "yes" and meeting_held_on(relationship=page.relationship, day=day):
            # Not a rule (two meetings a day happen), a warning against logging the same one twice.
            form.same_day_warning = True  # type: ignore[attr-defined]
            raise RelationshipRuleBroken(
                f"A meeting on {day:%d %B %Y} is logged already. If this is another one, tick the box below "
                "and log it again.",
                code="same_day",
            )
        meeting = meeting_log(
            relationship=page.relationship,
            actor=request.user,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
            skills=form.chosen_skills(),
            shared_note=data["shared_note"],
            private_note=data["private_note"],
        )
        return f"Meeting of {meeting.starts_at:%d %B %Y} logged."

    return _act(
        request, pk, section="meetings", form_key="meeting_form", make_form=_meeting_form(request), perform=perform
    )


@login_required
@require_POST
def meeting_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Schedule a meeting still to come."""

    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return MeetingScheduleForm(request.POST, auto_id="schedule-%s")

    def perform(person: Person, page: RelationshipPage, form: MeetingScheduleForm) -> str:
        data = form.cleaned_data
        meeting = meeting_schedule(
            relationship=page.relationship,
            actor=request.user,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
        )
        return f"Meeting on {meeting.starts_at:%d %B %Y at %H:%M} scheduled: it is in both your calendar feeds."

    return _act(request, pk, section="meetings", form_key="schedule_form", make_form=make_form, perform=perform)


@login_required
@require_GET
def meeting_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting log alone (htmx: for "cancel" while editing); without htmx, the page at the log."""
    person, page = _load(request, pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, SECTIONS["meetings"], _context(person, page))
    return redirect(_page_url(pk, "meetings"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_edit(request: HttpRequest, pk: int, meeting_id: int) -> HttpResponse:
    """GET: the meeting log with this meeting as a form (htmx: the log alone). POST: save it."""
    person, page = _load(request, pk, meeting_in_view=meeting_id)
    meeting = page.meeting(meeting_id)
    if meeting is None:
        raise Http404("No such meeting in this relationship.")
    if request.method != "POST":
        context = _context(person, page, editing=meeting_id)
        template = SECTIONS["meetings"] if request.htmx else "relationships/relationship.html"  # type: ignore[attr-defined]
        return render(request, template, context)

    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return _meeting_edit_form(page, meeting, request.POST, skills=skill_catalogue())

    def perform(person: Person, page: RelationshipPage, form: MeetingEditForm) -> str:
        data = form.cleaned_data
        target = Meeting(pk=meeting.id, relationship=page.relationship)
        # The shared record and the author's own note change together or not at all.
        with transaction.atomic():
            updated = meeting_update(
                meeting=target,
                actor=request.user,
                status=data["status"],
                starts_at=form.changed_start(meeting.starts_at),
                duration_minutes=data["duration_minutes"],
                location=data["location"],
                skills=form.chosen_skills(),
                shared_note=data["shared_note"],
            )
            if data["private_note"].strip() != meeting.own_private_note:
                private_note_set(meeting=updated, actor=request.user, text=data["private_note"])
        return f"Meeting of {updated.starts_at:%d %B %Y} saved."

    return _act(
        request,
        pk,
        section="meetings",
        form_key="edit_form",
        make_form=make_form,
        perform=perform,
        editing=meeting_id,
    )


# --- knowledge transfer and advocacy ---------------------------------------------------------------


@login_required
@require_POST
def knowledge_add(request: HttpRequest, pk: int) -> HttpResponse:
    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return KnowledgeTransferForm(
            request.POST, skills=skill_catalogue(), directions=_directions(page), auto_id="knowledge-%s"
        )

    def perform(person: Person, page: RelationshipPage, form: KnowledgeTransferForm) -> str:
        data = form.cleaned_data
        entry = knowledge_transfer_record(
            relationship=page.relationship,
            actor=request.user,
            skill=form.chosen_skill(),
            direction=data["direction"],
            proficiency_before=data["proficiency_before"],
            proficiency_after=data["proficiency_after"],
            note=data["note"],
            recorded_on=data["recorded_on"],
        )
        return f"Recorded: {entry.skill.name}, from {entry.proficiency_before} to {entry.proficiency_after}."

    return _act(request, pk, section="knowledge", form_key="knowledge_form", make_form=make_form, perform=perform)


@login_required
@require_POST
def advocacy_add(request: HttpRequest, pk: int) -> HttpResponse:
    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return AdvocacyActionForm(request.POST, auto_id="advocacy-%s")

    def perform(person: Person, page: RelationshipPage, form: AdvocacyActionForm) -> str:
        data = form.cleaned_data
        action = advocacy_action_record(
            relationship=page.relationship,
            actor=request.user,
            kind=data["kind"],
            happened_on=data["happened_on"],
            description=data["description"],
        )
        return f"Recorded: {AdvocacyKind(action.kind).label.lower()} on {action.happened_on:%d %B %Y}."

    return _act(request, pk, section="advocacy", form_key="advocacy_form", make_form=make_form, perform=perform)


@login_required
@require_POST
def advocacy_outcome(request: HttpRequest, pk: int, action_id: int) -> HttpResponse:
    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        if not any(action.pk == action_id for action in page.advocacy_actions):
            raise Http404("No such advocacy action in this relationship.")
        return AdvocacyOutcomeForm(request.POST, prefix=f"outcome-{action_id}")

    def perform(person: Person, page: RelationshipPage, form: AdvocacyOutcomeForm) -> str:
        action = next(action for action in page.advocacy_actions if action.pk == action_id)
        updated = advocacy_action_set_outcome(
            action=action, actor=request.user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
        )
        return f"Outcome saved: {AdvocacyOutcome(updated.outcome).label.lower()}."

    return _act(request, pk, section="advocacy", form_key="outcome_form", make_form=make_form, perform=perform)


# --- check-ins, concerns, nomination ---------------------------------------------------------------


@login_required
@require_POST
def check_in_add(request: HttpRequest, pk: int) -> HttpResponse:
    posted_point = request.POST.get("point", "")
    point = posted_point if posted_point in CheckInPoint.values else CheckInPoint.FIT

    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return CheckInForm(request.POST, point=point)

    def perform(person: Person, page: RelationshipPage, form: CheckInForm) -> str:
        data = form.cleaned_data
        check_in_submit(
            relationship=page.relationship,
            actor=request.user,
            point=data["point"],
            satisfaction=data["satisfaction"],
            psychological_safety=data["psychological_safety"],
            progress=data["progress"],
            comment=data["comment"],
            would_recommend=data.get("would_recommend"),
        )
        return (
            f"Thank you: your {CheckInPoint(data['point']).label.lower()} check-in is in. "
            f"{page.partner.name} does not see your answers."
        )

    return _act(request, pk, section="check-ins", form_key="check_in_form", make_form=make_form, perform=perform)


@login_required
@require_POST
def concern_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Raise a concern with the programme managers; the partner is never told."""

    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return ConcernForm(request.POST, auto_id="concern-%s")

    def perform(person: Person, page: RelationshipPage, form: ConcernForm) -> str:
        concern_raise(relationship=page.relationship, actor=request.user, text=form.cleaned_data["text"])
        return (
            f"Your concern went to the programme managers of {page.programme.name}, and only to them: "
            f"{page.partner.name} is never told. A manager will get in touch with you."
        )

    return _act(request, pk, section="concern", form_key="concern_form", make_form=make_form, perform=perform)


@login_required
@require_POST
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    """The senior mentee puts their junior mentor forward for a sponsorship programme."""

    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        if not page.may_nominate:
            raise PermissionDenied("Only the mentee of a reverse-mentoring relationship nominates their mentor.")
        choices = nomination_choices(relationship=page.relationship)
        return NominationForm(request.POST, programmes=choices.programmes, auto_id="nomination-%s")

    def perform(person: Person, page: RelationshipPage, form: NominationForm) -> str:
        nomination = nomination_create(
            relationship=page.relationship,
            actor=request.user,
            programme=form.chosen_programme(),
            statement=form.cleaned_data["statement"],
        )
        return (
            f"You nominated {page.partner.name} for {nomination.programme.name}. {page.partner.name} is asked "
            "first, and joins only by accepting; its programme managers see the nomination, with you as the "
            "nominator."
        )

    return _act(request, pk, section="nomination", form_key="nomination_form", make_form=make_form, perform=perform)


# --- ending and completing -------------------------------------------------------------------------


@login_required
@require_POST
def relationship_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End early with a reason, after a confirmation (a dialog with JavaScript, a page without)."""
    if not confirmed(request):
        _, page = _load(request, pk)
        asked = EndForm(request.POST, auto_id="end-%s")
        if asked.is_valid() and page.relationship.state == RelationshipState.ACTIVE:
            return confirmation_page(
                request,
                title=f"End your relationship with {page.partner.name}?",
                question="Ending a relationship cannot be undone.",
                details=[
                    f"{page.partner.name} reads your reason: “{asked.cleaned_data['reason']}”",
                    "You both stay in the pool, to be matched again."
                    if asked.cleaned_data["rematch"]
                    else "You both leave the programme's pool.",
                ],
                confirm_label="Yes, end the relationship",
                cancel_url=_page_url(pk, "ending"),
            )

    def make_form(person: Person, page: RelationshipPage) -> forms.Form:
        return EndForm(request.POST, auto_id="end-%s")

    def perform(person: Person, page: RelationshipPage, form: EndForm) -> str:
        rematch = form.cleaned_data["rematch"]
        relationship_end(
            relationship=page.relationship, actor=request.user, reason=form.cleaned_data["reason"], rematch=rematch
        )
        if rematch:
            return "The relationship has ended. You both stay in the programme's pool, to be matched again."
        return "The relationship has ended, and you have both left the programme's pool."

    return _act(
        request, pk, section="ending", form_key="end_form", make_form=make_form, perform=perform, whole_page=True
    )


@login_required
@require_POST
def relationship_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    _, page = _load(request, pk)
    try:
        relationship_complete(relationship=page.relationship, actor=request.user)
    except RelationshipRuleBroken as error:
        return _refuse(request, pk, error)
    return _whole_page_done(
        request,
        _page_url(pk, "check-ins"),
        "Completed: well done, both of you. Please tell us how it went in the closing survey below.",
    )
