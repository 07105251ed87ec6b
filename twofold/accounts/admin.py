from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from twofold.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "person",
        "is_programme_manager",
        "is_executive",
        "is_superuser",
        "is_active",
    )
    list_filter = ("is_programme_manager", "is_executive", "is_superuser", "is_active")
    raw_id_fields = ("person",)
    list_select_related = ("person",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Twofold", {"fields": ("person", "is_programme_manager", "is_executive")}),
    )
