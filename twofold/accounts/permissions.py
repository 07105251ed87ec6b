"""Who may do what: one permission layer for every service, page and command.

Actions are named strings ("relationships.end", "programmes.manage", "people.view_restricted"), each
with one rule registered once: the rules about the directory, accounts and roles are the ``can_*``
functions below; each app registers its actions from its own ``permissions.py`` when Django loads it
(``AppConfig.ready``), pointing at these functions or at its own, so this module never imports an app
above it. Services call :func:`authorize` with the acting user before they change anything; pages
ask :func:`allowed` what to show and narrow their lists with querysets such as
:func:`manageable_programmes`. An action nobody registered raises :class:`UnknownAction`, never
answers yes.
"""

from __future__ import annotations

import getpass
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.http import Http404

# Sent by :func:`authorize` on every decision, with ``actor``, ``action``, ``target`` and ``allowed``.
permission_decided = Signal()


class NotPermitted(PermissionDenied):
    """The actor may not do this: pages answer 403, commands fail with the message."""

    def __init__(self, message: str, *, action: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.action = action


class NotPermittedHidden(NotPermitted, Http404):
    """Refused where the target's existence must not leak: pages answer 404, as for an unknown id."""


class UnknownAction(LookupError):
    """An action name no rule was registered for: a typo must fail loudly, never allow."""


Rule = Callable[..., bool]


@dataclass(frozen=True)
class Action:
    name: str
    rule: Rule
    hidden: bool
    refusal: str


_ACTIONS: dict[str, Action] = {}


def register(name: str, rule: Rule, *, refusal: str, hidden: bool = False) -> None:
    """Declare ``name``'s rule, once. ``rule(actor, target)`` says yes or no; ``refusal`` is what a
    refused actor is told; ``hidden`` answers like an unknown id (404) for targets whose existence is
    not the actor's to learn. Registering the same name again with another rule is a mistake."""
    if len(inspect.signature(rule).parameters) < 2:
        rule = _without_target(rule)
    existing = _ACTIONS.get(name)
    if existing is not None and _original(existing.rule) is not _original(rule):
        raise ValueError(f"The action {name!r} already has a rule ({existing.rule.__qualname__}).")
    _ACTIONS[name] = Action(name=name, rule=rule, hidden=hidden, refusal=refusal)


def _without_target(rule: Callable[[Any], bool]) -> Rule:
    def about_nothing(actor: Any, target: Any) -> bool:
        return rule(actor)

    about_nothing.__wrapped__ = rule  # type: ignore[attr-defined]
    about_nothing.__qualname__ = rule.__qualname__
    return about_nothing


def _original(rule: Rule) -> Any:
    return getattr(rule, "__wrapped__", rule)


def registered_actions() -> list[str]:
    return sorted(_ACTIONS)


def _action(name: str) -> Action:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise UnknownAction(f"No rule is registered for the action {name!r}.") from None


def allowed(actor: Any, action: str, target: Any = None) -> bool:
    """Whether ``actor`` may do ``action`` (to ``target``): for pages deciding what to show."""
    return bool(_action(action).rule(actor, target))


def authorize(actor: Any, action: str, target: Any = None) -> None:
    """Refuse with :class:`NotPermitted` (or :class:`NotPermittedHidden`) unless ``actor`` may do
    ``action`` (to ``target``). Every decision is sent as :data:`permission_decided`."""
    declared = _action(action)
    decision = bool(declared.rule(actor, target))
    permission_decided.send(sender=Action, actor=actor, action=action, target=target, allowed=decision)
    if not decision:
        error = NotPermittedHidden if declared.hidden else NotPermitted
        raise error(declared.refusal, action=action)


def require(actor: Any, action: str, target: Any = None) -> None:
    """Refuse as :func:`authorize` does, without sending :data:`permission_decided`: for pages that
    only read, and for services that record the decision themselves with what it concerned (the
    data-subject requests, the audit log's own search)."""
    declared = _action(action)
    if not declared.rule(actor, target):
        error = NotPermittedHidden if declared.hidden else NotPermitted
        raise error(declared.refusal, action=action)


def is_command_line(actor: Any) -> bool:
    return isinstance(actor, CommandLineOperator)


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
    reach = programme_reach(user)
    if reach is None:
        return programmes.none()
    return programmes if reach == ALL_PROGRAMMES else programmes_managed_by(user.pk, programmes)


# What programme_reach answers for an org admin, and for a programme manager.
ALL_PROGRAMMES = "all"
OWN_PROGRAMMES = "own"


def programme_reach(user: Any) -> str | None:
    """Which programmes ``user`` may manage, as :func:`manageable_programmes` narrows them:
    :data:`ALL_PROGRAMMES` (org admins), :data:`OWN_PROGRAMMES` (programme managers: those listing
    them, :func:`programmes_managed_by`), or None. For a read kept with its SQL (one per answer), which
    takes the user's id as a value."""
    if not _signed_in(user) or not (user.is_superuser or user.is_programme_manager):
        return None
    return ALL_PROGRAMMES if user.is_superuser else OWN_PROGRAMMES


def programmes_managed_by(user_id: int, programmes: QuerySet[Any]) -> QuerySet[Any]:
    """``programmes`` narrowed to those listing the user ``user_id`` among their managers (what a
    programme manager who is no org admin may manage)."""
    return programmes.filter(managers=user_id)


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


def can_take_part_in(user: Any, relationship: Any) -> bool:
    """What either of a pair does in their relationship (answering, the agreement, meetings, notes,
    check-ins, raising a concern, nominating): the two people in it. Commands on the server may
    record it in a participant's name (the demo's history does)."""
    return can_view_relationship(user, relationship) or is_command_line(user)


def can_end_relationship(user: Any, relationship: Any) -> bool:
    """Ending or completing a relationship: either of the pair, or a manager of its programme."""
    return can_take_part_in(user, relationship) or can_manage_programme(user, relationship.programme)


def can_act_for(user: Any, person: Any) -> bool:
    """Acting in a person's own name (applying, their skills, their answers): that person, or a
    command on the server recording it for them."""
    return is_command_line(user) or (_signed_in(user) and user.person_id is not None and user.person_id == person.pk)


def can_take_part_in_programmes(user: Any) -> bool:
    """Programmes are joined by employees: accounts with a directory entry."""
    return is_command_line(user) or (_signed_in(user) and user.person_id is not None)


def can_handle_concern(user: Any, concern: Any) -> bool:
    """One concern: the managers of its relationship's programme, and org admins."""
    return can_manage_programme(user, concern.relationship.programme)


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


def sees_all_insights(user: Any) -> bool:
    """Executives and org admins see the evidence of every programme, and the organisation-wide
    figures (the leadership pipeline across programmes)."""
    return bool(_signed_in(user) and (user.is_superuser or user.is_executive))


def insight_programmes(user: Any, programmes: QuerySet[Any]) -> QuerySet[Any]:
    """``programmes`` narrowed to those whose evidence of impact ``user`` may see (aggregates only):
    executives and org admins all, programme managers the ones they manage, anyone else none."""
    if sees_all_insights(user):
        return programmes
    return manageable_programmes(user, programmes)


def can_issue_personal_token(user: Any, owner: Any) -> bool:
    """A personal access token: issued by a person for themselves only."""
    return _signed_in(user) and not is_command_line(user) and owner is not None and user.pk == owner.pk


def can_issue_service_token(user: Any, owner: Any) -> bool:
    """A service token, for an integration acting as any account: org admins (and the command line)."""
    return can_administer(user)


def revocable_tokens(user: Any, tokens: QuerySet[Any]) -> QuerySet[Any]:
    """``tokens`` narrowed to those ``user`` may revoke: org admins (and the command line) any, a
    person their own personal tokens. As a query, so that someone else's token id answers like an
    unknown one."""
    if can_administer(user):
        return tokens
    if not _signed_in(user):
        return tokens.none()
    return tokens.filter(kind="personal", user_id=user.pk)


def can_revoke_token(user: Any, token: Any) -> bool:
    """Revoking a token: see :func:`revocable_tokens`."""
    return revocable_tokens(user, type(token)._default_manager.filter(pk=token.pk)).exists()


def register_rules() -> None:
    """The accounts' own actions (the access tokens); called when the app loads."""
    register("tokens.issue_personal", can_issue_personal_token, refusal="A personal token is made by its owner.")
    register("tokens.issue_service", can_issue_service_token, refusal="Service tokens are issued by org admins.")
    register("tokens.list_service", can_administer, refusal="Service tokens are for org admins.")
    register("tokens.revoke", can_revoke_token, refusal="No such token.", hidden=True)
