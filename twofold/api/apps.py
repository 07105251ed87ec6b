from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "twofold.api"
    label = "api"
    verbose_name = "REST API"
