from __future__ import annotations

from django.apps import AppConfig


class MatchRunsConfig(AppConfig):
    name = "twofold.matchruns"
    label = "matchruns"
    verbose_name = "Match runs"
