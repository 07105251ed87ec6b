from __future__ import annotations

from django.urls import re_path

from twofold.scim.views import scim_endpoint

app_name = "scim"

urlpatterns = [
    re_path(r"^(?P<path>/.*)?$", scim_endpoint, name="endpoint"),
]
