"""Who may see what: every view and endpoint asks here, so the rules live in one place."""

from __future__ import annotations

import getpass
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
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
    """A person's page: anyone who reads the directory. Someone who has left only for those who may
    list leavers or see the person's career history (their leaving is part of it)."""
    return can_view_directory(user) and bool(
        person.active or can_list_leavers(user) or can_see_career_history(user, person)
    )


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


def applications_to_decide(user: Any, enrolments: QuerySet[Any]) -> QuerySet[Any]:
    """``enrolments`` narrowed to the applications ``user`` decides (approves or turns down): those
    of the people who report to them directly, and of the direct reports of a manager who named them
    as delegate. Never their own.

    Nobody further up the line is asked: a skip-level manager, the chief executive or anyone with the
    executive role does not see the application or its goals. As a query, like
    :func:`manageable_programmes`, so that the list of applications waiting and the right to decide
    one are the same rule, and an id one may not decide answers like an unknown one.
    """
    if not _signed_in(user) or user.person_id is None:
        return enrolments.none()
    return enrolments.filter(
        Q(person__manager_id=user.person_id) | Q(person__manager__delegation__delegate_id=user.person_id)
    ).exclude(person_id=user.person_id)


def can_decide_application(user: Any, enrolment: Any) -> bool:
    """May ``user`` approve or turn down this application? See :func:`applications_to_decide`."""
    return applications_to_decide(user, type(enrolment)._default_manager.filter(pk=enrolment.pk)).exists()


def can_choose_delegate(user: Any, manager: Any) -> bool:
    """Naming (or removing) the colleague who decides a manager's team's applications: the manager
    themselves."""
    return _signed_in(user) and user.person_id is not None and user.person_id == manager.pk


def can_see_career_history(user: Any, person: Any) -> bool:
    """Promotions, level and role changes and exits: the person themselves, everyone above them in
    the management tree, and org admins. ``CAREER_HISTORY_OPEN`` opens it to everyone who may see
    the person."""
    if not _signed_in(user):
        return False
    if settings.CAREER_HISTORY_OPEN and can_view_directory(user):
        return True
    if user.is_superuser or (user.person_id is not None and user.person_id == person.pk):
        return True
    viewer = getattr(user, "person", None)
    return viewer is not None and viewer.manages_or_is_above(person)


def can_list_leavers(user: Any) -> bool:
    """Listing the people who have left (the directory's "include people who have left"): org
    admins and whoever holds the import permission, who keep the directory in step with the HRIS."""
    return can_import_people(user)


def insight_programmes(user: Any, programmes: QuerySet[Any]) -> QuerySet[Any]:
    """``programmes`` narrowed to those whose evidence of impact ``user`` may see (aggregates only):
    executives and org admins all, programme managers the ones they manage, anyone else none."""
    if _signed_in(user) and (user.is_superuser or user.is_executive):
        return programmes
    return manageable_programmes(user, programmes)
