from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "twofold.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from twofold.webhooks import receivers  # noqa: F401  (connects to twofold.events.domain_event)
        from twofold.webhooks.permissions import register_rules

        register_rules()
