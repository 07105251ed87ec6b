"""The test provider's claims: each user's from the fixture's specification, as a real provider
releases attributes of its directory; a client may be set up to issue tokens for another audience."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsFromSpec(OAuth2Validator):
    # Every claim goes out whatever the scopes: the tests decide what a user carries.
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        claims = dict(settings.SPEC["users"][request.user.username]["claims"])
        audience = settings.SPEC["clients"][request.client.client_id].get("audience")
        if audience:
            # A misconfigured registration: its ID tokens name another application.
            claims["aud"] = audience
        return claims
