"""Pages and feeds of the life of relationships.

- The relationship page, for the two people in the pair only: the proposal and its answers, why they
  were matched, the agreement, meetings (with each author's private note), knowledge transfer,
  advocacy actions, check-ins, raising a concern, nominating a reverse mentor for sponsorship,
  ending early and completing.
- "My programmes": a participant's invitations, enrolments, pairs, approvals and calendar.
- The programme managers' health page and concerns queue.
- The calendar feed, and rotating its secret address.

Every form posts to its own address. With htmx it gets back the fragment (``partials/``) of its
section; without JavaScript the same address redirects to the page with a flash message, or shows
the page again with the form's errors. The services hold the rules: a refusal is shown next to the
form (:class:`RelationshipRuleBroken`), answered with 403 (:class:`RelationshipForbidden`), or, when
someone else changed the relationship meanwhile (:class:`RelationshipStateConflict`), told in a flash
message while the page reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from twofold import audit
from twofold.accounts import permissions
from twofold.people.models import Person, Skill
from twofold.programmes.models import EnrolmentStatus
from twofold.programmes.selectors import approvals_awaiting, enrolments_of, programmes_open_to
from twofold.programmes.views import managed_programme_or_404
from twofold.relationships.aggregates import SCORE_FIELDS
from twofold.relationships.calendar import calendar_feed_for, calendar_feed_rotate, person_calendar
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.forms import (
    AdvocacyActionForm,
    AdvocacyOutcomeForm,
    AgreementForm,
    AnswerForm,
    CheckInForm,
    ConcernForm,
    ConcernUpdateForm,
    EndForm,
    KnowledgeTransferForm,
    MeetingEditForm,
    MeetingLogForm,
    MeetingScheduleForm,
    NominationForm,
)
from twofold.relationships.links import calendar_feed_link
from twofold.relationships.models import (
    AdvocacyKind,
    AdvocacyOutcome,
    CalendarFeed,
    CheckInPoint,
    ConcernStatus,
    Direction,
    Meeting,
    Relationship,
    RelationshipState,
)
from twofold.relationships.progress import progress_of
from twofold.relationships.selectors import (
    OPEN_CONCERN_STATES,
    MeetingView,
    RelationshipPage,
    concerns_for_managers,
    concerns_raised_by,
    match_reasons,
    nomination_choices,
    programme_health,
    relationship_page,
    relationships_behind_on_meetings,
    relationships_of_person,
    skill_catalogue,
)
from twofold.relationships.services import (
    MEETING_STATUS_CHANGES,
    PAIRED_STATES,
    advocacy_action_record,
    advocacy_action_set_outcome,
    agreement_accept,
    agreement_update,
    check_in_submit,
    concern_raise,
    concern_update,
    knowledge_transfer_record,
    meeting_log,
    meeting_schedule,
    meeting_update,
    nomination_create,
    private_note_set,
    relationship_answer,
    relationship_complete,
    relationship_end,
)

# The fragment each section of the relationship page is drawn from; htmx swaps it in whole.
SECTIONS: dict[str, str] = {
    "agreement": "relationships/partials/agreement.html",
    "meetings": "relationships/partials/meeting_log.html",
    "knowledge": "relationships/partials/knowledge_transfers.html",
    "advocacy": "relationships/partials/advocacy_actions.html",
    "check-ins": "relationships/partials/check_ins.html",
    "nomination": "relationships/partials/nomination.html",
    "concern": "relationships/partials/raise_concern.html",
    "ending": "relationships/partials/ending.html",
}
SCORE_LABELS = {
    "satisfaction": "Satisfaction",
    "psychological_safety": "“I can speak openly”",
    "progress": "Progress",
}
HEALTH_PAGE_SIZE = 25
CONCERNS_PAGE_SIZE = 25
CONCERN_FILTERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "open": ("Open or acknowledged", tuple(OPEN_CONCERN_STATES)),
    "resolved": ("Resolved", (ConcernStatus.RESOLVED,)),
    "all": ("All", None),
}


# --- the pair's page: loading, context, answers ---------------------------------------------------


def _viewer(request: HttpRequest) -> Person:
    person: Person | None = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only the two people in a relationship see its page.")
    return person


def _load(request: HttpRequest, pk: int) -> tuple[Person, RelationshipPage]:
    """The signed-in person and their view of relationship ``pk``. Anyone outside the pair (programme
    managers included) gets the 404 of an id that does not exist: which pairs exist is not theirs to
    learn. Both are refused after the same one query."""
    person = _viewer(request)
    try:
        page = relationship_page(relationship_id=pk, viewer=person)
    except (Relationship.DoesNotExist, RelationshipForbidden):
        raise Http404("No such relationship.") from None
    if not permissions.allowed(request.user, "relationships.view", page.relationship):
        raise Http404("No such relationship.")
    return person, page


def _page_url(pk: int, section: str = "") -> str:
    url = reverse("relationships:detail", kwargs={"pk": pk})
    return f"{url}#{section}" if section else url


def _meeting_edit_form(
    page: RelationshipPage, meeting: MeetingView, data: Any = None, *, skills: list[Skill]
) -> MeetingEditForm:
    return MeetingEditForm(
        data,
        skills=skills,
        partner_name=page.partner.name,
        statuses=MEETING_STATUS_CHANGES[meeting.status],
        auto_id="edit-%s",
        initial={
            "status": meeting.status,
            "starts_at": meeting.starts_at,
            "duration_minutes": meeting.duration_minutes,
            "location": meeting.location,
            "skills": [skill.pk for skill in meeting.skills],
            "shared_note": meeting.shared_note,
            "private_note": meeting.own_private_note,
        },
    )


def _directions(page: RelationshipPage) -> list[tuple[str, str]]:
    mentor, mentee = page.relationship.mentor, page.relationship.mentee
    return [
        (Direction.MENTOR_TO_MENTEE, f"{mentor.name} taught {mentee.name}"),
        (Direction.MENTEE_TO_MENTOR, f"{mentee.name} taught {mentor.name}"),
    ]


def _context(
    person: Person,
    page: RelationshipPage,
    *,
    bound: dict[str, forms.Form] | None = None,
    notice: str = "",
    editing: int | None = None,
) -> dict[str, Any]:
    """Everything the page and each of its fragments draw, with ``bound`` forms (carrying the
    visitor's input and errors) in place of blank ones. A fixed number of queries."""
    bound = bound or {}
    relationship, programme, partner = page.relationship, page.programme, page.partner
    active = relationship.state == RelationshipState.ACTIVE
    skills = skill_catalogue()
    sponsor_view = programme.is_sponsorship and page.viewer_role == "mentor"

    check_in_forms = {point: CheckInForm(point=point) for point in page.check_ins_due}
    posted_check_in = bound.get("check_in_form")
    if isinstance(posted_check_in, CheckInForm):
        check_in_forms[posted_check_in.check_in_point] = posted_check_in

    editing_meeting = next((meeting for meeting in page.meetings if meeting.id == editing), None)
    edit_form = bound.get("edit_form")
    if editing_meeting is not None and edit_form is None:
        edit_form = _meeting_edit_form(page, editing_meeting, skills=skills)

    nomination = nomination_choices(relationship=relationship) if page.may_nominate else None
    outcome_forms = []
    if sponsor_view and relationship.state in PAIRED_STATES:
        posted_outcome = bound.get("outcome_form")
        outcome_forms = [
            (
                action,
                posted_outcome
                if posted_outcome is not None and posted_outcome.prefix == f"outcome-{action.pk}"
                else AdvocacyOutcomeForm(
                    prefix=f"outcome-{action.pk}",
                    initial={"outcome": action.outcome, "note": action.outcome_note},
                ),
            )
            for action in page.advocacy_actions
        ]

    return {
        "page": page,
        "relationship": relationship,
        "programme": programme,
        "partner": partner,
        "active": active,
        "notice": notice,
        "reasons": match_reasons(relationship),
        "editing": editing_meeting.id if editing_meeting is not None else None,
        "edit_form": edit_form,
        "meeting_form": bound.get("meeting_form")
        or MeetingLogForm(skills=skills, partner_name=partner.name, auto_id="log-%s"),
        "schedule_form": bound.get("schedule_form") or MeetingScheduleForm(auto_id="schedule-%s"),
        "knowledge_form": bound.get("knowledge_form")
        or KnowledgeTransferForm(skills=skills, directions=_directions(page), auto_id="knowledge-%s"),
        "sponsor_view": sponsor_view,
        "advocacy_form": bound.get("advocacy_form") or AdvocacyActionForm(auto_id="advocacy-%s"),
        "outcome_forms": outcome_forms,
        "check_in_forms": list(check_in_forms.values()),
        "agreement_form": bound.get("agreement_form")
        or AgreementForm(
            auto_id="agreement-%s",
            with_confidentiality=not programme.is_sponsorship,
            initial={
                "goals": page.agreement.goals if page.agreement else "",
                "cadence_days": page.agreement.cadence_days if page.agreement else programme.cadence_days,
                "confidentiality": page.agreement.confidentiality if page.agreement else "",
            },
        ),
        "nomination": nomination,
        "nomination_form": bound.get("nomination_form")
        or (
            NominationForm(programmes=nomination.programmes, auto_id="nomination-%s")
            if nomination is not None
            else None
        ),
        "concern_form": bound.get("concern_form") or ConcernForm(auto_id="concern-%s"),
        "my_concerns": list(concerns_raised_by(person=person, relationship=relationship)),
        "end_form": bound.get("end_form") or EndForm(auto_id="end-%s"),
    }


@login_required
@require_safe
def relationship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The relationship page, for the two people in the pair only."""
    person, page = _load(request, pk)
    return render(request, "relationships/relationship.html", _context(person, page))


def _section_done(request: HttpRequest, pk: int, person: Person, *, section: str, message: str) -> HttpResponse:
    """After a change: htmx gets the section drawn afresh with the message in it; a plain form post is
    redirected to the page (at that section) with the message flashed."""
    if request.htmx:  # type: ignore[attr-defined]
        _, page = _load(request, pk)
        return render(request, SECTIONS[section], _context(person, page, notice=message))
    messages.success(request, message)
    return redirect(_page_url(pk, section))


def _section_invalid(
    request: HttpRequest,
    person: Person,
    page: RelationshipPage,
    *,
    section: str,
    bound: dict[str, forms.Form],
    editing: int | None = None,
) -> HttpResponse:
    """A form with errors: htmx gets its section with the errors (422, which the page's htmx
    configuration swaps in); a plain post gets the whole page again (400)."""
    context = _context(person, page, bound=bound, editing=editing)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, SECTIONS[section], context, status=422)
    return render(request, "relationships/relationship.html", context, status=400)


def _whole_page_done(request: HttpRequest, url: str, message: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    """After a change that alters the whole page (an answer, an ending): flash, then load it again."""
    messages.add_message(request, level, message)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _changed_meanwhile(request: HttpRequest, pk: int, error: RelationshipStateConflict) -> HttpResponse:
    messages.warning(
        request, f"This relationship changed meanwhile, so nothing was saved. {error.message} Here it is as it is now."
    )
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRefresh()
    return redirect(_page_url(pk))


Perform = Callable[[Person, RelationshipPage, Any], str]


def _act(
    request: HttpRequest,
    pk: int,
    *,
    section: str,
    form_key: str,
    make_form: Callable[[Person, RelationshipPage], forms.Form],
    perform: Perform,
    whole_page: bool = False,
    editing: int | None = None,
) -> HttpResponse:
    """Validate the posted form, call the service through ``perform`` (which returns the message
    to show) and answer as the module docstring describes."""
    person, page = _load(request, pk)
    form = make_form(person, page)
    if form.is_valid():
        try:
            message = perform(person, page, form)
        except RelationshipStateConflict as error:
            return _changed_meanwhile(request, pk, error)
        except RelationshipForbidden as error:
            raise PermissionDenied(error.message) from error
        except RelationshipRuleBroken as error:
            form.add_error(None, error.message)
        else:
            if whole_page:
                return _whole_page_done(request, _page_url(pk, section), message)
            return _section_done(request, pk, person, section=section, message=message)
    return _section_invalid(request, person, page, section=section, bound={form_key: form}, editing=editing)


def _refuse(request: HttpRequest, pk: int, error: RelationshipRuleBroken) -> HttpResponse:
    """A refusal of an action without form fields (answer, accept, complete): said in a flash message."""
    if isinstance(error, RelationshipStateConflict):
        return _changed_meanwhile(request, pk, error)
    if isinstance(error, RelationshipForbidden):
        raise PermissionDenied(error.message) from error
    return _whole_page_done(request, _page_url(pk), error.message, level=messages.ERROR)


@login_required
@require_POST
def relationship_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or decline a proposal."""
    _, page = _load(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _whole_page_done(request, _page_url(pk), "Choose to accept or to decline.", level=messages.ERROR)
    accept = form.cleaned_data["answer"] == "accept"
    try:
        relationship = relationship_answer(relationship=page.relationship, actor=request.user, accept=accept)
    except RelationshipRuleBroken as error:
        return _refuse(request, pk, error)
    partner = page.partner.name
    if not accept:
        message = f"You declined the match with {partner}. You stay in the programme's pool to be matched again."
    elif relationship.state == RelationshipState.ACTIVE:
        message = f"You and {partner} are now a pair. Read your agreement, then log your first meeting."
    else:
        message = f"You accepted. The relationship starts once {partner} accepts too."
    return _whole_page_done(request, _page_url(pk), message)


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
    person, page = _load(request, pk)
    meeting = next((meeting for meeting in page.meetings if meeting.id == meeting_id), None)
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


# --- my programmes ---------------------------------------------------------------------------------


@login_required
@require_safe
def my_programmes(request: HttpRequest) -> HttpResponse:
    """A participant's invitations, enrolments, pairs, the programmes they may join and the
    applications waiting for their approval."""
    person: Person | None = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees take part in programmes.")
    enrolments = list(enrolments_of(person))
    return render(
        request,
        "relationships/mine.html",
        {
            "person": person,
            "invitations": [e for e in enrolments if e.status == EnrolmentStatus.INVITED],
            "enrolments": [e for e in enrolments if e.status != EnrolmentStatus.INVITED],
            "offers": programmes_open_to(person),
            "approvals": approvals_awaiting(request.user),
            "relationships": relationships_of_person(person=person, awaiting_first=True),
            "progress": progress_of(person),
            "calendar_feed_url": calendar_feed_link(calendar_feed_for(person).token),
        },
    )


# --- the calendar feed -----------------------------------------------------------------------------


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's meetings as iCalendar, for calendar apps to subscribe to.

    The secret token in the address is the only credential, because calendar apps cannot sign in;
    an unknown or rotated token, or a person who has left, is a plain 404 that says nothing more.
    """
    feed = CalendarFeed.objects.select_related("person").filter(token=token).first()
    if feed is None or not feed.person.active:
        raise Http404("No such calendar.")
    response = HttpResponse(person_calendar(feed.person), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="twofold.ics"'
    # The address is a secret: keep the document out of shared caches and search engines.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    """Give my calendar feed a new secret address; the old one stops working at once."""
    person: Person | None = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees have a calendar of meetings.")
    calendar_feed_rotate(actor=request.user, person=person)
    return _whole_page_done(
        request,
        reverse("relationships:mine") + "#calendar",
        "Your calendar has a new address, and the old one has stopped working. Subscribe again with the new one.",
    )


# --- programme managers: health and concerns -------------------------------------------------------


@login_required
@require_safe
def programme_health_view(request: HttpRequest, pk: int) -> HttpResponse:
    """How a programme's pairs are doing, for its managers: aggregates, and the pairs behind on
    meetings (who and since when; never a note, never a check-in answer)."""
    programme = managed_programme_or_404(request, pk)
    health = programme_health(programme=programme)
    # Page through ids first and load the people for one page only: joining the directory to every
    # pair behind on meetings before the LIMIT costs far more than the page shows.
    behind_ids = relationships_behind_on_meetings(programme=programme).values_list("pk", flat=True)
    behind: Any = Paginator(behind_ids, HEALTH_PAGE_SIZE).get_page(request.GET.get("page"))
    order = {pk: position for position, pk in enumerate(behind.object_list)}
    loaded = relationships_behind_on_meetings(programme=programme).filter(pk__in=list(order))
    behind.object_list = sorted(loaded, key=lambda pair: order[pair.pk])
    states = [(label, health.pairs_by_state[value]) for value, label in RelationshipState.choices]
    overall = health.scores.overall
    scores = [(SCORE_LABELS[name], overall[name]) for name in SCORE_FIELDS if name in overall]
    by_point = [
        (label, [health.scores.by_point[point][name] for name in SCORE_FIELDS])
        for point, label in CheckInPoint.choices
        if point in health.scores.by_point
    ]
    return render(
        request,
        "relationships/health.html",
        {
            "programme": programme,
            "health": health,
            "states": states,
            "scores": scores,
            "score_labels": [SCORE_LABELS[name] for name in SCORE_FIELDS],
            "by_point": by_point,
            "page": behind,
            "query_string": "",
            "can_handle_concerns": permissions.allowed(request.user, "concerns.list"),
        },
    )


@login_required
@require_safe
def concern_list(request: HttpRequest) -> HttpResponse:
    """The concerns raised in the programmes the user manages (every programme for an org admin)."""
    permissions.authorize(request.user, "concerns.list")
    show = request.GET.get("show", "open")
    if show not in CONCERN_FILTERS:
        show = "open"
    concerns = concerns_for_managers(request.user, statuses=CONCERN_FILTERS[show][1])
    page = Paginator(concerns, CONCERNS_PAGE_SIZE).get_page(request.GET.get("page"))
    # Concerns are about named colleagues: every page of them read is recorded, with which ones.
    audit.record(
        "concerns.view",
        target_type="concern",
        target_label=f"{CONCERN_FILTERS[show][0]}, page {page.number}",
        detail={"concerns": [concern.pk for concern in page.object_list]},
    )
    return render(
        request,
        "relationships/concerns.html",
        {
            "page": page,
            "show": show,
            "filters": [(value, label) for value, (label, _) in CONCERN_FILTERS.items()],
            "query_string": f"show={show}",
            "rows": [(concern, ConcernUpdateForm(concern_id=concern.pk)) for concern in page.object_list],
        },
    )


@login_required
@require_POST
def concern_handle(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge or resolve a concern. htmx gets the concern's card back; a plain post, the list."""
    permissions.authorize(request.user, "concerns.list")
    concern = get_object_or_404(concerns_for_managers(request.user), pk=pk)
    form = ConcernUpdateForm(request.POST, concern_id=pk)
    notice = ""
    if form.is_valid():
        try:
            updated = concern_update(
                concern=concern,
                actor=request.user,
                status=form.cleaned_data["status"],
                resolution=form.cleaned_data["resolution"],
            )
        except RelationshipForbidden as error:
            raise PermissionDenied(error.message) from error
        except RelationshipRuleBroken as error:
            form.add_error(None, error.message)
        else:
            notice = f"Concern {ConcernStatus(updated.status).label.lower()}."
    if not request.htmx:  # type: ignore[attr-defined]
        if notice:
            messages.success(request, notice)
        else:
            messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(reverse("relationships:concerns") + f"#concern-{pk}")
    shown = concerns_for_managers(request.user).get(pk=pk)
    return render(
        request,
        "relationships/partials/concern.html",
        {"concern": shown, "form": form if not notice else ConcernUpdateForm(concern_id=pk), "notice": notice},
        status=200 if notice else 422,
    )
