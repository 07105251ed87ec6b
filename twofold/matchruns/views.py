"""The match review pages of a programme's managers: runs, the review board (why each pair, the
unmatched and why, lock / remove / swap), re-run, publish."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from twofold.confirmation import confirmation_page, confirmed
from twofold.matchruns.board_html import board_rows_html
from twofold.matchruns.models import NEWEST_FIRST, MatchRun, MatchRunStatus, Proposal
from twofold.matchruns.publishing import match_run_publish_start
from twofold.matchruns.review import (
    match_run_rerun,
    match_run_rerun_refusal,
    proposal_lock,
    proposal_remove,
    proposal_swap,
)
from twofold.matchruns.selectors import RUN_IN_PROGRESS, latest_run, match_run_board, run_publication
from twofold.matchruns.services import MatchRunRuleBroken, match_run_refusal, match_run_start
from twofold.plain_text import counted
from twofold.programmes.models import Programme
from twofold.programmes.views import managed_programme_or_404


def _rule_message(error: Exception) -> str:
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@login_required
def run_list(request: HttpRequest, pk: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    runs = list(programme.match_runs.annotate(pairs=Count("proposals")).order_by(*NEWEST_FIRST)[:50])
    refusal = match_run_refusal(programme)
    return render(
        request,
        "matchruns/runs.html",
        {
            "programme": programme,
            "runs": runs,
            "can_run": refusal is None,
            "run_refusal": _rule_message(refusal) if refusal else "",
        },
    )


@login_required
@require_POST
def run_start(request: HttpRequest, pk: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    try:
        run = match_run_start(actor=request.user, programme=programme)
    except MatchRunRuleBroken as error:
        messages.error(request, _rule_message(error))
        return redirect("matchruns:list", pk=pk)
    if run.status == MatchRunStatus.QUEUED:
        messages.info(request, "The pool is large: a background worker matches it. This page follows its progress.")
    return redirect("matchruns:board", pk=pk, run_id=run.pk)


def _board_context(request: HttpRequest, programme: Programme, run: MatchRun) -> dict[str, Any]:
    search = request.GET.get("q", "").strip()[:100]
    board = match_run_board(run, page=request.GET.get("page"), unmatched_page=request.GET.get("upage"), search=search)
    query = request.GET.copy()
    query.pop("page", None)
    # "Re-run" is offered by the rule match_run_rerun applies; its reason is shown where it is refused.
    rerun_refusal = match_run_rerun_refusal(run)
    return {
        "programme": programme,
        "run": run,
        "board": board,
        "board_rows": board_rows_html(
            board.rows, ready=run.status == MatchRunStatus.READY, published=run.published_at is not None
        ),
        "search": search,
        "query_string": query.urlencode(),
        "can_rerun": rerun_refusal is None,
        "rerun_refusal": _rule_message(rerun_refusal) if rerun_refusal else "",
    }


@login_required
def run_board(request: HttpRequest, pk: int, run_id: int | str) -> HttpResponse:
    """The match review board: why each pair, the unmatched and why, lock / remove / swap, publish."""
    programme = managed_programme_or_404(request, pk)
    if run_id == "latest":
        run = latest_run(programme.pk)
    else:
        run = MatchRun.objects.filter(programme=programme, pk=run_id).first()
    if run is None:
        raise Http404("No such match run")
    run.programme = programme  # the same row, read once
    if request.htmx and request.htmx.target == "run-status":  # type: ignore[attr-defined]
        if run.status in RUN_IN_PROGRESS:
            return render(request, "matchruns/partials/run_status.html", {"programme": programme, "run": run})
        if run.status == MatchRunStatus.PUBLISHING:
            context = {"programme": programme, "run": run, "publication": run_publication(run)}
            return render(request, "matchruns/partials/publish_status.html", context)
        # Finished: reload the whole board (htmx follows HX-Redirect).
        response = HttpResponse(status=204)
        response["HX-Redirect"] = request.path
        return response
    return render(request, "matchruns/run.html", _board_context(request, programme, run))


def _board_response(request: HttpRequest, programme: Programme, run: MatchRun) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        # The page head's actions come along out of band: "Publish N proposals" counts the board's pairs.
        context = {**_board_context(request, programme, run), "actions_oob": True}
        return render(request, "matchruns/partials/board.html", context)
    return redirect("matchruns:board", pk=programme.pk, run_id=run.pk)


@login_required
@require_POST
def run_change(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    """Lock, unlock, remove or swap pairs of a run under review; every rule is checked again."""
    programme = managed_programme_or_404(request, pk)
    run = get_object_or_404(MatchRun, pk=run_id, programme=programme)
    # A row's own button sends "lock:12"; the swap button sends action=swap with two ticked pairs.
    action, _, row = request.POST.get("row", "").partition(":")
    chosen = [row] if row else request.POST.getlist("proposal")
    action = action or request.POST.get("action", "")
    ids = list(dict.fromkeys(int(value) for value in chosen if re.fullmatch(r"[0-9]{1,12}", value)))
    proposals = {p.pk: p for p in Proposal.objects.filter(run=run, pk__in=ids)}
    try:
        if action in ("lock", "unlock", "remove"):
            if len(proposals) != 1:
                raise MatchRunRuleBroken("choose one pair", code="choose_one")
            [proposal] = proposals.values()
            if action == "remove":
                proposal_remove(actor=request.user, proposal=proposal)
                messages.success(request, "Removed the pair; both people are now listed as unmatched.")
            else:
                proposal_lock(actor=request.user, proposal=proposal, locked=action == "lock")
                messages.success(request, "Locked: a re-run keeps this pair." if action == "lock" else "Unlocked.")
        elif action == "swap":
            # A stale tab may send pairs that no longer exist: only the ones still in the run count.
            picked = [proposals[pk] for pk in ids if pk in proposals]
            if len(picked) != 2:
                raise MatchRunRuleBroken("tick exactly two pairs to swap their partners", code="choose_two")
            first, second = picked
            proposal_swap(actor=request.user, first=first, second=second)
            messages.success(request, "Swapped: both new pairs pass every rule and are scored again.")
        else:
            raise MatchRunRuleBroken("unknown action", code="unknown_action")
    except MatchRunRuleBroken as error:
        messages.error(request, _rule_message(error))
    return _board_response(request, programme, run)


@login_required
@require_POST
def run_rerun(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    run = get_object_or_404(MatchRun, pk=run_id, programme=programme)
    try:
        new_run = match_run_rerun(actor=request.user, run=run)
    except MatchRunRuleBroken as error:
        messages.error(request, _rule_message(error))
        return redirect("matchruns:board", pk=pk, run_id=run_id)
    messages.success(request, "Matched again around the locked pairs.")
    return redirect("matchruns:board", pk=pk, run_id=new_run.pk)


@login_required
@require_POST
def run_publish(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    programme = managed_programme_or_404(request, pk)
    run = get_object_or_404(MatchRun, pk=run_id, programme=programme)
    if run.status == MatchRunStatus.READY and not confirmed(request):
        # Publishing asks everyone in the run at once: confirmed first (finishing a publication is not).
        proposals = counted(run.proposals.count(), "proposal")
        return confirmation_page(
            request,
            title=f"Publish {proposals}?",
            question=f"Publishing sends {proposals} at once, each to both people in it.",
            details=["A published proposal cannot be taken back: each person answers it, or it expires."],
            confirm_label=f"Yes, publish {proposals}",
            cancel_url=reverse("matchruns:board", kwargs={"pk": pk, "run_id": run_id}),
        )
    try:
        run = match_run_publish_start(actor=request.user, run=run)
    except MatchRunRuleBroken as error:
        messages.error(request, _rule_message(error))
        return _to_board(request, pk, run_id)
    if run.status == MatchRunStatus.PUBLISHING:
        messages.info(request, "A background worker sends the proposals; this page follows its progress.")
        return _to_board(request, pk, run_id)
    decided = Proposal.objects.filter(run=run).select_related("mentor__person", "mentee__person").order_by("pk")
    proposed = decided.filter(relationship__isnull=False).count()
    messages.success(request, f"Published: {counted(proposed, 'proposal')} sent, each to both people in it.")
    for proposal in decided.exclude(skipped_reason="")[:10]:
        messages.warning(
            request,
            f"Not sent: {proposal.mentor.person.name} and {proposal.mentee.person.name}. {proposal.skipped_reason}",
        )
    return _to_board(request, pk, run_id)


def _to_board(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    """Back to the board: htmx (a confirmed dialog) is told to load it, a plain form is redirected."""
    url = reverse("matchruns:board", kwargs={"pk": pk, "run_id": run_id})
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(url)
    return redirect(url)
