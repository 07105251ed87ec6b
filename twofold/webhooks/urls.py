from __future__ import annotations

from django.urls import path

from twofold.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_new, name="new"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/test/", views.subscription_test, name="test"),
    path("<int:pk>/active/", views.subscription_active, name="active"),
    path("<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("<int:pk>/secret/", views.subscription_rotate, name="rotate"),
    path("<int:pk>/deliveries/<uuid:delivery_id>/resend/", views.delivery_resend_view, name="resend"),
]
