"""The filters of the insights pages: programme, period (the year a programme started) and department."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from twofold.people.models import Person
from twofold.programmes.models import Programme


def departments() -> list[str]:
    return list(
        Person.objects.exclude(department="").order_by("department").values_list("department", flat=True).distinct()
    )


class InsightsFilter(forms.Form):
    programme = forms.ModelChoiceField(queryset=Programme.objects.none(), required=False, empty_label="All programmes")
    started = forms.TypedChoiceField(label="Started in", required=False, coerce=int, empty_value=None)
    department = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, programmes: QuerySet[Programme], with_programme: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = sorted({p.starts_on.year for p in programmes if p.starts_on}, reverse=True)
        started, department, programme = self.fields["started"], self.fields["department"], self.fields["programme"]
        assert isinstance(started, forms.ChoiceField) and isinstance(department, forms.ChoiceField)
        assert isinstance(programme, forms.ModelChoiceField)
        started.choices = [("", "Any year"), *((year, str(year)) for year in years)]
        department.choices = [("", "All departments"), *((d, d) for d in departments())]
        if with_programme:
            programme.queryset = programmes
        else:
            del self.fields["programme"]
            del self.fields["started"]
