from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "twofold.demo"
    label = "demo"
    verbose_name = "Demo"
