from __future__ import annotations

from django.urls import path

from twofold.relationships import views

app_name = "relationships"
urlpatterns = [
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
]
