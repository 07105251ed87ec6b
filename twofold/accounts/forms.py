"""Forms of the sign-in and account pages."""

from __future__ import annotations

from django import forms

from twofold.accounts.tokens import SCOPES, SERVICE_ONLY_SCOPES


class CodeForm(forms.Form):
    """A six-digit code from an authenticator app."""

    code = forms.CharField(
        label="Six-digit code",
        max_length=12,
        help_text="From your authenticator app; a new one appears every 30 seconds.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the six digits your authenticator app shows, e.g. 123456.")
        return code


EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year"), ("", "Never")]


def _scope_choices(*, service: bool) -> list[tuple[str, str]]:
    return [
        (name, f"{name} — {description}")
        for name, description in SCOPES.items()
        if service or name not in SERVICE_ONLY_SCOPES
    ]


class PersonalTokenForm(forms.Form):
    """A personal access token: what it is for, what it may do, when it stops working."""

    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “my reporting script”.")
    scopes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="It can do no more than you can, and only these."
    )
    expires_days = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial="90", required=False)

    service = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["scopes"].choices = _scope_choices(service=self.service)  # type: ignore[attr-defined]

    def clean_expires_days(self) -> int | None:
        value = self.cleaned_data.get("expires_days")
        return int(value) if value else None


class ServiceTokenForm(PersonalTokenForm):
    """A service token: also the account the integration acts as."""

    username = forms.CharField(label="Acts as account", max_length=150, help_text="The username it acts as.")
    field_order = ["username", "name", "scopes", "expires_days"]
    service = True
