from __future__ import annotations

from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "twofold.dataprotection"
    label = "dataprotection"
    verbose_name = "Data protection"
