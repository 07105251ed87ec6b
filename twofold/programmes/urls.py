from __future__ import annotations

from django.urls import path

from twofold.programmes import views

app_name = "programmes"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/<str:kind>/", views.programme_new, name="new"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/edit/", views.programme_edit, name="edit"),
    path("<int:pk>/state/", views.programme_move, name="move"),
    path("<int:pk>/enrolments/", views.enrolment_list, name="enrolments"),
    path("<int:pk>/runs/", views.run_list, name="runs"),
    path("<int:pk>/runs/start/", views.run_start, name="run_start"),
    path("<int:pk>/runs/latest/", views.run_board, {"run_id": "latest"}, name="run_latest"),
    path("<int:pk>/runs/<int:run_id>/", views.run_board, name="run"),
    path("<int:pk>/runs/<int:run_id>/change/", views.run_change, name="run_change"),
    path("<int:pk>/runs/<int:run_id>/rerun/", views.run_rerun, name="run_rerun"),
    path("<int:pk>/runs/<int:run_id>/publish/", views.run_publish, name="run_publish"),
    path("mine/", views.my_programmes, name="mine"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("enrolments/<int:pk>/decline/", views.decline_invitation, name="decline_invitation"),
    path("enrolments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("enrolments/<int:pk>/approve/", views.approve, name="approve"),
]
