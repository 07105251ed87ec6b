from __future__ import annotations

from django.urls import path

from twofold.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("refresh/", views.refresh, name="refresh"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    path("programmes/<int:pk>/refresh/", views.programme_refresh, name="programme_refresh"),
    path("programmes/<int:pk>/report.<slug:fmt>", views.report_download, name="report"),
    path("programmes/<int:pk>/tables/<slug:slug>.<slug:fmt>", views.table_download, name="table"),
]
