"""The match review board: runs, why each pair, lock / remove / swap with rule checks, publish."""

from __future__ import annotations

from django.template.defaultfilters import floatformat
from django.urls import reverse

from tests.factories import OPERATOR, PersonFactory, UserFactory
from tests.matchruns.test_match_runs import matching_programme
from tests.people.test_views import signed_in
from twofold.matchruns.models import MatchRun, Proposal, Unmatched
from twofold.matchruns.publishing import match_run_publish
from twofold.matchruns.review import proposal_lock
from twofold.matchruns.services import match_run_start
from twofold.people.models import Person
from twofold.people.services import people_tree_rebuild
from twofold.relationships.models import Relationship


def managed(cast, **kwargs):  # type: ignore[no-untyped-def]
    programme = matching_programme(cast, **kwargs)
    programme.managers.add(cast.programme_manager)
    return programme


def test_run_matching_and_see_why(cast) -> None:
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    response = client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get(programme=programme)
    assert response["Location"] == reverse("matchruns:board", args=[programme.pk, run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Proposed pairs (2)" in page and "Proven optimal" in page
    assert "From different departments" in page and "Publish 2 proposals" in page
    assert signed_in(cast.programme_manager).get(reverse("matchruns:latest", args=[programme.pk])).status_code == 200


def test_board_is_for_the_programme_managers_only(cast) -> None:
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get()
    other = UserFactory(username="pm2", is_programme_manager=True)
    for user in (cast.ana_user, cast.executive, other):
        # The answer an unknown id gets (hole 12).
        assert signed_in(user).get(reverse("matchruns:board", args=[programme.pk, run.pk])).status_code == 404
        assert signed_in(user).post(reverse("matchruns:publish", args=[programme.pk, run.pk])).status_code == 404


def test_swap_inside_a_reporting_line_is_refused_with_the_reason(cast) -> None:
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get()
    ids = [str(pk) for pk in run.proposals.values_list("pk", flat=True)]
    url = reverse("matchruns:change", args=[programme.pk, run.pk])
    # With htmx only the board comes back, carrying the message.
    response = client.post(url, {"action": "swap", "proposal": ids}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert '<div id="board">' in body and "same reporting chain" in body and "<html" not in body
    # Without JavaScript: redirect, and the message on the board page.
    response = client.post(url, {"action": "swap", "proposal": ids[:1]}, follow=True)
    assert "Tick exactly two pairs to swap their partners." in response.content.decode()


def test_swap_lock_remove_then_publish(cast) -> None:
    PersonFactory(employee_id="X1", name="Xena Outside", level=8, department="Finance", manager=cast.ceo)
    PersonFactory(employee_id="X2", name="Yuri Outside", level=7, department="Legal", manager=cast.ceo)
    people_tree_rebuild()
    cast.xena, cast.yuri = Person.objects.get(employee_id="X1"), Person.objects.get(employee_id="X2")
    programme = managed(cast, mentees=("xena", "yuri"))
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get()
    before = set(run.proposals.values_list("mentor_id", "mentee_id"))
    url = reverse("matchruns:change", args=[programme.pk, run.pk])
    ids = [str(pk) for pk in run.proposals.values_list("pk", flat=True)]
    client.post(url, {"action": "swap", "proposal": ids})
    after = set(run.proposals.values_list("mentor_id", "mentee_id"))
    assert after != before and len(after) == 2
    first = run.proposals.order_by("pk").first()
    client.post(url, {"row": f"lock:{first.pk}"})
    first.refresh_from_db()
    assert first.locked
    client.post(url, {"row": f"remove:{run.proposals.exclude(pk=first.pk).get().pk}"})
    assert run.proposals.count() == 1
    page = client.get(reverse("matchruns:board", args=[programme.pk, run.pk])).content.decode()
    assert "Removed by a programme manager" in page
    # Publishing asks first; without JavaScript, a page whose button posts again confirmed.
    asked = client.post(reverse("matchruns:publish", args=[programme.pk, run.pk]))
    assert asked.status_code == 200 and "Yes, publish" in asked.content.decode()
    response = client.post(reverse("matchruns:publish", args=[programme.pk, run.pk]), {"confirmed": "yes"}, follow=True)
    assert "Published: 1 proposal sent, each to both people in it." in response.content.decode()
    assert Relationship.objects.count() == 1


def test_board_queries_do_not_grow_with_the_run(cast, django_assert_max_num_queries) -> None:
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get()
    with django_assert_max_num_queries(7):
        assert client.get(reverse("matchruns:board", args=[programme.pk, run.pk])).status_code == 200


def test_a_large_run_is_published_by_a_worker_while_the_board_follows_it(
    cast, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from twofold.matchruns import publishing

    monkeypatch.setattr(publishing, "BACKGROUND_PUBLISH", 2)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get(programme=programme)
    board = reverse("matchruns:board", args=[programme.pk, run.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("matchruns:publish", args=[programme.pk, run.pk]), {"confirmed": "yes"})
    run.refresh_from_db()
    assert response["Location"] == board and run.status == "publishing"
    assert not Relationship.objects.exists() and len(queued) == 1
    page = client.get(board).content.decode()
    assert "A background worker sends the proposals" in page
    assert "Being published: 2 of 2 proposals still to send" in page and 'hx-trigger="every 3s"' in page
    status = client.get(board, headers={"HX-Request": "true", "HX-Target": "run-status"}).content.decode()
    assert "0 sent, 0 not sent" in status

    queued[0]()
    run.refresh_from_db()
    assert run.status == "published" and Relationship.objects.filter(programme=programme).count() == 2
    finished = client.get(board, headers={"HX-Request": "true", "HX-Target": "run-status"})
    assert finished.status_code == 204 and finished["HX-Redirect"] == board


def test_a_search_narrows_the_rows_not_the_number_to_publish(cast) -> None:
    """Publishing sends every proposal of the run, so its button and its question count them all,
    whatever the board's search shows."""
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get()
    shown = run.proposals.select_related("mentee__person").order_by("pk").first()
    assert shown is not None and run.proposals.count() == 2
    url = reverse("matchruns:board", args=[programme.pk, run.pk])
    page = client.get(url, {"q": shown.mentee.person.name}).content.decode()
    assert "Proposed pairs (1)" in page
    assert "Publish 2 proposals</button>" in page and "Send 2 proposals to the people in them?" in page


def test_removing_a_pair_with_htmx_updates_the_number_to_publish(cast) -> None:
    """The publish button sits in the page head, outside the board htmx swaps: it comes along out of
    band, so that the dialog never asks to send a number of proposals the board no longer holds."""
    programme = managed(cast)
    client = signed_in(cast.programme_manager)
    client.post(reverse("matchruns:start", args=[programme.pk]))
    run = MatchRun.objects.get()
    first = run.proposals.order_by("pk").first()
    assert first is not None
    url = reverse("matchruns:change", args=[programme.pk, run.pk])
    body = client.post(url, {"row": f"remove:{first.pk}"}, HTTP_HX_REQUEST="true").content.decode()
    assert run.proposals.count() == 1
    assert '<div id="run-actions" hx-swap-oob="true">' in body and "Publish 1 proposal</button>" in body
    assert "Send 1 proposal to the people in them?" in body and "Publish 2 proposals" not in body
    # The full page has the actions once, in place.
    page = client.get(reverse("matchruns:board", args=[programme.pk, run.pk])).content.decode()
    assert page.count('id="run-actions"') == 1 and "hx-swap-oob" not in page


def test_each_row_shows_its_people_figures_and_state(cast) -> None:
    programme = managed(cast, mentors=("ana", "ben"), mentees=("vp_tech", "vp_sales"))
    run = match_run_start(actor=OPERATOR, programme=programme)
    first, second = run.proposals.order_by("-score", "pk")
    proposal_lock(actor=OPERATOR, proposal=first, locked=True)
    Proposal.objects.filter(pk=second.pk).update(origin="swap")
    client = signed_in(cast.programme_manager)
    url = reverse("matchruns:board", args=[programme.pk, run.pk])
    page = " ".join(client.get(url).content.decode().split())
    for proposal in (first, second):
        for person in (proposal.mentor.person, proposal.mentee.person):
            link = f'<a href="{reverse("people:person", args=[person.pk])}">{person.name}</a>'
            assert f'{link}<br><span class="muted">L{person.level} · {person.department}</span>' in page
        assert f'value="remove:{proposal.pk}"' in page and f'id="pick-{proposal.pk}"' in page
    assert f'{floatformat(first.score, 2)} <span class="badge">Locked</span>' in page
    assert f'value="unlock:{first.pk}"' in page and f'value="lock:{second.pk}"' in page
    assert f'{floatformat(second.score, 2)} <span class="badge muted">Swapped</span>' in page
    # Published: each row says whether its proposal was sent, and why not.
    match_run_publish(actor=OPERATOR, run=run)
    Proposal.objects.filter(pk=second.pk).update(relationship=None, skipped_reason="Ben has left")
    page = " ".join(client.get(url).content.decode().split())
    sent = '<span class="badge">Locked</span><br><span class="badge">Sent</span>'
    assert f"{floatformat(first.score, 2)} {sent}" in page
    assert '<span class="badge muted">Not sent</span> <span class="muted">Ben has left</span>' in page


def test_each_person_without_a_partner_is_listed_with_role_and_reason(cast) -> None:
    programme = managed(cast, mentors=("ana",), mentees=("vp_tech",))
    run = match_run_start(actor=OPERATOR, programme=programme)
    page = signed_in(cast.programme_manager).get(reverse("matchruns:board", args=[programme.pk, run.pk]))
    page = " ".join(page.content.decode().split())
    for left_out in Unmatched.objects.filter(run=run).select_related("enrolment__person"):
        person = left_out.enrolment.person
        role = {"mentor": "Mentor", "mentee": "Mentee"}[left_out.enrolment.role]
        link = f'<a href="{reverse("people:person", args=[person.pk])}">{person.name}</a>'
        assert f"<tr><td>{link}</td><td>{role}</td><td>{left_out.reason}</td></tr>" in page
    assert Unmatched.objects.filter(run=run).count() == 2
