"""The migration that adds the stored meeting clock fills it for the pairs already there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.relationships.pairing import pair_up, propose
from twofold.relationships.meeting_clock import meeting_clocks_stale
from twofold.relationships.models import Agreement, Relationship

BEFORE = [("relationships", "0009_relationship_requested_by_mentee")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_each_pairs_clock_from_its_definition(cast, reverse_mentoring, sponsorship) -> None:
    agreed = pair_up(reverse_mentoring, cast.ana, cast.vp_sales)
    Agreement.objects.filter(relationship=agreed).update(cadence_days=30)
    without_agreement = pair_up(reverse_mentoring, cast.ben, cast.vp_tech)
    Agreement.objects.filter(relationship=without_agreement).delete()
    proposal = propose(sponsorship, cast.vp_sales, cast.ana)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # the columns go, and come back empty
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    clocks = dict(Relationship.objects.values_list("pk", "meeting_due_at"))
    assert clocks[proposal.pk] is None
    assert clocks[agreed.pk] is not None and clocks[without_agreement.pk] is not None
    assert meeting_clocks_stale(Relationship.objects.all()) == []
