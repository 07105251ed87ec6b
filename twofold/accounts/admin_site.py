"""Django's admin, asking for the second factor like every other page (installed by ``admin_app``)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from twofold.accounts.two_factor import second_factor_due


class TwofoldAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # The middleware already sends such a user to the code page; the admin does not rely on it.
        return super().has_permission(request) and second_factor_due(request) is None
