"""Twofold's URL map."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from twofold.api.api import api

# A database out of reach answers 503 with Retry-After rather than 500 (twofold.operations.errors).
handler500 = "twofold.operations.errors.server_error"

admin.site.site_header = "Twofold administration"
admin.site.site_title = "Twofold"

urlpatterns = [
    path("", include("twofold.accounts.urls")),
    path("people/", include("twofold.people.urls")),
    path("programmes/", include("twofold.programmes.urls")),
    path("programmes/<int:pk>/runs/", include("twofold.matchruns.urls")),
    path("programmes/<int:pk>/choose/", include("twofold.matchruns.choice_urls")),
    path("insights/", include("twofold.insights.urls")),
    # The aggregate overview moved to Insights; old bookmarks follow it.
    path("overview/", RedirectView.as_view(pattern_name="insights:overview", permanent=True), name="overview_moved"),
    path("api/v1/", api.urls),
    path("audit/", include("twofold.audit.urls")),
    path("data-requests/", include("twofold.dataprotection.urls")),
    path("sso/", include("twofold.sso.urls")),
    path("integrations/webhooks/", include("twofold.webhooks.urls")),
    path("admin/", admin.site.urls),
    path("scim/v2/", include("twofold.scim.urls")),
    path("", include("twofold.relationships.urls")),
]
