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
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("enrolments/<int:pk>/decline/", views.decline_invitation, name="decline_invitation"),
    path("enrolments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("enrolments/<int:pk>/approve/", views.approve, name="approve"),
]
