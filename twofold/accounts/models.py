"""Sign-in accounts and the roles they hold."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class User(AbstractUser):
    """An account. Org admins are Django superusers; the other roles are flags.

    A user may hold several roles: a programme manager is usually an employee with a ``person``
    too, and may take part in a programme they do not manage.
    """

    person = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="user"
    )
    is_programme_manager = models.BooleanField(
        default=False, help_text="Runs programmes: enrolment, matching, review, health."
    )
    is_executive = models.BooleanField(
        default=False, help_text="Sees programme aggregates only, never individual records."
    )

    @property
    def is_org_admin(self) -> bool:
        return self.is_superuser

    @property
    def role_names(self) -> list[str]:
        roles = []
        if self.is_org_admin:
            roles.append("Org admin")
        if self.is_programme_manager:
            roles.append("Programme manager")
        if self.is_executive:
            roles.append("Executive")
        if self.person_id:
            roles.append("Employee")
        return roles


class AccountSession(AbstractBaseSession):
    """A sign-in session (Django's database session) that knows whose it is.

    Django's own session table keeps the user id only inside the encoded data, so a person's
    sessions cannot be found without decoding every row. Recording the account in a column lets a
    leaver's sessions be ended with one ``DELETE`` (see :func:`twofold.accounts.services.accounts_close`).
    The column is an indexed id without a database constraint: a session saved while its account is
    being deleted must not fail the request, and a session of a deleted account signs nobody in.
    """

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )

    class Meta:
        verbose_name = "session"
        verbose_name_plural = "sessions"

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from twofold.accounts.sessions import SessionStore

        return SessionStore


class AccessTokenKind(models.TextChoices):
    PERSONAL = "personal", "Personal"
    SERVICE = "service", "Service"


class AccessToken(models.Model):
    """A bearer token for the API (and SCIM): it acts as ``user``, narrowed to ``scopes``.

    Only the SHA-256 digest of the token is stored; the token itself is shown once, when it is
    issued (:func:`twofold.accounts.tokens.issue_token`). ``prefix`` (its first characters) is kept
    so that a list of tokens can say which is which. Personal tokens are made by a person for
    themselves; service tokens by an org admin, for an integration acting as some account.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=AccessTokenKind.choices)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Who issued it."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["personal", "service"]), name="access_token_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
