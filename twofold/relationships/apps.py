from __future__ import annotations

from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "twofold.relationships"
    label = "relationships"
    verbose_name = "Relationships"

    def ready(self) -> None:
        from twofold.relationships.holds import register_holds
        from twofold.relationships.leavers import register_leaver_handlers
        from twofold.relationships.meeting_clock import register_meeting_clock
        from twofold.relationships.permissions import register_rules

        register_holds()
        register_leaver_handlers()
        register_meeting_clock()
        register_rules()
