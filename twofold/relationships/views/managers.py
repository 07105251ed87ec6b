"""The programme managers' health page and concerns queue."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from twofold import audit
from twofold.accounts import permissions
from twofold.paging import page_by_ids
from twofold.programmes.views import PROGRAMME_NAMING, managed_programme_or_404
from twofold.relationships.aggregates import SCORE_FIELDS
from twofold.relationships.errors import RelationshipForbidden, RelationshipRuleBroken
from twofold.relationships.forms import (
    ConcernUpdateForm,
)
from twofold.relationships.health_html import pairs_behind_html
from twofold.relationships.models import (
    CheckInPoint,
    ConcernStatus,
    RelationshipState,
)
from twofold.relationships.selectors import (
    OPEN_CONCERN_STATES,
    concern_programmes,
    concerns_for_managers,
    programme_health,
    relationships_behind_on_meetings,
)
from twofold.relationships.services import (
    concern_update,
)

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


# --- programme managers: health and concerns -------------------------------------------------------


@login_required
@require_safe
def programme_health_view(request: HttpRequest, pk: int) -> HttpResponse:
    """How a programme's pairs are doing, for its managers: aggregates, and the pairs behind on
    meetings (who and since when; never a note, never a check-in answer)."""
    # The page shows the programme's name and its roles' labels (its kind), no more.
    programme = managed_programme_or_404(request, pk, fields=PROGRAMME_NAMING)
    now = timezone.now()
    health = programme_health(programme=programme, now=now)
    # A page of ids first, then the people of that page only: joining the directory to every pair
    # behind on meetings before the LIMIT costs far more than the page shows. The pairs behind are
    # the ones the health figures counted as overdue (the same clock at the same moment): the
    # paginator takes that count rather than counting them again.
    behind = page_by_ids(
        relationships_behind_on_meetings(programme=programme, now=now),
        HEALTH_PAGE_SIZE,
        request.GET.get("page"),
        count=health.overdue_meetings,
    )
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
            "pairs_html": pairs_behind_html(behind.object_list),
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
    programmes = list(concern_programmes(request.user))
    chosen = request.GET.get("programme", "")
    # Only a programme offered is a filter: anything else (a typo, a programme not managed) shows all.
    programme = next((programme for programme in programmes if str(programme.pk) == chosen), None)
    concerns = concerns_for_managers(
        request.user, statuses=CONCERN_FILTERS[show][1], programme_id=programme.pk if programme else None
    )
    page = Paginator(concerns, CONCERNS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {"show": show, **({"programme": str(programme.pk)} if programme else {})}
    # Concerns are about named colleagues: every page of them read is recorded, with which ones.
    audit.record(
        "concerns.view",
        target_type="concern",
        target_label=f"{CONCERN_FILTERS[show][0]}{f', {programme.name}' if programme else ''}, page {page.number}",
        detail={"concerns": [concern.pk for concern in page.object_list]},
    )
    return render(
        request,
        "relationships/concerns.html",
        {
            "page": page,
            "show": show,
            "filters": [(value, label) for value, (label, _) in CONCERN_FILTERS.items()],
            "programmes": programmes,
            "programme": programme,
            "query_string": urlencode(query),
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
