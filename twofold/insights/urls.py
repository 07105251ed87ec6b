from __future__ import annotations

from django.urls import path

from twofold.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
]
