"""The overview became Insights: an old bookmark still arrives."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_old_overview_address_redirects_to_insights(client: Client) -> None:
    response = client.get("/overview/")
    assert response.status_code == 301
    assert response["Location"] == "/insights/"
