from __future__ import annotations

from django.apps import AppConfig


class ReportJobsConfig(AppConfig):
    name = "twofold.insights.report_jobs"
    label = "report_jobs"
    verbose_name = "Insights reports"

    def ready(self) -> None:
        from twofold.insights.report_jobs.permissions import register_rules

        register_rules()
