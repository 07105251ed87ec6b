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
    # The names as the provider sent them (the directory keeps one name per person, derived from
    # these: displayName, else name.formatted, else given and family name, else userName).
    display_name = models.CharField(max_length=200, blank=True)
    name_formatted = models.CharField(max_length=200, blank=True)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # With the person's own updated_at, the resource's version (its ETag).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SCIM identity"
        verbose_name_plural = "SCIM identities"
        constraints = [models.UniqueConstraint(Lower("user_name"), name="scim_identity_user_name_once")]
        # A provider looks its users up by its own id (``externalId eq``).
        indexes = [models.Index(fields=["external_id"], name="scim_identity_external_id")]

    def __str__(self) -> str:
        return f"SCIM identity {self.user_name} of person {self.person_id}"

    @property
    def derived_name(self) -> str:
        """The one name the directory keeps for what the provider sent."""
        given = " ".join(part for part in (self.given_name, self.family_name) if part)
        return self.display_name or self.name_formatted or given or self.user_name
