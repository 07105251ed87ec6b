"""The one scim2-server service of Twofold: the protocol over :data:`~twofold.scim.resources.PROVIDER`.

Two of scim2-server's steps are skipped for what :class:`~twofold.scim.storage.PeopleStorage`
returns, which costs more than half of a page of 100 Users otherwise, and changes nothing of the
answer (tests/scim/test_protocol.py compares both with scim2-server's own):

- publishing a resource copies it whole (a deep copy) before setting its location and URLs, so as
  not to change one a storage keeps; the storage builds each resource for the one answer that
  publishes it, and keeps none, so it is published in place;
- a list's page of resources, each dumped already, is validated again into models and dumped a
  second time; here the envelope is scim2-server's, and the resources are those dumped once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from scim2_models import Context, Resource, ResourceType, SearchRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.storage import SearchPage

from twofold.scim.resources import PROVIDER


class TwofoldService(ScimService):
    def publish(self, base_url: str, resource: Resource[Any]) -> Resource[Any]:
        assert resource.meta is not None and resource.id is not None
        update: dict[str, Any] = {
            "location": self.resource_location(base_url, self.get_resource_type_of(resource), resource.id)
        }
        if not self.etag_supported:
            update["version"] = None
        resource.meta = resource.meta.model_copy(update=update)
        self._publish_references(base_url, resource)
        return resource

    def search_response(
        self,
        base_url: str,
        resource_types: list[ResourceType],
        page: SearchPage,
        search_request: SearchRequest[Any],
    ) -> ScimResponse:
        if search_request.cursor is not None:
            return super().search_response(base_url, resource_types, page, search_request)
        response = super().search_response(
            base_url, resource_types, dataclasses.replace(page, resources=[]), search_request
        )
        dumped = [
            self.publish(base_url, resource).model_dump(
                scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search_request
            )
            for resource in page.resources
        ]
        assert response.body is not None
        response.body["itemsPerPage"] = len(dumped)
        if dumped:
            response.body["Resources"] = dumped
        return response


SERVICE = TwofoldService(PROVIDER)
