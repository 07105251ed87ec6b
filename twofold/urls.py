"""Twofold's URL map."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Twofold administration"
admin.site.site_title = "Twofold"

urlpatterns = [
    path("", include("twofold.accounts.urls")),
    path("people/", include("twofold.people.urls")),
    path("programmes/", include("twofold.programmes.urls")),
    path("programmes/<int:pk>/runs/", include("twofold.matchruns.urls")),
    path("insights/", include("twofold.insights.urls")),
    path("admin/", admin.site.urls),
    path("", include("twofold.relationships.urls")),
]
