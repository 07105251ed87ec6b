"""The people directory and person pages (HTML, progressively enhanced with htmx)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from twofold.accounts import permissions
from twofold.paging import page_by_ids
from twofold.people.directory_html import directory_rows_html
from twofold.people.forms import DelegateForm, ImportConfirmForm, PeopleImportForm, SelfIdentificationForm
from twofold.people.hris_presets import PRESETS
from twofold.people.import_jobs import (
    ImportJobRuleBroken,
    import_job_queue,
    import_job_retry,
    import_runs_in_background,
)
from twofold.people.import_services import (
    DeactivationNotConfirmed,
    ImportNotPermitted,
    deactivation_plan,
    people_import_bytes,
)
from twofold.people.import_template import COLUMN_GUIDE, template_csv
from twofold.people.import_uploads import import_upload_discard, import_upload_read, import_upload_save
from twofold.people.models import ImportJob, Person, PersonSkill, Skill
from twofold.people.selectors import (
    DirectoryFilters,
    career_history,
    colleague_by_reference,
    delegate_of,
    delegating_to,
    directory_count,
    directory_filter_options,
    directory_rows,
    person_directory,
    person_profile,
    person_reporting_chain,
    person_self_identification,
)
from twofold.people.self_identification import (
    CONSENT_TEXT,
    Answers,
    SelfIdentificationRefused,
    self_identification_set,
    self_identification_withdraw,
)
from twofold.people.services import DelegationRefused, SkillChoice, delegation_set, person_skills_set
from twofold.people.tabular import FileRejected

PAGE_SIZE = 50


def _filters_from(request: HttpRequest, *, talent_flags: bool, leavers: bool) -> DirectoryFilters:
    query = request.GET
    level_text = query.get("level", "").strip()
    high_potential = query.get("high_potential", "")
    return DirectoryFilters(
        search=query.get("q", "").strip()[:100],
        department=query.get("department", "").strip(),
        location=query.get("location", "").strip(),
        level=int(level_text) if re.fullmatch(r"[0-9]{1,2}", level_text) else None,
        high_potential=(high_potential == "yes") if talent_flags and high_potential in ("yes", "no") else None,
        # Who may not list leavers gets the active list, whatever the address asks for.
        include_inactive=leavers and query.get("inactive") == "yes",
    )


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    permissions.authorize(request.user, "directory.view")
    talent_flags = permissions.allowed(request.user, "people.view_talent_flags")
    leavers = permissions.allowed(request.user, "people.list_leavers")
    filters = _filters_from(request, talent_flags=talent_flags, leavers=leavers)
    # The page's ids from the (active, name, employee_id, id) index, then its 50 people with their managers.
    people = person_directory(filters)
    page = page_by_ids(
        people,
        PAGE_SIZE,
        request.GET.get("page"),
        count=directory_count(filters),
        read=lambda ids: directory_rows(people, ids),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows_html": directory_rows_html(page.object_list, talent_flags=talent_flags),
        "filters": filters,
        "query_string": query.urlencode(),
        "talent_flags": talent_flags,
        "leavers": leavers,
    }
    if request.htmx and request.htmx.target == "directory-results":  # type: ignore[attr-defined]
        return render(request, "people/partials/directory_results.html", context)
    context["options"] = directory_filter_options()
    return render(request, "people/directory.html", context)


@login_required
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone who may not see this person gets the answer an unknown id gets, after the same one
    # query; only then is the whole profile read.
    found = Person.objects.filter(pk=pk).first()
    if found is None or not permissions.allowed(request.user, "people.view", found):
        raise Http404("No such person.")
    person = person_profile(pk)
    skills = list(person.skills.all())
    is_me = request.user.person_id == person.pk  # type: ignore[union-attr]
    context = {
        "person": person,
        "chain": person_reporting_chain(person),
        "reports": list(person.reports.all()[:50]),
        "teaching": [skill for skill in skills if skill.can_teach],
        "learning": [skill for skill in skills if skill.wants_to_learn],
        "other_skills": [skill for skill in skills if not skill.can_teach and not skill.wants_to_learn],
        "events": career_history(person)
        if permissions.allowed(request.user, "people.view_career_history", person)
        else [],
        "talent_flags": permissions.allowed(request.user, "people.view_talent_flags"),
        "self_identification": (
            person_self_identification(person)
            if permissions.allowed(request.user, "people.view_restricted", person)
            else None
        ),
        "is_me": is_me,
    }
    if is_me:
        context.update(delegate=delegate_of(person), delegating_to=delegating_to(person), delegate_form=DelegateForm())
    return render(request, "people/person.html", context)


def _my_own_person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees have a page of their own.")
    return person


@login_required
@require_POST
def delegate_choose(request: HttpRequest) -> HttpResponse:
    """Name the colleague who decides my direct reports' applications as I would."""
    person = _my_own_person(request)
    form = DelegateForm(request.POST)
    colleague = colleague_by_reference(form.cleaned_data["colleague"]) if form.is_valid() else None
    if colleague is None:
        messages.error(request, "No colleague who is still with the organisation has that email or employee id.")
        return redirect(reverse("people:person", args=[person.pk]) + "#delegate")
    try:
        delegation_set(actor=request.user, manager=person, delegate=colleague)
    except DelegationRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{colleague.name} now decides your direct reports' applications with you.")
    return redirect(reverse("people:person", args=[person.pk]) + "#delegate")


@login_required
@require_POST
def delegate_remove(request: HttpRequest) -> HttpResponse:
    """Stop my delegate deciding my direct reports' applications."""
    person = _my_own_person(request)
    delegation_set(actor=request.user, manager=person, delegate=None)
    messages.success(request, "You have no delegate now: your direct reports' applications come to you alone.")
    return redirect(reverse("people:person", args=[person.pk]) + "#delegate")


IMPORT_SESSION_KEY = "pending_people_import"


def _take_pending_import(request: HttpRequest) -> dict[str, Any] | None:
    """The file this user checked and has not yet confirmed or cancelled (no longer pending after this)."""
    return request.session.pop(IMPORT_SESSION_KEY, None)


@login_required
def import_people(request: HttpRequest) -> HttpResponse:
    """Upload an HRIS export, see every problem or what would change, then confirm."""
    permissions.authorize(request.user, "people.import")
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "form": form,
        "presets": PRESETS,
        "columns": COLUMN_GUIDE,
        # Large imports run on a worker: their pages stay reachable from here once left.
        "recent_jobs": list(ImportJob.objects.order_by("-created_at", "-pk")[:5]),
        "background_rows": settings.IMPORT_BACKGROUND_ROWS,
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        previous = _take_pending_import(request)
        if previous:
            import_upload_discard(previous["path"])
        path = import_upload_save(actor=request.user, name=upload.name, chunks=upload.chunks())
        options = {"preset": form.cleaned_data["preset"], "full": form.cleaned_data["full"]}
        context.update(file_name=upload.name, options=options)
        try:
            result = people_import_bytes(
                path.read_bytes(), name=upload.name, actor=request.user, dry_run=True, **options
            )
        except FileRejected as rejected:
            import_upload_discard(path)
            context["problems"] = rejected.problems
            return render(request, "people/import.html", context, status=400)
        except ImportNotPermitted as refused:
            import_upload_discard(path)
            context["refusal"] = str(refused)
            return render(request, "people/import.html", context, status=403)
        context.update(
            result=result,
            updated_preview=list(result.updated.items())[:50],
            deactivation=deactivation_plan(result),
            confirm_form=ImportConfirmForm(),
            limit_percent=settings.IMPORT_MAX_DEACTIVATION_PERCENT,
        )
        if result.changed:
            request.session[IMPORT_SESSION_KEY] = {
                "path": str(path),
                "name": upload.name,
                "rows": result.rows,
                **options,
            }
        else:
            import_upload_discard(path)  # nothing to confirm
    return render(request, "people/import.html", context, status=400 if form.errors else 200)


@login_required
@require_safe
def import_people_template(request: HttpRequest) -> HttpResponse:
    """A CSV to start from: Twofold's column names and two example rows (restricted columns only
    for those who may import them)."""
    permissions.authorize(request.user, "people.import")
    with_restricted = permissions.allowed(request.user, "people.import_restricted")
    response = HttpResponse(template_csv(with_restricted=with_restricted), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="twofold-people-template.csv"'
    return response


@login_required
@require_POST
def import_people_confirm(request: HttpRequest) -> HttpResponse:
    permissions.authorize(request.user, "people.import")
    pending = _take_pending_import(request)
    data = import_upload_read(pending["path"]) if pending else None
    if pending is None or data is None:
        messages.error(request, "There is no checked file waiting to be imported. Upload it again.")
        return redirect("people:import")
    confirmation = ImportConfirmForm(request.POST)
    valid = confirmation.is_valid()
    typed = confirmation.cleaned_data.get("deactivations") if valid else None
    context: dict[str, Any] = {"form": PeopleImportForm(), "presets": PRESETS, "file_name": pending["name"]}
    if import_runs_in_background(pending.get("rows", 0)):
        # The worker reads the file; it is deleted when the job ends.
        job = import_job_queue(
            actor=request.user,
            path=pending["path"],
            name=pending["name"],
            preset=pending["preset"],
            full=pending["full"],
            rows=pending.get("rows", 0),
            confirmed_deactivations=typed,
            allow_mass_deactivation=valid and confirmation.cleaned_data["allow_mass_deactivation"],
        )
        return redirect("people:import_job", pk=job.pk)
    try:
        result = people_import_bytes(
            data,
            name=pending["name"],
            actor=request.user,
            preset=pending["preset"],
            full=pending["full"],
            confirm_deactivation=lambda plan: typed == plan.count,
            allow_mass_deactivation=valid and confirmation.cleaned_data["allow_mass_deactivation"],
        )
    except FileRejected as rejected:
        # The directory changed since the check (another import, an admin edit): show the news.
        return render(request, "people/import.html", {**context, "problems": rejected.problems}, status=409)
    except DeactivationNotConfirmed as refused:
        refusal = f"{refused} Nothing was imported; check the file again."
        return render(request, "people/import.html", {**context, "refusal": refusal}, status=400)
    except ImportNotPermitted as refused:
        return render(request, "people/import.html", {**context, "refusal": str(refused)}, status=403)
    finally:
        import_upload_discard(pending["path"])
    messages.success(
        request,
        f"Imported {pending['name']}: {len(result.created)} created, {len(result.updated)} updated, "
        f"{len(result.deactivated)} deactivated."
        + (f" {len(result.reactivated)} reactivated." if result.reactivated else ""),
    )
    return redirect("people:directory")


@login_required
def import_job_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A large import on a worker: rows checked and written, then how it ended. The page may be left."""
    permissions.authorize(request.user, "people.import")
    job = get_object_or_404(ImportJob.objects.select_related("record"), pk=pk)
    template = "people/partials/import_job.html" if request.htmx else "people/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


@login_required
@require_POST
def import_job_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.authorize(request.user, "people.import")
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        import_job_retry(actor=request.user, job=job)
    except ImportJobRuleBroken as refused:
        messages.error(request, f"{refused}.")
    return redirect("people:import_job", pk=pk)


@login_required
@require_POST
def import_people_cancel(request: HttpRequest) -> HttpResponse:
    """Drop the checked file: it is deleted at once, nothing is imported."""
    permissions.authorize(request.user, "people.import")
    pending = _take_pending_import(request)
    if pending:
        import_upload_discard(pending["path"])
        messages.info(request, f"Cancelled: {pending['name']} was deleted and nothing was imported.")
    return redirect("people:import")


PROFICIENCY_CHOICES = [
    ("", "—"),
    ("0", "0 · none"),
    ("1", "1 · beginner"),
    ("2", "2 · working"),
    ("3", "3 · strong"),
    ("4", "4 · expert"),
]


@login_required
def my_skills(request: HttpRequest) -> HttpResponse:
    """Edit my own skills: how well I know each, what I can teach and what I want to learn."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees have a skills profile.")
    catalogue = list(Skill.objects.order_by("category", "name"))
    held = {item.skill_id: item for item in PersonSkill.objects.filter(person=person)}
    problems: list[str] = []
    if request.method == "POST":
        choices = []
        for skill in catalogue:
            level = request.POST.get(f"skill-{skill.pk}-proficiency", "")
            teach = request.POST.get(f"skill-{skill.pk}-teach") == "on"
            learn = request.POST.get(f"skill-{skill.pk}-learn") == "on"
            if level == "" and not teach and not learn:
                continue
            if level not in {"0", "1", "2", "3", "4"}:
                problems.append(f"{skill.name}: choose how well you know it (0–4) to teach or learn it.")
                continue
            choices.append(SkillChoice(skill.pk, int(level), teach, learn))
        if not problems:
            person_skills_set(actor=request.user, person=person, choices=choices)
            messages.success(request, f"Saved your skills ({len(choices)}).")
            return redirect("people:person", pk=person.pk)
    rows_by_category: dict[str, list[dict[str, Any]]] = {}
    for skill in catalogue:
        item = held.get(skill.pk)
        posted = request.method == "POST"
        rows_by_category.setdefault(skill.get_category_display(), []).append(
            {
                "skill": skill,
                "proficiency": request.POST.get(f"skill-{skill.pk}-proficiency", "")
                if posted
                else ("" if item is None else str(item.proficiency)),
                "teach": (request.POST.get(f"skill-{skill.pk}-teach") == "on")
                if posted
                else bool(item and item.can_teach),
                "learn": (request.POST.get(f"skill-{skill.pk}-learn") == "on")
                if posted
                else bool(item and item.wants_to_learn),
            }
        )
    return render(
        request,
        "people/my_skills.html",
        {"groups": rows_by_category, "levels": PROFICIENCY_CHOICES, "problems": problems, "person": person},
        status=400 if problems else 200,
    )


def _my_person(request: HttpRequest) -> Person:
    person = getattr(request.user, "person", None)
    if person is None:
        raise PermissionDenied("Only employees self-identify.")
    return person


@login_required
def my_self_identification(request: HttpRequest) -> HttpResponse:
    """My restricted attributes: given with the consent shown on the form, changed, or withdrawn."""
    person = _my_person(request)
    stored = person_self_identification(person)
    initial = {}
    if stored is not None:
        initial = {name: getattr(stored, name) for name in ("gender", "ethnicity", "birth_year", "disability")}
    form = SelfIdentificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            self_identification_set(
                actor=request.user,
                person=person,
                answers=Answers(data["gender"], data["ethnicity"], data["birth_year"], data["disability"]),
                consent=data["consent"],
            )
        except SelfIdentificationRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Saved your answers. You can change or withdraw them here at any time.")
            return redirect("people:person", pk=person.pk)
    return render(
        request,
        "people/self_identification.html",
        {"form": form, "person": person, "stored": stored, "consent_text": CONSENT_TEXT},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def my_self_identification_withdraw(request: HttpRequest) -> HttpResponse:
    person = _my_person(request)
    had_answers = self_identification_withdraw(actor=request.user, person=person)
    messages.success(
        request,
        "Consent withdrawn: your answers were deleted, and an import will not bring them back."
        if had_answers
        else "Consent withdrawn: there were no answers to delete, and an import will not add any.",
    )
    return redirect("people:person", pk=person.pk)
