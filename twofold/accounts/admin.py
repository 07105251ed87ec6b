from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group

from twofold.accounts.admin_forms import CheckedAdminForm, CheckedModelForm
from twofold.accounts.models import User


class CheckedUserChangeForm(CheckedAdminForm, UserChangeForm):
    pass


class CheckedUserCreationForm(CheckedAdminForm, AdminUserCreationForm):
    pass


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = CheckedUserChangeForm
    add_form = CheckedUserCreationForm
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


# Django registers groups with a plain form; Twofold's checks every field like the rest.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    form = CheckedModelForm
