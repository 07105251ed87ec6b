from __future__ import annotations

from django.urls import path

from twofold.insights import views
from twofold.insights.report_jobs import views as report_jobs

app_name = "insights"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("programmes/<int:pk>/", views.programme, name="programme"),
    path("programmes/<int:pk>/report.<slug:fmt>", views.report_download, name="report"),
    path("programmes/<int:pk>/report/", report_jobs.report_request, name="report_request"),
    path("reports/<int:pk>/", report_jobs.report_job, name="report_job"),
    path("reports/<int:pk>/report.pdf", report_jobs.report_job_download, name="report_job_download"),
    path("programmes/<int:pk>/tables/<slug:slug>.<slug:fmt>", views.table_download, name="table"),
]
