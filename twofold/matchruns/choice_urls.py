from __future__ import annotations

from django.urls import path

from twofold.matchruns import choice_views

# Under /programmes/<pk>/choose/: a mentee or protégé of a participant-choice programme chooses a partner.
app_name = "choice"
urlpatterns = [
    path("", choice_views.choose_partner, name="partners"),
]
