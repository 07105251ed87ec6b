"""Which provider account signs in to which Twofold account, for accounts outside the directory."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ProviderIdentity(models.Model):
    """A provider's subject (``iss`` + ``sub``) bound to the account created for it.

    Only accounts created for someone the directory does not know (``OIDC_CREATE_UNKNOWN``) need it:
    everyone else is found again through their directory record at each sign-in.
    """

    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "single sign-on identity"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique_subject")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
