"""Signing in and the page each role lands on."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from twofold.accounts import permissions


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Employees land on their own profile; roles without a profile on the page they work from."""
    user = request.user
    if user.person_id and not (user.is_programme_manager or user.is_superuser or user.is_executive):  # type: ignore[union-attr]
        return redirect("relationships:mine")
    if user.is_executive and not (user.is_programme_manager or user.is_superuser):  # type: ignore[union-attr]
        return redirect("insights:overview")
    if user.is_programme_manager or user.is_superuser:  # type: ignore[union-attr]
        return redirect("programmes:list")
    if permissions.can_view_directory(user):
        return redirect("people:directory")
    return render(request, "accounts/no_role.html", status=403)
