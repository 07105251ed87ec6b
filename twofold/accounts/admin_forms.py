"""The admin's forms check what the services check: dates inside Twofold's span and one-line text.

Django's admin saves a model straight from its form, past the services. So every admin form (and
inline form) mixes in :class:`CheckedAdminForm`, which applies to each field the rule a service or
an import applies to the same value, not a copy of it: :func:`twofold.dates.date_out_of_range` to
every date and time, :func:`twofold.plain_text.control_character_problem` to every text (line breaks
allowed only where the field is a multi-line text area). Register a model with
:class:`CheckedModelAdmin` (or set a form that mixes this in); tests/accounts/test_admin_forms.py
fails for any registered admin that does not.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.forms import ReadOnlyPasswordHashField

from twofold.accounts import permissions
from twofold.dates import date_out_of_range
from twofold.plain_text import control_character_problem


class CheckedAdminForm(forms.BaseForm):
    """Refuses, field by field, a date outside 1900–2100 and text holding control characters."""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name, value in list(data.items()):
            field = self.fields.get(name)
            if field is None or isinstance(field, ReadOnlyPasswordHashField):
                continue
            if isinstance(value, date):
                if problem := date_out_of_range(value, what="the date"):
                    self.add_error(name, f"{problem[:1].upper()}{problem[1:]}.")
            elif isinstance(value, str) and not isinstance(field.widget, forms.PasswordInput):
                multi_line = isinstance(field.widget, forms.Textarea)
                if problem := control_character_problem(value, allow_line_breaks=multi_line):
                    self.add_error(name, f"This {problem}.")
        return data


class CheckedModelForm(CheckedAdminForm, forms.ModelForm):
    """The default form of :class:`CheckedModelAdmin` and :class:`CheckedInline`."""


class CheckedModelAdmin(admin.ModelAdmin):
    form: type[forms.ModelForm] = CheckedModelForm


class ReadOnlyAdmin(CheckedModelAdmin):
    """Rows shown to whoever ``view_action`` allows and never added or changed in the admin; deleted
    only where ``deletable`` (and by the same people)."""

    view_action = "accounts.administer"
    deletable = False

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return permissions.allowed(request.user, self.view_action)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return self.deletable and self.has_view_permission(request, obj)


class CheckedTabularInline(admin.TabularInline):
    form: type[forms.ModelForm] = CheckedModelForm
