"""What the audit log hears without being called: the permission layer's decisions, sign-ins, and
the changes org admins make in the Django admin."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from twofold.accounts.permissions import permission_decided
from twofold.audit.recording import record

# A decision about one of these is a read: recorded only when what it reads is sensitive.
READ_VERBS = frozenset({"view", "see", "list", "read", "search", "show", "browse"})
# Reads that are always recorded: restricted attributes, concerns, imports, exports, the log itself.
SENSITIVE_WORDS = ("self_identification", "restricted", "concern", "import", "export", "audit")


def is_recorded(action: str) -> bool:
    """Every decision on a state change, and on a read of sensitive data; not ordinary reads.

    An action whose name has a reading verb in it (``view_person``, ``people.list``) is a read;
    anything else (``relationship_end``, ``enrolment.approve``) changes state.
    """
    lowered = action.lower()
    words = set(re.split(r"[^a-z]+", lowered))
    if not words & READ_VERBS:
        return True
    return any(word in lowered for word in SENSITIVE_WORDS)


@receiver(permission_decided, dispatch_uid="twofold.audit.permission_decided")
def permission_decision_recorded(
    sender: Any, actor: Any, action: str, target: Any, allowed: bool, **kwargs: Any
) -> None:
    if is_recorded(action):
        record(action, actor=actor, target=target, allowed=allowed)


@receiver(user_logged_in, dispatch_uid="twofold.audit.signed_in")
def signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record("account.sign_in", actor=user, target=user)


@receiver(user_logged_out, dispatch_uid="twofold.audit.signed_out")
def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record("account.sign_out", actor=user, target=user)


@receiver(user_login_failed, dispatch_uid="twofold.audit.sign_in_failed")
def sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The username tried, never the password (Django masks it, and it is not read here anyway).
    username = str(credentials.get("username", ""))[:150]
    record("account.sign_in", allowed=False, target_type="user", target_label=username)


# Rows whose id is a person's id (the self-identification table is keyed by its person).
PERSON_MODELS = {("people", "person"), ("people", "selfidentification")}
ADMIN_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="twofold.audit.admin_change")
def admin_change_recorded(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every add, change and delete made in the Django admin, as the admin itself logs it."""
    if not created:
        return
    content_type: Any = instance.content_type
    model = (content_type.app_label, content_type.model) if content_type is not None else ("", "")
    object_id = str(instance.object_id or "")
    record(
        ADMIN_ACTIONS.get(instance.action_flag, "admin.change"),
        actor=instance.user,
        target_type=model[1],
        target_id=object_id,
        target_label=instance.object_repr,
        subject_person_id=int(object_id) if model in PERSON_MODELS and object_id.isdigit() else None,
        detail={"changed": instance.get_change_message()[:500]} if instance.action_flag == CHANGE else {},
    )
