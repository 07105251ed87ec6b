from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "twofold.people"
    label = "people"
    verbose_name = "People directory"

    def ready(self) -> None:
        from twofold.people.permissions import register_rules

        register_rules()
