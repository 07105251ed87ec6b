"""Programme pages: scoped to their managers, kind defaults in the form, states, invitations."""

from __future__ import annotations

from django.core.cache import cache
from django.urls import reverse

from tests.factories import OPERATOR, EnrolmentFactory, PersonFactory, ProgrammeFactory, UserFactory, acting
from tests.people.test_views import signed_in
from twofold.people.selectors import FILTER_OPTIONS_CACHE_KEY
from twofold.programmes.models import Enrolment, EnrolmentStatus, Programme
from twofold.programmes.services import programme_create


def form_data(programme: Programme, **changes) -> dict:  # type: ignore[no-untyped-def]
    from twofold.programmes.forms import PROGRAMME_FORM_FIELDS

    data = {}
    for name in PROGRAMME_FORM_FIELDS:
        value = getattr(programme, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    return data


def test_only_programme_staff_see_programmes(cast) -> None:
    for user in (cast.ana_user, cast.executive, cast.outsider):
        assert signed_in(user).get(reverse("programmes:list")).status_code == 403
    assert signed_in(cast.programme_manager).get(reverse("programmes:list")).status_code == 200


def test_new_programme_form_has_kind_defaults_and_creates(cast) -> None:
    client = signed_in(cast.programme_manager)
    page = client.get(reverse("programmes:new", args=["sponsorship"])).content.decode()
    assert 'name="capacity" value="3"' in page and 'name="mentor_min_level" value="7"' in page
    template = programme_create(actor=OPERATOR, name="Template", kind="sponsorship")
    response = client.post(reverse("programmes:new", args=["sponsorship"]), form_data(template, name="Rising leaders"))
    created = Programme.objects.get(name="Rising leaders")
    assert response["Location"] == reverse("programmes:detail", args=[created.pk])
    assert created.managers.get() == cast.programme_manager and created.capacity == 3
    assert client.get(reverse("programmes:new", args=["coaching"])).status_code == 404


def test_invalid_settings_are_explained(cast) -> None:
    client = signed_in(cast.programme_manager)
    template = programme_create(actor=OPERATOR, name="Template", kind="reverse_mentoring")
    response = client.post(
        reverse("programmes:new", args=["reverse_mentoring"]),
        form_data(template, name="Bad", mentee_min_level=9, mentee_max_level=4),
    )
    assert response.status_code == 400
    assert "Mentee min level is above mentee max level." in response.content.decode()
    assert not Programme.objects.filter(name="Bad").exists()


def test_managers_are_scoped_to_their_programmes(cast) -> None:
    mine = programme_create(name="Mine", kind="reverse_mentoring", actor=cast.programme_manager)
    other_manager = UserFactory(username="pm2", is_programme_manager=True)
    theirs = programme_create(name="Theirs", kind="reverse_mentoring", actor=other_manager)
    client = signed_in(cast.programme_manager)
    listing = client.get(reverse("programmes:list")).content.decode()
    assert "Mine" in listing and "Theirs" not in listing
    for name in ("detail", "edit", "enrolments"):
        assert client.get(reverse(f"programmes:{name}", args=[theirs.pk])).status_code == 404
        assert client.get(reverse(f"programmes:{name}", args=[mine.pk])).status_code == 200
    assert client.post(reverse("programmes:move", args=[theirs.pk]), {"to_state": "enrolling"}).status_code == 404
    admin_listing = signed_in(cast.admin).get(reverse("programmes:list")).content.decode()
    assert "Mine" in admin_listing and "Theirs" in admin_listing


def test_state_buttons_follow_the_allowed_edges(cast) -> None:
    programme = programme_create(name="Flow", kind="reverse_mentoring", actor=cast.programme_manager)
    client = signed_in(cast.programme_manager)
    assert "Open enrolment" in client.get(reverse("programmes:detail", args=[programme.pk])).content.decode()
    client.post(reverse("programmes:move", args=[programme.pk]), {"to_state": "enrolling"})
    programme.refresh_from_db()
    assert programme.state == "enrolling"
    response = client.post(reverse("programmes:move", args=[programme.pk]), {"to_state": "running"}, follow=True)
    assert "cannot move to running" in response.content.decode()
    programme.refresh_from_db()
    assert programme.state == "enrolling"


def test_edit_saves_through_the_service(cast) -> None:
    programme = programme_create(name="Edit me", kind="reverse_mentoring", actor=cast.programme_manager)
    client = signed_in(cast.programme_manager)
    response = client.post(reverse("programmes:edit", args=[programme.pk]), form_data(programme, cadence_days=21))
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.cadence_days == 21


def test_invite_by_filter_from_the_enrolments_page(cast) -> None:
    programme = programme_create(name="Invite", kind="reverse_mentoring", actor=cast.programme_manager)
    client = signed_in(cast.programme_manager)
    chosen = {"role": "mentor", "min_level": 1, "max_level": 3, "departments": ["Engineering", "Sales"]}
    preview = client.get(reverse("programmes:invite", args=[programme.pk]), chosen).content.decode()
    assert "2 people to invite as mentors" in preview and not Enrolment.objects.exists()
    response = client.post(reverse("programmes:invite", args=[programme.pk]), chosen, follow=True)
    page = response.content.decode()
    assert "Invited 2 people; their invitations are being emailed." in page
    assert set(Enrolment.objects.values_list("person__employee_id", "status")) == {
        ("J1", EnrolmentStatus.INVITED),
        ("J2", EnrolmentStatus.INVITED),
    }
    assert "Ana Junior" in page and "Ben Junior" in page
    response = client.post(
        reverse("programmes:invite", args=[programme.pk]), {"role": "mentor", "min_level": 5, "max_level": 2}
    )
    assert response.status_code == 400 and "is above" in response.content.decode()


def test_participant_applies_to_an_open_programme(cast) -> None:
    from twofold.programmes.services import programme_transition

    programme = programme_create(actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring")
    client = signed_in(cast.ana_user)
    assert "Digital fluency" not in client.get(reverse("relationships:mine")).content.decode()
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    page = client.get(reverse("relationships:mine")).content.decode()
    assert "Digital fluency" in page and "Apply as mentor" in page
    response = client.post(
        reverse("programmes:apply", args=[programme.pk]),
        {"role": "mentor", "goals": "Show leaders what GenAI can do", "availability": ["0", "3"], "capacity": 2},
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(person=cast.ana)
    assert (enrolment.role, enrolment.status, enrolment.availability, enrolment.capacity) == (
        "mentor",
        "active",
        0b1001,
        2,
    )
    # A senior leader is offered the other side only.
    assert "Apply as mentee" in signed_in(cast.vp_tech_user).get(reverse("relationships:mine")).content.decode()
    response = signed_in(cast.vp_tech_user).post(
        reverse("programmes:apply", args=[programme.pk]), {"role": "mentor", "goals": "x"}
    )
    assert response.status_code == 400


def test_invited_participant_accepts_or_declines(cast) -> None:
    from twofold.programmes.enrolment_services import enrolment_invite_by_filter
    from twofold.programmes.selectors import InviteFilter
    from twofold.programmes.services import programme_transition

    programme = programme_create(actor=OPERATOR, name="Invited", kind="reverse_mentoring")
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    enrolment_invite_by_filter(actor=OPERATOR, programme=programme, role="mentor", where=InviteFilter(max_level=2))
    ana, ben = signed_in(cast.ana_user), signed_in(cast.ben_user)
    assert "invites you as a mentor" in ana.get(reverse("relationships:mine")).content.decode()
    ana.post(reverse("programmes:apply", args=[programme.pk]), {"role": "mentor", "goals": "Happy to"})
    assert Enrolment.objects.get(person=cast.ana).status == "active"
    ben_enrolment = Enrolment.objects.get(person=cast.ben)
    ben.post(reverse("programmes:decline_invitation", args=[ben_enrolment.pk]))
    assert Enrolment.objects.get(person=cast.ben).status == "declined"
    # Nobody can answer someone else's invitation or leave for them.
    ana_enrolment = Enrolment.objects.get(person=cast.ana)
    assert ben.post(reverse("programmes:withdraw", args=[ana_enrolment.pk])).status_code == 404
    # Leaving asks first: without JavaScript on a page of its own, which posts again confirmed.
    asked = ana.post(reverse("programmes:withdraw", args=[ana_enrolment.pk]))
    assert asked.status_code == 200 and "Yes, leave the programme" in asked.content.decode()
    assert Enrolment.objects.get(person=cast.ana).status == "active"
    ana.post(reverse("programmes:withdraw", args=[ana_enrolment.pk]), {"confirmed": "yes"})
    assert Enrolment.objects.get(person=cast.ana).status == "withdrawn"


def test_line_manager_approves_from_my_programmes(cast) -> None:
    from twofold.programmes.enrolment_services import enrolment_apply
    from twofold.programmes.services import programme_transition

    programme = programme_create(
        actor=OPERATOR, name="Approval needed", kind="reverse_mentoring", requires_manager_approval=True
    )
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    enrolment = enrolment_apply(programme=programme, actor=acting(cast.ana), role="mentor", goals="Teach GenAI")
    assert enrolment.status == "pending_approval"
    # Vera is not in Ana's line: nothing waits for her, and her approval is refused.
    assert (
        "waiting for your approval"
        not in signed_in(cast.vp_sales_user).get(reverse("relationships:mine")).content.decode()
    )
    response = signed_in(cast.vp_sales_user).post(
        reverse("programmes:approve", args=[enrolment.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    lena = signed_in(UserFactory(username="lena", person=cast.lead_tech))
    page = lena.get(reverse("relationships:mine")).content.decode()
    assert "Applications waiting for your approval" in page and "Ana Junior" in page
    lena.post(reverse("programmes:approve", args=[enrolment.pk]), {"decision": "approve"})
    enrolment.refresh_from_db()
    assert enrolment.status == "active" and enrolment.approved_by == cast.lead_tech


def test_applications_waiting_cost_the_same_queries_however_many(cast) -> None:
    """The list reads only the columns it shows: a field it did not read would cost a query a row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.programmes.enrolment_services import enrolment_apply
    from twofold.programmes.services import programme_transition

    lena = signed_in(UserFactory(username="lena", person=cast.lead_tech))
    lena.get(reverse("relationships:mine"))  # the first visit makes the calendar feed's address
    counts = []
    for number in (1, 3):
        programme = programme_create(
            actor=OPERATOR, name=f"Approval {number}", kind="reverse_mentoring", requires_manager_approval=True
        )
        programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
        for index in range(number):
            applicant = PersonFactory(name=f"Applicant {number}-{index}", manager=cast.lead_tech, level=2)
            enrolment = enrolment_apply(
                programme=programme, actor=acting(applicant), role="mentor", goals=f"Goal {index}"
            )
            assert enrolment.status == "pending_approval"
        with CaptureQueriesContext(connection) as captured:
            page = lena.get(reverse("relationships:mine")).content.decode()
        counts.append(len(captured.captured_queries))
        section = page[page.index('id="approvals-heading"') :]
        for index in range(number):
            assert (
                f"<strong>Applicant {number}-{index}</strong> applied to Approval {number} as a mentor."
                f" “Goal {index}”" in section
            )
    assert counts[0] == counts[1]


def test_programme_pages_take_the_same_queries_at_any_size(cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import PersonFactory
    from twofold.programmes.enrolment_services import enrolment_create
    from twofold.programmes.services import programme_transition

    client = signed_in(cast.programme_manager)
    counts: dict[str, list[int]] = {}
    for size in (2, 25):
        programme = programme_create(name=f"Size {size}", kind="reverse_mentoring", actor=cast.programme_manager)
        programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
        for _ in range(size):
            enrolment_create(actor=OPERATOR, programme=programme, person=PersonFactory(level=2), role="mentor")
        for name, url in (
            ("list", reverse("programmes:list")),
            ("detail", reverse("programmes:detail", args=[programme.pk])),
            ("enrolments", reverse("programmes:enrolments", args=[programme.pk])),
            ("runs", reverse("matchruns:list", args=[programme.pk])),
        ):
            client.get(url)  # warm the caches
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            counts.setdefault(name, []).append(len(context.captured_queries))
    assert all(small == large for small, large in counts.values()), counts


def test_the_programme_form_speaks_the_kind_and_hides_what_it_does_not_use(cast) -> None:
    client = signed_in(cast.programme_manager)
    page = client.get(reverse("programmes:new", args=["reverse_mentoring"])).content.decode()
    assert "Reverse mentors at level … or below" in page and "Seats per reverse mentor" in page
    assert "Length (months)" in page and "Meet every … days" in page
    assert 'name="fairness_enabled"' not in page and 'name="requires_high_potential"' not in page
    page = client.get(reverse("programmes:new", args=["sponsorship"])).content.decode()
    assert "Protégés at level … or above" in page and "Seats per sponsor" in page
    assert 'name="fairness_enabled"' in page and "Mentors/sponsors" not in page


def test_a_hidden_setting_keeps_its_value_and_one_in_use_stays_shown(cast) -> None:
    programme = programme_create(name="Fair RM", kind="reverse_mentoring", actor=cast.programme_manager)
    client = signed_in(cast.programme_manager)
    # A crafted post cannot set what the form does not show.
    crafted = form_data(programme, cadence_days=21, fairness_enabled="on", fairness_tolerance="0.2")
    response = client.post(reverse("programmes:edit", args=[programme.pk]), crafted)
    assert response.status_code == 302
    programme.refresh_from_db()
    assert (programme.cadence_days, programme.fairness_enabled) == (21, False)
    assert programme.fairness_tolerance != 0.2
    Programme.objects.filter(pk=programme.pk).update(fairness_enabled=True)
    page = client.get(reverse("programmes:edit", args=[programme.pk])).content.decode()
    assert 'name="fairness_enabled"' in page and 'name="fairness_tolerance"' in page


def test_each_enrolment_row_shows_person_role_status_seats_and_note(cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    mentor = EnrolmentFactory(programme=programme, person=cast.ana, capacity=3, seats_taken=1)
    mentee = EnrolmentFactory(
        programme=programme,
        person=cast.vp_tech,
        role="mentee",
        status=EnrolmentStatus.WITHDRAWN,
        nominated_by=cast.lead_tech,
        status_reason=" <left the company>",
    )
    page = signed_in(cast.programme_manager).get(reverse("programmes:enrolments", args=[programme.pk]))
    html = " ".join(page.content.decode().split())
    for enrolment, role, seats, note in (
        (mentor, programme.mentor_label, "1 / 3", ""),
        (mentee, programme.mentee_label, "—", "Nominated by Lena Lead &lt;left the company&gt;"),
    ):
        person = enrolment.person
        link = f'<a href="{reverse("people:person", args=[person.pk])}">{person.name}</a>'
        cells = [role[:1].upper() + role[1:], enrolment.get_status_display(), person.level, person.department, seats]
        assert f"<td>{link}</td> " + " ".join(f"<td>{cell}</td>" for cell in [*cells, note]) in html


def test_the_invitation_filter_offers_the_directorys_departments_as_they_are_now(cast) -> None:
    programme = ProgrammeFactory(managers=[cast.programme_manager])
    client = signed_in(cast.programme_manager)
    url = reverse("programmes:enrolments", args=[programme.pk])
    assert '<option value="Engineering">' in client.get(url).content.decode()
    assert "Treasury" not in client.get(url).content.decode()
    PersonFactory(department="Treasury", location="Lisbon")
    cache.delete(FILTER_OPTIONS_CACHE_KEY)  # as an import does
    page = client.get(url).content.decode()
    assert '<option value="Treasury">Treasury</option>' in page and '<option value="Lisbon">Lisbon</option>' in page


def test_applying_reads_the_programme_whole(cast) -> None:
    """The programme applied to is read whole with the offer's rule (the service reads more of it than
    the offers show): no column loaded later by a query of its own, on the web or through the API's
    selector, and a programme not offered is None."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from twofold.programmes.selectors import programme_open_to, programmes_open_to
    from twofold.programmes.services import programme_transition

    programme = programme_create(actor=OPERATOR, name="Digital fluency", kind="reverse_mentoring")
    assert programme_open_to(cast.ana, programme.pk) is None
    programme_transition(actor=OPERATOR, programme=programme, to_state="enrolling")
    offered, roles = programme_open_to(cast.ana, programme.pk)  # type: ignore[misc]
    assert offered == programme and not offered.get_deferred_fields()
    assert [(offer, offer_roles) for offer, offer_roles in programmes_open_to(cast.ana)] == [(programme, roles)]
    client = signed_in(cast.ana_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("programmes:apply", args=[programme.pk]), {"role": "mentor", "goals": "x"})
    assert response.status_code == 302 and Enrolment.objects.filter(person=cast.ana, programme=programme).exists()
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and 'FROM "programmes_programme"' in q["sql"]]
    # A column read later on its own would be a query naming a few columns of the programme.
    assert reads and all('"programmes_programme"."requires_manager_approval"' in sql for sql in reads), reads
