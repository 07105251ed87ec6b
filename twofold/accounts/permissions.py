"""Who may see what: every view and endpoint asks here, so the rules live in one place."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


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


def can_import_people(user: Any) -> bool:
    """Bringing people in from the HRIS: programme managers and org admins."""
    return _signed_in(user) and bool(user.is_superuser or user.is_programme_manager)


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
