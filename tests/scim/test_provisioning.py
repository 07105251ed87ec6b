"""SCIM over real HTTP against a live server: an identity provider's provisioning session, and the
refusals. Every request goes through the network to ``/scim/v2`` with a bearer token."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.factories import UserFactory, grant
from tests.scim.client import CORE, ENTERPRISE, TWOFOLD, Scim, new_user, token_for
from twofold.accounts.models import User
from twofold.people.models import Person
from twofold.scim.models import ScimIdentity

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scim(live_server, cast: Cast) -> Scim:  # type: ignore[no-untyped-def]
    return Scim(live_server.url, token_for(cast.admin))


def test_an_identity_providers_provisioning_session(scim: Scim, cast: Cast) -> None:
    # Okta and Entra ID look a user up by userName before creating them.
    status, body, _ = scim.get("/Users", filter='userName eq "nia.new@example.org"')
    assert (status, body["totalResults"]) == (200, 0)

    status, created, headers = scim.post("/Users", new_user("nia.new@example.org", "N7", level="L3"))
    assert status == 201, created
    assert headers["Location"].endswith(f"/scim/v2/Users/{created['id']}")
    assert headers["ETag"] == created["meta"]["version"]
    nia = Person.objects.get(employee_id="N7")
    assert (nia.name, nia.email, nia.level, nia.active, nia.manager_id) == (
        "Nia New",
        "nia.new@example.org",
        3,
        True,
        None,
    )
    assert created[TWOFOLD]["level"] == "3"

    # The manager, by SCIM id: the management tree is rebuilt as an import would.
    status, _, _ = scim.patch(
        f"/Users/{nia.pk}",
        [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(cast.vp_sales.pk)}}],
    )
    assert status in (200, 204)
    nia.refresh_from_db()
    cast.vp_sales.refresh_from_db()
    assert nia.manager_id == cast.vp_sales.pk
    assert cast.vp_sales.manages_or_is_above(nia)
    status, read, _ = scim.get(f"/Users/{nia.pk}")
    assert read[ENTERPRISE]["manager"]["value"] == str(cast.vp_sales.pk)

    # Deactivated (Okta's and Entra ID's way of removing someone): left the organisation.
    nia_account = User.objects.create(username="nia", person=nia)
    status, _, _ = scim.patch(f"/Users/{nia.pk}", [{"op": "replace", "value": {"active": False}}])
    assert status in (200, 204)
    nia.refresh_from_db()
    nia_account.refresh_from_db()
    assert (nia.active, nia_account.is_active) == (False, False)
    status, read, _ = scim.get(f"/Users/{nia.pk}")
    assert (status, read["active"]) == (200, False)

    # Back again.
    status, _, _ = scim.patch(f"/Users/{nia.pk}", [{"op": "replace", "path": "active", "value": True}])
    assert status in (200, 204)
    nia.refresh_from_db()
    nia_account.refresh_from_db()
    assert (nia.active, nia_account.is_active) == (True, True)

    # Found by userName whatever its case; people from the HRIS are found by their email.
    status, body, _ = scim.get("/Users", filter='userName eq "NIA.NEW@example.org"')
    assert [user["id"] for user in body["Resources"]] == [str(nia.pk)]
    status, body, _ = scim.get("/Users", filter=f'userName eq "{cast.ana.email}"')
    assert [user["id"] for user in body["Resources"]] == [str(cast.ana.pk)]


def test_paging_sorting_and_filters(scim: Scim, cast: Cast) -> None:
    status, first, _ = scim.get("/Users", startIndex="1", count="2", sortBy=f"{ENTERPRISE}:employeeNumber")
    assert (status, first["totalResults"], first["itemsPerPage"], first["startIndex"]) == (200, 6, 2, 1)
    assert [user[ENTERPRISE]["employeeNumber"] for user in first["Resources"]] == ["C1", "J1"]
    _, second, _ = scim.get(
        "/Users", startIndex="3", count="2", sortBy=f"{ENTERPRISE}:employeeNumber", sortOrder="descending"
    )
    assert [user[ENTERPRISE]["employeeNumber"] for user in second["Resources"]] == ["L1", "J2"]
    _, sales, _ = scim.get("/Users", filter=f'{ENTERPRISE}:department eq "sales" and {TWOFOLD}:level ge "8"')
    assert [user["displayName"] for user in sales["Resources"]] == ["Vera Sales"]
    _, managed, _ = scim.get("/Users", filter=f'{ENTERPRISE}:manager.value eq "{cast.ceo.pk}"', sortBy="displayName")
    assert [user["displayName"] for user in managed["Resources"]] == ["Vera Sales", "Victor Tech"]
    status, error, _ = scim.get("/Users", filter='nickName eq "x"')
    assert (status, error["scimType"]) == (400, "invalidFilter")


def test_a_manager_cycle_a_taken_email_and_a_bad_level_are_refused_with_scim_errors(scim: Scim, cast: Cast) -> None:
    before = list(Person.objects.order_by("pk").values())
    status, error, _ = scim.patch(
        f"/Users/{cast.ceo.pk}",
        [{"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": str(cast.ana.pk)}}],
    )
    assert (status, error["scimType"]) == (400, "invalidValue")
    assert "manager cycle" in error["detail"]
    status, error, _ = scim.post("/Users", new_user("someone@example.org", "S9", email=cast.ben.email))
    assert (status, error["scimType"]) == (409, "uniqueness")
    status, error, _ = scim.post("/Users", new_user("other@example.org", "S9", level="31"))
    assert (status, error["scimType"]) == (400, "invalidValue")
    assert "level" in error["detail"]
    status, error, _ = scim.post("/Users", new_user("third@example.org", cast.ben.employee_id))
    assert (status, error["scimType"]) == (409, "uniqueness")
    assert list(Person.objects.order_by("pk").values()) == before


def test_delete_deactivates_and_hides_and_a_new_creation_brings_them_back(scim: Scim, cast: Cast) -> None:
    status, _, _ = scim.delete(f"/Users/{cast.ben.pk}")
    assert status == 204
    cast.ben.refresh_from_db()
    cast.ben_user.refresh_from_db()
    assert (cast.ben.active, cast.ben_user.is_active) == (False, False)  # nothing deleted
    status, error, _ = scim.get(f"/Users/{cast.ben.pk}")
    assert (status, error["status"]) == (404, "404")
    status, created, _ = scim.post("/Users", new_user("ben@example.org", cast.ben.employee_id, name="Ben Junior"))
    assert status == 201, created
    assert created["id"] == str(cast.ben.pk)
    cast.ben.refresh_from_db()
    assert cast.ben.active
    assert ScimIdentity.objects.get(person=cast.ben).deleted_at is None


def test_the_high_potential_flag_is_set_and_seen_only_by_those_who_may_see_it(live_server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    importer = UserFactory(username="hris-sync")
    grant(importer, "people.import_people")
    hris = Scim(live_server.url, token_for(importer))
    status, read, _ = hris.get(f"/Users/{cast.ana.pk}")
    assert status == 200
    assert "highPotential" not in read[TWOFOLD]  # Ana is flagged, but this account may not know it
    status, error, _ = hris.patch(
        f"/Users/{cast.ben.pk}", [{"op": "replace", "path": f"{TWOFOLD}:highPotential", "value": True}]
    )
    assert status == 403, error
    cast.ben.refresh_from_db()
    assert not cast.ben.high_potential
    # The rest it may provision, new people (not flagged) included.
    status, created, _ = hris.post("/Users", new_user("hana@example.org", "H1"))
    assert status == 201, created
    status, _, _ = hris.patch(f"/Users/{cast.ben.pk}", [{"op": "replace", "path": "title", "value": "Account lead"}])
    assert status in (200, 204)
    status, read, _ = Scim(live_server.url, token_for(cast.admin)).get(f"/Users/{cast.ana.pk}")
    assert read[TWOFOLD]["highPotential"] is True


def test_etags_refuse_a_stale_write(scim: Scim, cast: Cast) -> None:
    _, _, headers = scim.get(f"/Users/{cast.ana.pk}")
    stale = headers["ETag"]
    status, _, _ = scim.patch(f"/Users/{cast.ana.pk}", [{"op": "replace", "path": "title", "value": "Data wrangler"}])
    assert status in (200, 204)
    status, error, _ = scim.patch(
        f"/Users/{cast.ana.pk}", [{"op": "replace", "path": "title", "value": "Chief"}], if_match=stale
    )
    assert status == 412, error
    cast.ana.refresh_from_db()
    assert cast.ana.title == "Data wrangler"
    status, _, _ = scim.get(f"/Users/{cast.ana.pk}", if_none_match=scim.get(f"/Users/{cast.ana.pk}")[2]["ETag"])
    assert status == 304


def test_departments_are_read_only_groups(scim: Scim, cast: Cast) -> None:
    status, groups, _ = scim.get("/Groups", filter='displayName eq "Sales"')
    assert status == 200
    [sales] = groups["Resources"]
    assert sorted(member["display"] for member in sales["members"]) == ["Ben Junior", "Vera Sales"]
    status, error, _ = scim.patch(f"/Groups/{sales['id']}", [{"op": "replace", "path": "displayName", "value": "X"}])
    assert status == 400, error
    assert Person.objects.filter(department="Sales").count() == 2


def test_without_a_token_or_without_the_scim_scope_nothing_is_read_or_changed(live_server, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    before = list(Person.objects.order_by("pk").values())
    anonymous = Scim(live_server.url, None)
    status, error, headers = anonymous.get("/Users")
    assert (status, error["schemas"]) == (401, ["urn:ietf:params:scim:api:messages:2.0:Error"])
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, error, _ = Scim(live_server.url, "not-a-token").post("/Users", new_user("x@example.org", "X1"))
    assert status == 401
    unscoped = Scim(live_server.url, token_for(cast.admin, scopes=["people:read"]))
    status, error, _ = unscoped.patch(f"/Users/{cast.ana.pk}", [{"op": "replace", "value": {"active": False}}])
    assert (status, error["status"]) == (403, "403")
    # A scim token of an account that may not import people.
    employee = Scim(live_server.url, token_for(cast.ana_user))
    status, error, _ = employee.delete(f"/Users/{cast.ben.pk}")
    assert status == 403
    assert list(Person.objects.order_by("pk").values()) == before
    # The service provider configuration is public (RFC 7643 §5) and declares the bearer token.
    status, config, _ = anonymous.get("/ServiceProviderConfig")
    assert status == 200
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert (config["patch"]["supported"], config["bulk"]["supported"], config["etag"]["supported"]) == (
        True,
        False,
        True,
    )


def test_schemas_publish_only_what_the_directory_keeps(scim: Scim) -> None:
    status, schemas, _ = scim.get("/Schemas")
    assert status == 200
    by_id = {schema["id"]: schema for schema in schemas["Resources"]}
    assert set(by_id) == {CORE, ENTERPRISE, TWOFOLD, "urn:ietf:params:scim:schemas:core:2.0:Group"}
    assert {attribute["name"] for attribute in by_id[TWOFOLD]["attributes"]} == {"level", "highPotential"}
    assert "phoneNumbers" not in {attribute["name"] for attribute in by_id[CORE]["attributes"]}
    _, types, _ = scim.get("/ResourceTypes")
    assert {resource_type["id"] for resource_type in types["Resources"]} == {"User", "Group"}


def test_entra_id_style_patches(scim: Scim, cast: Cast) -> None:
    """Entra ID capitalises its operations, sends the manager as a bare id and booleans as text."""
    status, _, _ = scim.patch(
        f"/Users/{cast.ben.pk}",
        [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ben.junior@example.org"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": str(cast.vp_tech.pk)},
            {"op": "Replace", "path": "active", "value": "False"},
        ],
    )
    assert status in (200, 204)
    cast.ben.refresh_from_db()
    assert (cast.ben.email, cast.ben.manager_id, cast.ben.active) == ("ben.junior@example.org", cast.vp_tech.pk, False)
    status, _, _ = scim.patch(f"/Users/{cast.ben.pk}", [{"op": "Replace", "path": "active", "value": "True"}])
    assert status in (200, 204)
    cast.ben.refresh_from_db()
    assert cast.ben.active


def test_okta_style_replacement_keeps_what_scim_does_not_carry(scim: Scim, cast: Cast) -> None:
    """Okta updates a User with PUT: the whole resource as it holds it."""
    _, read, _ = scim.get(f"/Users/{cast.vp_sales.pk}")
    read["title"] = "Chief Revenue Officer"
    read.pop("meta")
    status, replaced, _ = scim.request("PUT", f"/Users/{cast.vp_sales.pk}", read)
    assert status == 200, replaced
    cast.vp_sales.refresh_from_db()
    assert (cast.vp_sales.title, cast.vp_sales.location, cast.vp_sales.manager_id) == (
        "Chief Revenue Officer",
        "Berlin",
        cast.ceo.pk,
    )


def test_names_too_long_or_with_control_characters_are_refused_before_anything_is_written(
    scim: Scim, cast: Cast
) -> None:
    before = list(Person.objects.order_by("pk").values())
    too_long = {**new_user("long@example.org", "L9"), "externalId": "x" * 300}
    status, error, _ = scim.post("/Users", too_long)
    assert (status, error["scimType"]) == (400, "invalidValue")
    assert "externalId" in error["detail"]
    status, error, _ = scim.post("/Users", new_user("bell\u0007@example.org", "L9"))
    assert status == 400
    assert list(Person.objects.order_by("pk").values()) == before
    assert not ScimIdentity.objects.exists()
