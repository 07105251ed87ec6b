from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "twofold.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from twofold.accounts import signals  # noqa: F401  (connects the sign-in receivers)
        from twofold.accounts.permissions import register_rules

        register_rules()
