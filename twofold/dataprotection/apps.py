from __future__ import annotations

from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "twofold.dataprotection"
    label = "dataprotection"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from twofold.dataprotection.permissions import register_rules

        register_rules()
