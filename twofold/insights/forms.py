"""The filters of the insights pages: programme, started in (the cohort's year), period and department."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from twofold.insights.periods import period_choices
from twofold.insights.widgets import Select
from twofold.people.selectors import departments_of_everyone
from twofold.programmes.models import Programme


class InsightsFilter(forms.Form):
    programme = forms.ModelChoiceField(
        queryset=Programme.objects.none(), required=False, empty_label="All programmes", widget=Select
    )
    started = forms.TypedChoiceField(label="Started in", required=False, coerce=int, empty_value=None, widget=Select)
    period = forms.ChoiceField(label="Period", required=False, widget=Select)
    department = forms.ChoiceField(required=False, widget=Select)

    def __init__(
        self,
        *args: Any,
        programmes: QuerySet[Programme],
        with_programme: bool = True,
        first_year: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        years = sorted({p.starts_on.year for p in programmes if p.starts_on}, reverse=True)
        started, department, programme = self.fields["started"], self.fields["department"], self.fields["programme"]
        period = self.fields["period"]
        assert isinstance(started, forms.ChoiceField) and isinstance(department, forms.ChoiceField)
        assert isinstance(programme, forms.ModelChoiceField) and isinstance(period, forms.ChoiceField)
        started.choices = [("", "Any year"), *((year, str(year)) for year in years)]
        department.choices = [("", "All departments"), *((d, d) for d in departments_of_everyone())]
        earliest = first_year if first_year is not None else (min(years) if years else None)
        period.choices = period_choices(earliest, today=timezone.localdate())
        if with_programme:
            programme.queryset = programmes
        else:
            del self.fields["programme"]
            del self.fields["started"]

    def view_filters(self) -> tuple[str, str]:
        """The department and the period chosen (each ``""`` for all): what names a snapshot."""
        data = self.cleaned_data if self.is_bound else {}
        return data.get("department") or "", data.get("period") or ""
