"""Forms of the people pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms

from twofold.people.hris_presets import PRESETS
from twofold.people.tabular import SUPPORTED_SUFFIXES

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class PeopleImportForm(forms.Form):
    file = forms.FileField(label="HRIS export", help_text="A .csv, .xlsx or .json file, up to 50 MB.")
    preset = forms.ChoiceField(
        label="Exported by",
        choices=[(name, preset.description) for name, preset in PRESETS.items()],
        initial="generic",
    )
    full = forms.BooleanField(
        label="This file is the whole workforce: mark people missing from it as having left",
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise forms.ValidationError("Choose a .csv, .xlsx or .json file.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "The file is larger than 50 MB; import it with `twofold import-people` instead."
            )
        return upload


class ImportConfirmForm(forms.Form):
    """Confirming a checked file: the number of people it marks as having left, typed, not clicked."""

    deactivations = forms.IntegerField(
        label="How many people does this import mark as having left?", required=False, min_value=0
    )
    allow_mass_deactivation = forms.BooleanField(
        label="Yes, this file is the whole workforce: mark them all as having left", required=False
    )


class DelegateForm(forms.Form):
    colleague = forms.CharField(
        max_length=254,
        label="Colleague's email or employee id",
        help_text="Find them in the People directory.",
    )
