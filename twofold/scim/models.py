"""What SCIM knows of a person beyond the directory: the identity provider's names for them."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from twofold.people.models import Person


class ScimIdentity(models.Model):
    """A person as an identity provider provisioned them.

    ``user_name`` is the provider's sign-in name (unique, whatever its case); a person without an
    identity (imported from the HRIS) is known to SCIM by their email, so that a provider matching
    by ``userName`` finds the people already in the directory. ``deleted_at``: the provider deleted
    the resource; the person has left (deactivated, never deleted) and SCIM answers 404 for them,
    as RFC 7644 §3.6 asks, until the provider creates them again.
    """

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="scim_identity")
    user_name = models.CharField(max_length=254)
    external_id = models.CharField(max_length=254, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # With the person's own updated_at, the resource's version (its ETag).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM identity"
        verbose_name_plural = "SCIM identities"
        constraints = [models.UniqueConstraint(Lower("user_name"), name="scim_identity_user_name_once")]

    def __str__(self) -> str:
        return f"SCIM identity {self.user_name} of person {self.person_id}"
