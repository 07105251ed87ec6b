"""Twofold's URL map mounted under ``x/``: a URL configuration that differs from the site's."""

from django.urls import include, path

urlpatterns = [path("x/", include("twofold.urls"))]
