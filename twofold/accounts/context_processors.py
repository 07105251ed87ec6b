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
            "directory": permissions.can_view_directory(user),
            "admin": permissions.can_administer(user),
            "audit": permissions.can_administer(user),
            "import_people": permissions.can_import_people(user),
            "programmes": permissions.can_create_programmes(user),
            "overview": permissions.can_see_overview(user),
            "concerns": permissions.can_handle_concerns(user),
            "my_profile_id": user.person_id,
        }
    }
