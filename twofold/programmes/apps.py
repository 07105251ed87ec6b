from __future__ import annotations

from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "twofold.programmes"
    label = "programmes"
    verbose_name = "Programmes"

    def ready(self) -> None:
        from twofold.programmes.permissions import register_rules

        register_rules()
