"""Who may see what: every view and endpoint asks here, so the rules live in one place."""

from __future__ import annotations

import getpass
from typing import Any

from django.db.models import QuerySet
from django.dispatch import Signal

# Sent with every decision of the permission layer (kwargs: actor, action, target, allowed); the
# audit log records the ones on writes and on sensitive reads.
permission_decided = Signal()


class CommandLineOperator:
    """Whoever runs a ``twofold`` command on the server: an actor with an org admin's rights.

    Running commands takes the server's database credentials, which allow anything already, so the
    shell is trusted as Django's own ``createsuperuser`` trusts it. Nobody can sign in as it; the
    records of what it did name the operating-system user.
    """

    is_authenticated = True
    is_active = True
    is_superuser = True
    is_programme_manager = False
    is_executive = False
    pk = None
    person_id = None

    def __init__(self) -> None:
        try:
            self.os_user = getpass.getuser()
        except (KeyError, OSError):  # no login name and no passwd entry (some containers)
            self.os_user = "unknown"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True

    def __str__(self) -> str:
        return f"command line (system user {self.os_user})"


def _signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_view_directory(user: Any) -> bool:
    """The people directory: anyone signed in who is an employee or holds a role."""
    return _signed_in(user) and bool(
        user.is_superuser or user.is_programme_manager or user.is_executive or user.person_id
    )


def can_see_talent_flags(user: Any) -> bool:
    """The high-potential flag is a talent-review judgement: programme managers and org admins only."""
    return _signed_in(user) and bool(user.is_superuser or user.is_programme_manager)


def can_view_person(user: Any, person: Any) -> bool:
    return can_view_directory(user)


def can_see_self_identification(user: Any, person: Any) -> bool:
    """Restricted attributes: the person themselves, and org admins through the admin."""
    return _signed_in(user) and (user.person_id == person.pk or user.is_superuser)


def can_self_identify(user: Any, person: Any) -> bool:
    """Giving, changing or withdrawing restricted attributes on the form: the person themselves only."""
    return _signed_in(user) and user.person_id is not None and user.person_id == person.pk


def can_import_people(user: Any) -> bool:
    """Importing the directory (people and career events) is an org-wide write: anyone's manager,
    flags and status. Org admins, and accounts or groups granted "Can import people" in the admin."""
    return _signed_in(user) and bool(user.has_perm("people.import_people"))


def can_import_restricted_attributes(user: Any) -> bool:
    """Restricted columns (gender, ethnicity, birth year, disability) in an import: org admins only.

    They alone may read those values for everyone, and an import's preview is compared with what is
    stored, so anyone else could learn a stored value by guessing it.
    """
    return _signed_in(user) and bool(user.is_superuser)


def can_deactivate_people(user: Any) -> bool:
    """Marking people as having left (which closes their accounts and pairs) is part of keeping the
    directory in step with the HRIS: whoever may import people may do it, and nobody else."""
    return can_import_people(user)


def can_administer(user: Any) -> bool:
    return _signed_in(user) and bool(user.is_superuser)


def can_create_programmes(user: Any) -> bool:
    return _signed_in(user) and bool(user.is_superuser or user.is_programme_manager)


def manageable_programmes(user: Any, programmes: QuerySet[Any]) -> QuerySet[Any]:
    """``programmes`` narrowed to those ``user`` may manage: org admins all, programme managers the
    ones listing them, anyone else none.

    As a query rather than a yes or no about one programme, so that a page looks up an id and the
    right to it in one go, and answers an id that does not exist and one it may not see alike.
    """
    if not _signed_in(user) or not (user.is_superuser or user.is_programme_manager):
        return programmes.none()
    return programmes if user.is_superuser else programmes.filter(managers=user)


def can_manage_programme(user: Any, programme: Any) -> bool:
    """Programme managers are scoped to the programmes they manage; org admins manage all."""
    return manageable_programmes(user, type(programme)._default_manager.filter(pk=programme.pk)).exists()


def can_see_overview(user: Any) -> bool:
    """The aggregate overview: executives, programme managers and org admins."""
    return _signed_in(user) and bool(user.is_superuser or user.is_programme_manager or user.is_executive)


def can_view_relationship(user: Any, relationship: Any) -> bool:
    """A relationship's page (its log, private notes, check-ins) is for the two people in it only.

    Programme managers and org admins included: they see a programme's health and its concerns,
    never a pair's log.
    """
    return (
        _signed_in(user)
        and user.person_id is not None
        and user.person_id in (relationship.mentor_id, relationship.mentee_id)
    )


def can_handle_concerns(user: Any) -> bool:
    """The concerns raised by participants: programme managers (of their programmes) and org admins."""
    return _signed_in(user) and bool(user.is_superuser or user.is_programme_manager)
