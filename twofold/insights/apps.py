from __future__ import annotations

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "twofold.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from twofold.insights.permissions import register_rules

        register_rules()
