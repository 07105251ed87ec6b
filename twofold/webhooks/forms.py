"""The new-webhook form: it only parses; the rules (URL, events, who may receive what) are the service's."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from twofold.events import EVENTS
from twofold.webhooks.models import Preset, Subscription


class SubscriptionForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where it goes, e.g. “#mentoring on Slack”.")
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="The endpoint Twofold posts to: https:// (or http://).",
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    preset = forms.ChoiceField(choices=Preset.choices, initial=Preset.GENERIC, help_text="How the body is shaped.")
    events = forms.MultipleChoiceField(
        choices=[(event.name, f"{event.name}: {event.description}") for event in EVENTS.values()],
        widget=forms.CheckboxSelectMultiple,
    )
    admins_only = forms.BooleanField(
        required=False,
        label="Only org admins read what arrives there",
        help_text="Required for concern.raised, which goes nowhere else.",
    )


class SubscriptionEditForm(SubscriptionForm):
    active = forms.BooleanField(
        required=False, label="Active", help_text="Untick to stop sending (retries waiting are cancelled)."
    )

    @classmethod
    def of(cls, subscription: Subscription, data: QueryDict | None = None) -> SubscriptionEditForm:
        initial = {
            "name": subscription.name,
            "url": subscription.url,
            "preset": subscription.preset,
            "events": subscription.events,
            "admins_only": subscription.admins_only,
            "active": subscription.active,
        }
        return cls(data, initial=initial)


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "enable"), ("0", "disable")], coerce=lambda value: value == "1")
