"""Django's admin app on Twofold's site class; kept apart from the site, which needs models loaded."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class TwofoldAdminConfig(AdminConfig):
    default_site = "twofold.accounts.admin_site.TwofoldAdminSite"
