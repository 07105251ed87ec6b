"""``/scim/v2``: one view (scim2-server's handler) behind every path, each named for the route matrix."""

from __future__ import annotations

from django.urls import path, re_path

from twofold.scim.views import scim_endpoint

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", scim_endpoint, name="service_provider_config"),
    path("ResourceTypes", scim_endpoint, name="resource_types"),
    path("Schemas", scim_endpoint, name="schemas"),
    path("Users", scim_endpoint, name="users"),
    path("Users/<str:resource_id>", scim_endpoint, name="user"),
    path("Groups", scim_endpoint, name="groups"),
    path("Groups/<str:resource_id>", scim_endpoint, name="group"),
    # The rest (one schema or resource type, /.search, /Bulk, /Me, unknown paths): scim2-server
    # routes them, or answers with a SCIM error.
    re_path(r"^(?P<rest>.+)?$", scim_endpoint, name="other"),
]
