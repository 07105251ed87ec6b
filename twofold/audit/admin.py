from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from twofold.accounts.admin_forms import ReadOnlyAdmin
from twofold.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log, read-only and for org admins only: entries are never added, changed or deleted here."""

    list_display = ("at", "actor_name", "action", "allowed", "target_type", "target_label", "channel", "ip_address")
    list_filter = ("allowed", "channel", "actor_kind", "target_type")
    search_fields = ("actor_name", "action", "target_label", "target_id")
    date_hierarchy = "at"
    list_per_page = 50
    show_full_result_count = False
    view_action = "audit.search"

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}
