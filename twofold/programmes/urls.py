from __future__ import annotations

from django.urls import path

from twofold.programmes import filling_views, views

app_name = "programmes"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/<str:kind>/", views.programme_new, name="new"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/edit/", views.programme_edit, name="edit"),
    path("<int:pk>/state/", views.programme_move, name="move"),
    path("<int:pk>/enrolments/", views.enrolment_list, name="enrolments"),
    path("<int:pk>/enrolments/invite/", filling_views.invite, name="invite"),
    path("<int:pk>/enrolments/add/", filling_views.add_people, name="add"),
    path("<int:pk>/enrolments/add/file/", filling_views.add_people_file, name="add_file"),
    path("<int:pk>/emails/", filling_views.email_list, name="emails"),
    path("<int:pk>/emails/<str:kind>/", filling_views.email_edit, name="email"),
    path("<int:pk>/copy/", filling_views.programme_copy_view, name="copy"),
    path("<int:pk>/apply/", views.apply, name="apply"),
    path("enrolments/<int:pk>/decline/", views.decline_invitation, name="decline_invitation"),
    path("enrolments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("enrolments/<int:pk>/approve/", views.approve, name="approve"),
]
