"""The one scim2-server service of Twofold: the protocol over :data:`~twofold.scim.resources.PROVIDER`."""

from __future__ import annotations

from scim2_server.service import ScimService

from twofold.scim.resources import PROVIDER

SERVICE = ScimService(PROVIDER)
