from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "twofold.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from twofold.operations.recovery import register_sweep
        from twofold.webhooks import receivers  # noqa: F401  (connects to twofold.events.domain_event)
        from twofold.webhooks.permissions import register_rules
        from twofold.webhooks.services import webhooks_sweep

        register_rules()
        # Every worker's heartbeat: deliveries whose task was never queued, queued again.
        register_sweep("webhooks", webhooks_sweep)
