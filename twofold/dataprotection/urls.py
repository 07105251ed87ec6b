from __future__ import annotations

from django.urls import path

from twofold.dataprotection import views

app_name = "dataprotection"
urlpatterns = [
    path("", views.requests_page, name="requests"),
    path("people/<int:pk>/export.json", views.person_export_download, {"fmt": "json"}, name="person_export_json"),
    path("people/<int:pk>/export.html", views.person_export_download, {"fmt": "html"}, name="person_export_html"),
]
