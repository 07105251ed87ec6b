from __future__ import annotations

from django.apps import AppConfig


class MatchRunsConfig(AppConfig):
    name = "twofold.matchruns"
    label = "matchruns"
    verbose_name = "Match runs"

    def ready(self) -> None:
        from twofold.matchruns.permissions import register_rules
        from twofold.matchruns.review import match_runs_release_leavers
        from twofold.people.leavers import register_leaver_handler

        register_leaver_handler("match runs", match_runs_release_leavers)
        register_rules()
