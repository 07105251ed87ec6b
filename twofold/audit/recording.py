"""``record``: the one way anything is written to the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from twofold.accounts.permissions import CommandLineOperator
from twofold.audit.context import AuditContext, current
from twofold.audit.models import ActorKind, AuditEntry, Channel

PERSON_MODEL = "people.Person"


def _actor_fields(actor: Any, context: AuditContext | None) -> dict[str, Any]:
    request = context.request if context is not None else None
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if isinstance(actor, str):
        return {"actor_kind": ActorKind.INTEGRATION, "actor_name": actor[:200]}
    os_user = getattr(actor, "os_user", None)
    if os_user is not None or (actor is None and request is None):
        # The command line (CommandLineOperator), or code run on the server with no one named.
        os_user = os_user or CommandLineOperator().os_user
        return {"actor_kind": ActorKind.COMMAND_LINE, "actor_name": f"command line (system user {os_user})"}
    if actor is None or not getattr(actor, "is_authenticated", False) or getattr(actor, "pk", None) is None:
        return {"actor_kind": ActorKind.ANONYMOUS, "actor_name": "not signed in"}
    person_name = _person_name(actor)
    name = f"{person_name} ({actor.get_username()})" if person_name is not None else actor.get_username()
    return {
        "actor_kind": ActorKind.USER,
        "actor_user_id": actor.pk,
        "actor_person_id": getattr(actor, "person_id", None),
        "actor_name": name[:200],
    }


def _person_name(account: Any) -> str | None:
    """The name of the person ``account`` is, or None: that person's when the account holds it already,
    else the name alone, read once for the account object (a request's every entry names its actor),
    not the whole person, restricted columns included, that nothing else here reads."""
    person_id = getattr(account, "person_id", None)
    if person_id is None:
        return None
    relation = account._meta.get_field("person")
    if relation.is_cached(account):
        return relation.get_cached_value(account).name
    read = getattr(account, _PERSON_NAME_READ, None)
    if read is None or read[0] != person_id:
        names = relation.related_model._base_manager.filter(pk=person_id).order_by().values_list("name", flat=True)
        read = (person_id, next(iter(names), None))
        setattr(account, _PERSON_NAME_READ, read)
    return read[1]


# Where an account object keeps the name of its person as _person_name read it: (person id, name).
_PERSON_NAME_READ = "_audit_person_name"


def _target_fields(target: Any) -> dict[str, Any]:
    if target is None:
        return {}
    meta = getattr(target, "_meta", None)
    if meta is not None and getattr(target, "pk", None) is not None:
        fields: dict[str, Any] = {
            "target_type": meta.model_name,
            "target_id": str(target.pk),
            "target_label": str(target)[:200],
        }
        if meta.label == PERSON_MODEL:
            fields["subject_person_id"] = target.pk
        elif isinstance(getattr(target, "person_id", None), int):
            fields["subject_person_id"] = target.person_id
        return fields
    model = getattr(target, "model", None)
    if model is not None and hasattr(target, "query"):
        # A queryset (a decision about many rows): named by its model, never evaluated here.
        return {"target_type": model._meta.model_name, "target_label": "several"}
    if isinstance(target, str | int):
        return {"target_type": "", "target_label": str(target)[:200]}
    return {"target_type": type(target).__name__.lower()[:60]}


def record(
    action: str,
    *,
    actor: Any = None,
    target: Any = None,
    target_type: str = "",
    target_id: Any = "",
    target_label: str = "",
    subject_person_id: int | None = None,
    allowed: bool = True,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry: ``actor`` did (or was refused, ``allowed=False``) ``action`` on ``target``.

    ``actor`` is an account, the command line (:class:`~twofold.accounts.permissions.CommandLineOperator`),
    an integration's name, or ``None`` for whoever the current request is from (the command line
    outside a request). ``target`` is a model instance (its type, id and name are copied) or
    ``None``; ``target_type``/``target_id``/``target_label`` name it otherwise or override the
    copy. ``subject_person_id`` is the person the entry is about (a person target is its own
    subject). ``detail`` is a small JSON object; it must not repeat restricted values or free text.

    Allowed actions are written in the caller's transaction: a write that is rolled back leaves no
    entry saying it happened. A refusal inside a request or a ``twofold`` command is written when
    it is over, outside any transaction, so that the error that usually follows it cannot roll it
    back; elsewhere (a test calling a service) it is written at once.
    """
    context = current()
    values: dict[str, Any] = {
        **_actor_fields(actor, context),
        **_target_fields(target),
        "action": action[:100],
        "allowed": allowed,
        "detail": detail or {},
        "channel": context.channel if context is not None else Channel.COMMAND_LINE,
    }
    if context is not None:
        values.update(ip_address=context.ip_address, user_agent=context.user_agent)
    for name, given, limit in (
        ("target_type", target_type, 60),
        ("target_id", target_id, 64),
        ("target_label", target_label, 200),
    ):
        if given not in ("", None):
            values[name] = str(given)[:limit]
    if subject_person_id is not None:
        values["subject_person_id"] = subject_person_id
    entry = AuditEntry(**values)
    if not allowed and context is not None:
        context.pending.append(entry)
        return entry
    entry.save(force_insert=True)
    return entry


def write_pending(context: AuditContext) -> None:
    """Write the refusals noted during a request or command (called when it is over)."""
    if not context.pending:
        return
    with transaction.atomic():
        AuditEntry.objects.bulk_create(context.pending)
    context.pending.clear()
