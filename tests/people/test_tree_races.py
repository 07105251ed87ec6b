"""Two one-person moves of the management tree at once (an identity provider's writes), on PostgreSQL.

A move locks only the rows of the people on the chains it reads (tree_moves.tree_lock), not the
table. These interleave two moves whose chains meet, at the worst moment, and prove the second
waits for the first and then works from its committed paths: no cycle between them, and the tree
afterwards exactly what a full rebuild of the paths gives.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import Cast
from tests.factories import OPERATOR
from tests.interleave import interleave
from twofold.people.models import Person
from twofold.people.provisioning import ProvisionedPerson, person_provision
from twofold.people.tabular import FileRejected
from twofold.people.tree import path_depth, tree_paths

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"),
]


def move(person: Person, manager: Person) -> None:
    person_provision(
        actor=OPERATOR,
        person=ProvisionedPerson(
            employee_id=person.employee_id,
            name=person.name,
            email=person.email,
            level=person.level,
            manager_employee_id=manager.employee_id,
        ),
        current=Person.objects.get(pk=person.pk),
    )


def assert_tree_as_rebuilt() -> None:
    rows = list(Person.objects.values_list("pk", "manager_id", "tree_path", "tree_depth"))
    paths = tree_paths({pk: manager for pk, manager, *_ in rows}, {pk: pk for pk, *_ in rows})
    assert {pk: (path, depth) for pk, _, path, depth in rows} == {
        pk: (path, path_depth(path)) for pk, path in paths.items()
    }


def test_two_crossed_moves_cannot_make_a_cycle(cast: Cast) -> None:
    # Victor under Vera and, at the same moment, Vera under Victor: each alone is fine.
    outcomes = interleave(
        lambda: move(cast.vp_tech, cast.vp_sales),
        lambda: move(cast.vp_sales, cast.vp_tech),
        refusals=(FileRejected,),
    )

    assert outcomes == ("ok", "FileRejected")
    managers = dict(Person.objects.values_list("employee_id", "manager__employee_id"))
    assert (managers["V1"], managers["V2"]) == ("V2", "C1")
    assert_tree_as_rebuilt()


def test_a_move_under_someone_whose_manager_moves_meanwhile_lands_on_the_new_chain(cast: Cast) -> None:
    # Lena (with Ana under her) moves to Sales while Ben moves in under Ana: Ben's path must be
    # written from Ana's new one, not the one it had when his move began.
    outcomes = interleave(
        lambda: move(cast.lead_tech, cast.vp_sales),
        lambda: move(cast.ben, cast.ana),
        refusals=(FileRejected,),
    )

    assert outcomes == ("ok", "ok")
    ben = Person.objects.get(pk=cast.ben.pk)
    ids = [cast.ceo.pk, cast.vp_sales.pk, cast.lead_tech.pk, cast.ana.pk, cast.ben.pk]
    assert ben.tree_path == "/" + "/".join(str(pk) for pk in ids) + "/"
    assert_tree_as_rebuilt()


def test_moves_on_other_branches_do_not_wait_for_each_other(cast: Cast) -> None:
    # Ana within Engineering and Ben within Sales share only the top of the tree, which neither
    # move writes: the second does not wait, so interleave finds no lock waited for.
    with pytest.raises(AssertionError, match="never waited"):
        interleave(
            lambda: move(cast.ana, cast.vp_tech),
            lambda: move(cast.ben, cast.ceo),
            refusals=(FileRejected,),
        )
    managers = dict(Person.objects.values_list("employee_id", "manager__employee_id"))
    assert (managers["J1"], managers["J2"]) == ("V1", "C1")
    assert_tree_as_rebuilt()
