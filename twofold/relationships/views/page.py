"""The relationship page, for the two people in the pair only: loading it, what it draws, and how
every form on it answers (see :mod:`twofold.relationships.views`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from twofold.accounts import permissions
from twofold.confirmation import confirmation_page, confirmed
from twofold.people.models import Person, Skill
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken, RelationshipStateConflict
from twofold.relationships.forms import (
    AdvocacyActionForm,
    AdvocacyOutcomeForm,
    AgreementForm,
    AnswerForm,
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
    Direction,
    Relationship,
    RelationshipState,
)
from twofold.relationships.selectors import (
    MeetingView,
    RelationshipPage,
    concerns_raised_about,
    match_reasons,
    nomination_choices,
    partner_profile,
    relationship_page,
    skill_catalogue,
)
from twofold.relationships.services import (
    MEETING_STATUS_CHANGES,
    PAIRED_STATES,
    relationship_answer,
    relationship_request_withdraw,
)
from twofold.relationships.views.rows import meeting_rows
from twofold.site_links import id_path

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


# --- the pair's page: loading, context, answers ---------------------------------------------------


def _viewer_id(request: HttpRequest) -> int:
    """The signed-in person's id: their record comes with the relationship's row (both people in it
    are read there), so it is not read on its own."""
    person_id: int | None = getattr(request.user, "person_id", None)
    if person_id is None:
        raise PermissionDenied("Only the two people in a relationship see its page.")
    return person_id


def _load(
    request: HttpRequest,
    pk: int,
    *,
    meetings_page: str | None = None,
    meeting_in_view: int | None = None,
    whole_page: bool = False,
) -> tuple[Person, RelationshipPage]:
    """The signed-in person and their view of relationship ``pk``, with one page of its meeting log
    (the first, ``meetings_page``, or the one holding ``meeting_in_view``). Anyone outside the pair
    (programme managers included) gets the 404 of an id that does not exist: which pairs exist is
    not theirs to learn. Both are refused after the same one query."""
    try:
        page = relationship_page(
            relationship_id=pk,
            viewer=_viewer_id(request),
            meetings_page=meetings_page or 1,
            meeting_in_view=meeting_in_view,
            # The whole page draws the partner's profile: the enrolments come in the same query.
            with_enrolments=whole_page,
        )
    except (Relationship.DoesNotExist, RelationshipForbidden):
        raise Http404("No such relationship.") from None
    if not permissions.allowed(request.user, "relationships.view", page.relationship):
        raise Http404("No such relationship.")
    # The account's person is the one read with the relationship: whatever reads it later in the
    # request (the audit entry of a change names them) finds it there.
    request.user.person = page.viewer  # type: ignore[union-attr]
    return page.viewer, page


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


class PairUrls(dict[str, str]):
    """The addresses of the pair's actions by URL name (``urls.meeting_log``, ``urls.agreement``, ...),
    each reversed the first time a template asks for it: a fragment pays only for its own."""

    def __init__(self, pk: int) -> None:
        super().__init__()
        self.pk = pk

    def __missing__(self, name: str) -> str:
        url = self[name] = id_path(f"relationships:{name}", pk=self.pk)
        return url


def _lazy(make: Callable[[], Any]) -> Any:
    """``make()``, made the first time the template draws it (a fragment draws only its own forms).

    A template calls a callable it finds in its context, so the value is handed over as ``make``
    itself, called once and remembered: unlike a lazy proxy, nothing stands between the template
    and each of the value's attributes afterwards."""
    return functools.cache(make)


def _context(
    person: Person,
    page: RelationshipPage,
    *,
    bound: dict[str, forms.Form] | None = None,
    notice: str = "",
    editing: int | None = None,
) -> dict[str, Any]:
    """Everything the page and each of its fragments draw, with ``bound`` forms (carrying the
    visitor's input and errors) in place of blank ones. A fixed number of queries, each made only
    when what needs it is drawn: the meeting log alone reads neither the rest of the pair's record
    nor the skill catalogue's other forms."""
    bound = bound or {}
    relationship, programme, partner = page.relationship, page.programme, page.partner
    active = relationship.state == RelationshipState.ACTIVE
    skills = functools.cache(skill_catalogue)  # read once, by the first form that lists skills
    sponsor_view = programme.is_sponsorship and page.viewer_role == "mentor"

    def check_in_forms() -> list[CheckInForm]:
        made = {point: CheckInForm(point=point) for point in page.check_ins_due}
        posted_check_in = bound.get("check_in_form")
        if isinstance(posted_check_in, CheckInForm):
            made[posted_check_in.check_in_point] = posted_check_in
        return list(made.values())

    # The page of the log shown was chosen by _load: the meeting being edited is on it.
    editing_meeting = page.meeting(editing) if editing is not None else None
    edit_form = bound.get("edit_form")
    if editing_meeting is not None and edit_form is None:
        edit_form = _meeting_edit_form(page, editing_meeting, skills=skills())

    def outcome_forms() -> list[tuple[Any, forms.Form]]:
        if not (sponsor_view and relationship.state in PAIRED_STATES):
            return []
        posted_outcome = bound.get("outcome_form")
        return [
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

    nomination = _lazy(lambda: nomination_choices(relationship=relationship) if page.may_nominate else None)

    def nomination_form() -> forms.Form | None:
        if not page.may_nominate:
            return None
        return NominationForm(programmes=nomination().programmes, auto_id="nomination-%s")

    return {
        "page": page,
        "relationship": relationship,
        "programme": programme,
        "partner": partner,
        "active": active,
        "notice": notice,
        "urls": PairUrls(relationship.pk),
        # Worked out from the relationship's own row (no query), so made at once.
        "reasons": match_reasons(relationship),
        # Read only when drawn (the whole page draws them; the meeting log alone does not), once.
        "profile": _lazy(lambda: partner_profile(page)),
        "editing": editing_meeting.id if editing_meeting is not None else None,
        "meeting_rows": _lazy(lambda: meeting_rows(page, active=active)),
        "edit_form": edit_form,
        "meeting_form": bound.get("meeting_form")
        or _lazy(lambda: MeetingLogForm(skills=skills(), partner_name=partner.name, auto_id="log-%s")),
        "schedule_form": bound.get("schedule_form") or _lazy(lambda: MeetingScheduleForm(auto_id="schedule-%s")),
        "knowledge_form": bound.get("knowledge_form")
        or _lazy(lambda: KnowledgeTransferForm(skills=skills(), directions=_directions(page), auto_id="knowledge-%s")),
        "sponsor_view": sponsor_view,
        "advocacy_form": bound.get("advocacy_form") or _lazy(lambda: AdvocacyActionForm(auto_id="advocacy-%s")),
        "outcome_forms": _lazy(outcome_forms),
        "check_in_forms": _lazy(check_in_forms),
        "agreement_form": bound.get("agreement_form")
        or _lazy(
            lambda: AgreementForm(
                auto_id="agreement-%s",
                with_confidentiality=not programme.is_sponsorship,
                initial={
                    "goals": page.agreement.goals if page.agreement else "",
                    "cadence_days": page.agreement.cadence_days if page.agreement else programme.cadence_days,
                    "confidentiality": page.agreement.confidentiality if page.agreement else "",
                },
            )
        ),
        "nomination": nomination,
        "nomination_form": bound.get("nomination_form") or _lazy(nomination_form),
        "concern_form": bound.get("concern_form") or _lazy(lambda: ConcernForm(auto_id="concern-%s")),
        "my_concerns": _lazy(lambda: concerns_raised_about(person_id=person.pk, relationship_id=relationship.pk)),
        "end_form": bound.get("end_form") or _lazy(lambda: EndForm(auto_id="end-%s")),
    }


@login_required
@require_safe
def relationship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The relationship page, for the two people in the pair only."""
    person, page = _load(request, pk, meetings_page=request.GET.get("meetings"), whole_page=True)
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
        return HttpResponseClientRedirect(page_reload_url(url))
    return redirect(url)


def page_reload_url(url: str) -> str:
    """``url`` for htmx to load the page again: without its fragment, since a browser told to go to the
    page it is on with only another fragment scrolls and does not load it (the flash message would wait)."""
    return url.split("#", 1)[0]


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
    person, page = _load(request, pk, meeting_in_view=editing)
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


@login_required
@require_POST
def relationship_request_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentee takes back their request for a partner, after a confirmation (a dialog with
    JavaScript, a page without)."""
    _, page = _load(request, pk)
    relationship = page.relationship
    asking = page.viewer_role == "mentee" and relationship.requested_by_mentee
    if not confirmed(request) and asking and relationship.state == RelationshipState.PROPOSED:
        return confirmation_page(
            request,
            title=f"Withdraw your request to {page.partner.name}?",
            question=f"{page.partner.name} can no longer accept it; you may then ask someone else.",
            confirm_label="Yes, withdraw my request",
            cancel_url=_page_url(pk),
        )
    try:
        relationship_request_withdraw(relationship=relationship, actor=request.user)
    except RelationshipRuleBroken as error:
        return _refuse(request, pk, error)
    return _whole_page_done(
        request,
        _page_url(pk),
        f"You withdrew your request to {page.partner.name}. You can choose someone else now.",
    )
