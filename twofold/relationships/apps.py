from __future__ import annotations

from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "twofold.relationships"
    label = "relationships"
    verbose_name = "Relationships"
