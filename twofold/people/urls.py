from __future__ import annotations

from django.urls import path

from twofold.people import views

app_name = "people"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.person_page, name="person"),
    path("import/", views.import_people, name="import"),
    path("me/skills/", views.my_skills, name="my_skills"),
    path("me/self-identification/", views.my_self_identification, name="my_self_identification"),
    path(
        "me/self-identification/withdraw/",
        views.my_self_identification_withdraw,
        name="my_self_identification_withdraw",
    ),
    path("me/delegate/", views.delegate_choose, name="delegate_choose"),
    path("me/delegate/remove/", views.delegate_remove, name="delegate_remove"),
    path("import/confirm/", views.import_people_confirm, name="import_confirm"),
    path("import/cancel/", views.import_people_cancel, name="import_cancel"),
    path("import/template.csv", views.import_people_template, name="import_template"),
]
