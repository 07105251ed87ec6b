"""The audit log: who did or read what, when and from where. Append-only."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from twofold.audit import context


class AuditLogIsAppendOnly(Exception):
    """Audit entries are kept as written: never changed, never deleted (nor by the database's owner
    through Twofold: on PostgreSQL a trigger refuses UPDATE and DELETE too)."""


class ActorKind(models.TextChoices):
    USER = "user", "Account"
    COMMAND_LINE = "command_line", "Command line"
    INTEGRATION = "integration", "Integration"
    ANONYMOUS = "anonymous", "Not signed in"


class Channel(models.TextChoices):
    WEB = context.WEB, "Web"
    COMMAND_LINE = context.COMMAND_LINE, "Command line"
    API = context.API, "API"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("audit entries cannot be changed")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """One decision, write or sensitive read.

    Who (an account, with its name as it was then; the command line and its system user; or an
    integration), what (the action, its target as it was named then, allowed or refused, a small
    JSON detail), when, and from where (address, browser, channel). Ids are plain numbers rather
    than foreign keys: an entry outlives the account or person it names, and nothing may cascade
    into it.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=100, db_index=True)
    allowed = models.BooleanField(default=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    subject_person_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="The person the entry is about, if one is."
    )
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        outcome = "" if self.allowed else " (refused)"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name}: {self.action}{outcome} {self.target_label}".rstrip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")
