from __future__ import annotations

from django.urls import path

from twofold.matchruns import views

# Under /programmes/<pk>/runs/: a programme's match runs, reviewed by its managers.
app_name = "matchruns"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("start/", views.run_start, name="start"),
    path("latest/", views.run_board, {"run_id": "latest"}, name="latest"),
    path("<int:run_id>/", views.run_board, name="board"),
    path("<int:run_id>/change/", views.run_change, name="change"),
    path("<int:run_id>/rerun/", views.run_rerun, name="rerun"),
    path("<int:run_id>/publish/", views.run_publish, name="publish"),
]
