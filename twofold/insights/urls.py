from __future__ import annotations

from django.urls import path, re_path

from twofold.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    re_path(r"^programmes/(?P<pk>[0-9]+)/report\.(?P<fmt>pdf|html|json|csv)$", views.report_download, name="report"),
    re_path(
        r"^programmes/(?P<pk>[0-9]+)/tables/(?P<slug>[a-z0-9-]+)\.(?P<fmt>csv|xlsx)$",
        views.table_download,
        name="table",
    ),
]
