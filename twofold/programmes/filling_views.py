"""Filling a programme, for its managers: invite by filter after a preview, add people directly (picked
from a search or listed in a file), word the invitation emails, and start a programme from another.

Every page works as plain HTML forms; htmx swaps the preview and the search results in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from twofold.people.models import Person
from twofold.people.selectors import directory_filter_options
from twofold.people.tabular import FileRejected
from twofold.plain_text import counted
from twofold.programmes.emails import (
    EMAILS,
    email_render,
    email_wording,
    programme_email_reset,
    programme_email_save,
    programme_email_test,
    sample_values,
)
from twofold.programmes.enrolment_services import enrolment_invite_by_filter, enrolments_add
from twofold.programmes.forms import PROGRAMME_FORM_FIELDS, EmailWordingForm, InviteForm, PoolFileForm, ProgrammeForm
from twofold.programmes.models import EmailKind, EnrolmentRole, ProgrammeEmail
from twofold.programmes.pool_file import pool_file_read
from twofold.programmes.selectors import InviteFilter, add_candidates, invite_preview
from twofold.programmes.services import ProgrammeRuleBroken, programme_copy
from twofold.programmes.views import _apply_rule_error, _rule_message, managed_programme_or_404
from twofold.site_links import request_base_url

PREVIEW_PAGE_SIZE = 25
EXCLUSION_NAMES = {"already_enrolled": "already in the programme", "not_eligible": "not eligible for the role"}


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _invite_form(request: HttpRequest, data: Any) -> InviteForm:
    options = directory_filter_options()
    return InviteForm(data, departments=options.departments, locations=options.locations)


def _where(data: dict[str, Any]) -> InviteFilter:
    return InviteFilter(
        min_level=data["min_level"],
        max_level=data["max_level"],
        departments=data["departments"],
        locations=data["locations"],
        high_potential_only=data["high_potential_only"],
    )


@login_required
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: who the filter would invite and who it leaves out, and why (nothing written). POST: invite
    them, and email each an invitation."""
    programme = managed_programme_or_404(request, pk)
    form = _invite_form(request, request.POST if request.method == "POST" else (request.GET or None))
    if request.method == "POST" and form.is_valid():
        try:
            result = enrolment_invite_by_filter(
                actor=request.user,
                programme=programme,
                role=form.cleaned_data["role"],
                where=_where(form.cleaned_data),
                email=True,
                base_url=request_base_url(request),
            )
        except ProgrammeRuleBroken as error:
            messages.error(request, _rule_message(error))
        else:
            invited = len(result.invited)
            messages.success(
                request,
                f"Invited {counted(invited, 'person', 'people')}; their invitations are being emailed. "
                f"Left out: {len(result.already)} already in the programme, {len(result.not_eligible)} not eligible.",
            )
            return redirect("programmes:enrolments", pk=pk)
    context: dict[str, Any] = {"programme": programme, "form": form}
    if form.is_bound and form.is_valid():
        role = form.cleaned_data["role"]
        preview = invite_preview(programme, role, _where(form.cleaned_data))
        query = (request.GET if request.method == "GET" else request.POST).copy()
        for name in ("page", "excluded_page", "csrfmiddlewaretoken"):
            query.pop(name, None)
        context |= {
            "preview": preview,
            "role_label": programme.mentor_label if role == EnrolmentRole.MENTOR else programme.mentee_label,
            "page": Paginator(preview.invited, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page")),
            "excluded_page": Paginator(preview.excluded, PREVIEW_PAGE_SIZE).get_page(request.GET.get("excluded_page")),
            "excluded_counts": [
                (EXCLUSION_NAMES.get(code, code), count) for code, count in preview.excluded_counts().items()
            ],
            "query_string": query.urlencode(),
            "hidden_fields": [(name, value) for name in query for value in query.getlist(name)],
        }
    status = 400 if form.errors else 200
    if _is_htmx(request):
        return render(request, "programmes/partials/invite_preview.html", context, status=422 if form.errors else 200)
    return render(request, "programmes/invite.html", context, status=status)


def _picked(request: HttpRequest) -> tuple[list[tuple[Person, str]], list[str]]:
    ids = []
    problems = []
    for value in request.POST.getlist("person"):
        try:
            ids.append(int(value))
        except ValueError:
            problems.append(f"{value!r} is not a person.")
    people = {person.pk: person for person in Person.objects.filter(pk__in=ids, active=True)}
    entries = []
    for pk in ids:
        role = request.POST.get(f"role-{pk}", "")
        if pk not in people:
            problems.append("Someone picked is no longer in the directory.")
        elif role not in EnrolmentRole.values:
            problems.append(f"Choose a role for {people[pk].name}.")
        else:
            entries.append((people[pk], role))
    if not ids and not problems:
        problems.append("Pick someone to add.")
    return entries, problems


def _add_page(
    request: HttpRequest, programme: Any, *, problems: list[str] | None = None, file_form: PoolFileForm | None = None
) -> HttpResponse:
    search = request.GET.get("q", request.POST.get("q", ""))[:100]
    context = {
        "programme": programme,
        "q": search,
        "found": add_candidates(programme, search),
        "problems": problems or [],
        "file_form": file_form or PoolFileForm(),
        "roles": [(EnrolmentRole.MENTOR, programme.mentor_label), (EnrolmentRole.MENTEE, programme.mentee_label)],
    }
    failed = bool(problems) or (file_form is not None and bool(file_form.errors))
    if _is_htmx(request) and request.method == "GET":
        return render(request, "programmes/partials/add_results.html", context)
    return render(request, "programmes/add.html", context, status=400 if failed else 200)


@login_required
def add_people(request: HttpRequest, pk: int) -> HttpResponse:
    """Search the directory and pick people to put straight into the pool, each with a role."""
    programme = managed_programme_or_404(request, pk)
    if request.method != "POST":
        return _add_page(request, programme)
    entries, problems = _picked(request)
    if not problems:
        try:
            added = enrolments_add(actor=request.user, programme=programme, entries=entries)
        except ProgrammeRuleBroken as error:
            problems = [_rule_message(ValueError(problem)) for problem in error.problems]
        else:
            messages.success(request, f"Added {counted(len(added), 'person', 'people')} to the pool.")
            return redirect("programmes:enrolments", pk=pk)
    return _add_page(request, programme, problems=problems)


@login_required
@require_POST
def add_people_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Add everyone a CSV or XLSX file lists (employee ids and roles), or nobody, with each problem named."""
    programme = managed_programme_or_404(request, pk)
    form = PoolFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            entries = pool_file_read(programme, upload.read(), name=upload.name)
            added = enrolments_add(actor=request.user, programme=programme, entries=entries)
        except FileRejected as error:
            for problem in error.problems:
                form.add_error("file", str(problem)[:1].upper() + str(problem)[1:])
        except ProgrammeRuleBroken as error:
            for message in error.problems:
                form.add_error("file", _rule_message(ValueError(message)))
        else:
            messages.success(request, f"Added {counted(len(added), 'person', 'people')} from {upload.name}.")
            return redirect("programmes:enrolments", pk=pk)
    return _add_page(request, programme, file_form=form)


# The emails' wording ------------------------------------------------------------------------------


@login_required
def email_list(request: HttpRequest, pk: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    own = {email.kind: email for email in ProgrammeEmail.objects.filter(programme=programme)}
    rows = [
        {"kind": kind, "label": EmailKind(kind).label, "subject": email_wording_of(own, kind), "own": kind in own}
        for kind in EMAILS
    ]
    return render(request, "programmes/emails.html", {"programme": programme, "rows": rows})


def email_wording_of(own: dict[str, ProgrammeEmail], kind: str) -> str:
    return own[kind].subject if kind in own else EMAILS[kind].subject


@login_required
def email_edit(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Word one email: save (placeholders checked), go back to the default, see it rendered, or send
    it to oneself as a test."""
    programme = managed_programme_or_404(request, pk)
    if kind not in EMAILS:
        raise Http404("No such email.")
    subject, body = email_wording(programme, kind)
    form = EmailWordingForm(request.POST or None, initial={"subject": subject, "body": body})
    action = request.POST.get("action", "preview")
    base_url = request_base_url(request)
    if request.method == "POST" and action == "reset":
        programme_email_reset(actor=request.user, programme=programme, kind=kind)
        messages.success(request, "Back to the default wording.")
        return redirect("programmes:email", pk=pk, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if action == "save":
                programme_email_save(
                    actor=request.user, programme=programme, kind=kind, subject=data["subject"], body=data["body"]
                )
                messages.success(request, "Saved. New emails use this wording.")
                return redirect("programmes:email", pk=pk, kind=kind)
            if action == "test":
                address = programme_email_test(
                    actor=request.user,
                    programme=programme,
                    kind=kind,
                    subject=data["subject"],
                    body=data["body"],
                    base_url=base_url,
                )
                messages.success(request, f"Sent a test to {address}.")
        except ProgrammeRuleBroken as error:
            _apply_rule_error(form, error)
    shown_subject, shown_body = (
        (form.cleaned_data["subject"], form.cleaned_data["body"])
        if form.is_bound and form.is_valid()
        else (subject, body)
    )
    rendered = None
    if not form.errors:
        rendered = email_render(
            kind,
            subject=shown_subject,
            body=shown_body,
            values=sample_values(programme, actor=request.user, kind=kind, base_url=base_url),
        )
    context = {
        "programme": programme,
        "kind": kind,
        "label": EmailKind(kind).label,
        "form": form,
        "rendered": rendered,
        "placeholders": EMAILS[kind].placeholders.items(),
        "preview_as": EMAILS[kind].preview_as,
        "own": ProgrammeEmail.objects.filter(programme=programme, kind=kind).exists(),
    }
    return render(request, "programmes/email.html", context, status=400 if form.errors else 200)


# Starting from another programme -----------------------------------------------------------------


@login_required
def programme_copy_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A new programme with another's settings and email wording (the dates cleared, to set anew)."""
    source = managed_programme_or_404(request, pk)
    initial = {name: getattr(source, name) for name in PROGRAMME_FORM_FIELDS} | {
        "name": f"{source.name} (copy)",
        "starts_on": None,
        "ends_on": None,
        "enrolment_closes_on": None,
    }
    form = ProgrammeForm(request.POST or None, initial=initial, kind=source.kind)
    if request.method == "POST" and form.is_valid():
        # Settings the form does not show for the kind keep the source's value (programme_copy reads them).
        values = {name: value for name, value in form.values().items() if name != "name"}
        try:
            programme = programme_copy(actor=request.user, source=source, name=form.cleaned_data["name"], **values)
        except ProgrammeRuleBroken as error:
            _apply_rule_error(form, error)
        else:
            messages.success(request, f"Created “{programme.name}” from “{source.name}”, with its email wording.")
            return redirect("programmes:detail", pk=programme.pk)
    return render(
        request,
        "programmes/form.html",
        {
            "form": form,
            "title": f"New programme from {source.name}",
            "kind_label": source.get_kind_display(),
            "copy_of": source,
        },
        status=400 if form.errors else 200,
    )
