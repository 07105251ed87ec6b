from __future__ import annotations

from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "twofold.programmes"
    label = "programmes"
    verbose_name = "Programmes"
