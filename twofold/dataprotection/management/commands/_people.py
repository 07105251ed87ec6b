"""What the data-subject commands share: finding the person named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from twofold.people.models import Person


def person_from_argument(value: str) -> Person:
    """The person with this database id (the number the directory's addresses and the admin show)."""
    if not value.isdigit():
        raise CommandError(f"{value!r} is not a person's id: give the number from their page's address (/people/ID/).")
    person = Person.objects.filter(pk=int(value)).select_related("manager").first()
    if person is None:
        raise CommandError(f"There is no person with id {value}; nothing was done.")
    return person
