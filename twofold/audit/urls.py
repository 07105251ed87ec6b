from __future__ import annotations

from django.urls import path

from twofold.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
]
