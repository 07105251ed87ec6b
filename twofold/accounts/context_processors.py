"""What the navigation bar offers the signed-in user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from twofold.accounts import permissions


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav": {
            "directory": permissions.allowed(user, "directory.view"),
            "admin": permissions.allowed(user, "accounts.administer"),
            "audit": permissions.allowed(user, "accounts.administer"),
            "import_people": permissions.allowed(user, "people.import"),
            "programmes": permissions.allowed(user, "programmes.create"),
            "overview": permissions.allowed(user, "overview.view"),
            "concerns": permissions.allowed(user, "concerns.list"),
            "my_profile_id": user.person_id,
        }
    }
