from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "twofold.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from twofold.audit import receivers  # noqa: F401  (connects the permission and sign-in receivers)
        from twofold.audit.permissions import register_rules

        register_rules()
