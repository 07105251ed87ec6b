"""The project's routes, and the one scene the route matrix (:mod:`tests.test_route_matrix`) and the
API's matrix ask every route about: real objects for every path parameter and a valid form for every
POST, built for each test by the :func:`scene` fixture (a plugin of ``tests/conftest.py``).

An active reverse-mentoring pair (Ana mentoring Vera), an active sponsorship of the same two (Vera
sponsoring Ana), a proposal between them waiting for answers, another pair (Ben and Victor) in a
programme another manager runs, an invitation, an application waiting for its line manager, a
meeting, an advocacy action, a concern, a match run proposing a pair and a webhook.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import EnrolmentFactory, MeetingFactory, PersonFactory, ProgrammeFactory, UserFactory
from tests.relationships.pairing import MENTEE, MENTOR, pair_up, propose
from twofold.accounts.models import User
from twofold.accounts.tokens import issue_token
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal
from twofold.people.models import ImportJob, ImportJobStatus, Skill
from twofold.people.services import people_tree_rebuild
from twofold.programmes.models import EnrolmentStatus, MatchingMode, ProgrammeState
from twofold.relationships.calendar import calendar_feed_for
from twofold.relationships.models import AdvocacyAction, Concern, MeetingStatus, Relationship
from twofold.webhooks.models import Delivery, DeliveryStatus, Subscription

# --- the routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    parameters: frozenset[str]


def project_routes(
    patterns: list[Any] | None = None, prefix: str = "", inherited: frozenset[str] = frozenset()
) -> list[Route]:
    """Every route of the project's URL map, the Django admin's aside, with its path parameters."""
    found: list[Route] = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        parameters = inherited | set(getattr(pattern.pattern, "converters", {}))
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found += project_routes(pattern.url_patterns, namespace, frozenset(parameters))
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"the route {pattern.pattern} has no name: name it, and give it a row in TABLE"
            found.append(Route(f"{prefix}{pattern.name}", frozenset(parameters - set(pattern.default_args))))
    return found


ROUTES = {route.name: route for route in project_routes()}


# --- the scene -----------------------------------------------------------------------------------


class RereadableFile(io.BytesIO):
    """An upload the test client can send once per role: each read starts from the beginning."""

    def __init__(self, content: bytes, name: str) -> None:
        super().__init__(content)
        self.name = name

    def read(self, size: int | None = -1) -> bytes:
        self.seek(0)
        return super().read(size)


@dataclass
class Scene:
    users: dict[str, User | None]
    kwargs: dict[str, dict[str, Any]]  # route name -> its path parameters
    posts: dict[str, dict[str, Any]]  # route name -> a valid form for it
    ids: dict[str, int]  # the scene's objects by what they are, for the API's paths


def _when(delta: timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def scene(cast: Cast) -> Scene:
    eve = PersonFactory(employee_id="E1", name="Eve Employee", level=3, department="Finance")
    # In the pool without a partner, and a free mentor the rules allow for them.
    sam = PersonFactory(employee_id="S9", name="Sam Senior", level=8, department="Operations")
    june = PersonFactory(employee_id="J9", name="June Junior", level=2, department="Marketing")
    max_mentor = PersonFactory(employee_id="J8", name="Max Junior", level=2, department="Design")
    people_tree_rebuild()
    other_pm = UserFactory(username="pm-elsewhere", is_programme_manager=True)
    users: dict[str, User | None] = {
        "anonymous": None,
        "employee": UserFactory(username="eve", person=eve),
        "junior": cast.ana_user,
        "senior": cast.vp_sales_user,
        "other_pair": cast.ben_user,
        "line_manager": UserFactory(username="lena", person=cast.lead_tech),
        "other_pm": other_pm,
        "pm": cast.programme_manager,
        "executive": cast.executive,
        "admin": cast.admin,
    }
    pm = [cast.programme_manager]
    mentoring = ProgrammeFactory(name="Digital fluency", state=ProgrammeState.MATCHING, managers=pm)
    sponsorship = ProgrammeFactory(name="Rising leaders", sponsorship=True, state=ProgrammeState.MATCHING, managers=pm)
    second_round = ProgrammeFactory(
        name="Digital fluency, round two", state=ProgrammeState.MATCHING, allow_repeat_pairs=True, managers=pm
    )
    elsewhere = ProgrammeFactory(
        name="Someone else's", state=ProgrammeState.MATCHING, requires_manager_approval=True, managers=[other_pm]
    )
    future = ProgrammeFactory(name="Future leaders", sponsorship=True, state=ProgrammeState.ENROLLING, managers=pm)
    month_ago = timezone.now() - timedelta(days=30)
    pair = pair_up(mentoring, cast.ana, cast.vp_sales, now=month_ago)
    sponsored = pair_up(sponsorship, cast.vp_sales, cast.ana, now=month_ago)
    proposal = propose(second_round, cast.ana, cast.vp_sales, now=month_ago)
    pair_up(elsewhere, cast.ben, cast.vp_tech, now=month_ago)
    invitation = EnrolmentFactory(programme=mentoring, person=eve, role=MENTEE, status=EnrolmentStatus.INVITED)
    application = EnrolmentFactory(
        programme=elsewhere, person=cast.ana, role=MENTOR, status=EnrolmentStatus.PENDING_APPROVAL
    )
    meeting = MeetingFactory(
        relationship=pair, status=MeetingStatus.SCHEDULED, starts_at=timezone.now() + timedelta(days=2)
    )
    MeetingFactory(relationship=pair, status=MeetingStatus.HELD, starts_at=timezone.now() - timedelta(days=20))
    action = AdvocacyAction.objects.create(
        relationship=sponsored, kind="introduction", happened_on=timezone.localdate(), description="Board"
    )
    concern = Concern.objects.create(relationship=pair, raised_by=cast.ana, text="Worried")
    run = MatchRun.objects.create(programme=mentoring, status=MatchRunStatus.READY)
    # In the pool without a partner: a programme manager may pick one for them.
    waiting = EnrolmentFactory(programme=mentoring, person=sam, role=MENTEE, status=EnrolmentStatus.ACTIVE)
    free_mentor = EnrolmentFactory(programme=mentoring, person=june, role=MENTOR, status=EnrolmentStatus.ACTIVE)
    run_proposal = Proposal.objects.create(run=run, mentor=free_mentor, mentee=waiting, score=0.7)
    # Participant choice: Vera chooses her mentor among those the engine ranks for her (June).
    choosing = ProgrammeFactory(
        name="Choose your mentor",
        state=ProgrammeState.MATCHING,
        matching_mode=MatchingMode.PARTICIPANT_CHOICE,
        managers=pm,
    )
    EnrolmentFactory(programme=choosing, person=cast.vp_sales, role=MENTEE, status=EnrolmentStatus.ACTIVE)
    june_choosable = EnrolmentFactory(programme=choosing, person=june, role=MENTOR, status=EnrolmentStatus.ACTIVE)
    # Vera's own request in another participant-choice programme, waiting for its partner: she may withdraw it.
    choosing_again = ProgrammeFactory(
        name="Choose again", state=ProgrammeState.MATCHING, matching_mode=MatchingMode.PARTICIPANT_CHOICE, managers=pm
    )
    vera_request = propose(choosing_again, max_mentor, cast.vp_sales, now=month_ago)
    Relationship.objects.filter(pk=vera_request.pk).update(requested_by_mentee=True, mentee_answer="accepted")
    skill = Skill.objects.create(name="Prompting")
    webhook = Subscription.objects.create(
        name="HR channel", url="https://hooks.example.org/hr", events=["proposal.made"], secret="whsec_scene"
    )
    # A delivery that gave up, still within the days it may be resent from the log.
    failed = Delivery.objects.create(
        subscription=webhook,
        event="proposal.made",
        payload={"programme": {"id": mentoring.pk}},
        occurred_at=timezone.now(),
        status=DeliveryStatus.FAILED,
        attempts=8,
    )
    import_job = ImportJob.objects.create(
        actor=cast.admin, file_path="gone.csv", file_name="hris.csv", preset="generic", status=ImportJobStatus.FAILED
    )
    ana_token, _ = issue_token(
        actor=cast.ana_user, user=cast.ana_user, name="script", scopes=["programmes:read"], kind="personal"
    )

    on_pair = {"pk": pair.pk}
    kwargs: dict[str, dict[str, Any]] = {
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "people:person": {"pk": cast.ana.pk},
        "people:import_job": {"pk": import_job.pk},
        "people:import_job_retry": {"pk": import_job.pk},
        "dataprotection:person_export_json": {"pk": cast.ana.pk},
        "dataprotection:person_export_html": {"pk": cast.ana.pk},
        "insights:programme": {"pk": mentoring.pk},
        "insights:programme_refresh": {"pk": mentoring.pk},
        "insights:report": {"pk": mentoring.pk, "fmt": "csv"},
        "insights:table": {"pk": mentoring.pk, "slug": "meeting-cadence", "fmt": "xlsx"},
        "programmes:new": {"kind": "reverse_mentoring"},
        "programmes:apply": {"pk": sponsorship.pk},
        "programmes:decline_invitation": {"pk": invitation.pk},
        "programmes:withdraw": {"pk": invitation.pk},
        "programmes:approve": {"pk": application.pk},
        "programmes:email": {"pk": mentoring.pk, "kind": "invitation"},
        "relationships:calendar_feed": {"token": calendar_feed_for(cast.ana).token},
        "relationships:answer": {"pk": proposal.pk},
        "relationships:withdraw_request": {"pk": vera_request.pk},
        "relationships:advocacy": {"pk": sponsored.pk},
        "relationships:advocacy_outcome": {"pk": sponsored.pk, "action_id": action.pk},
        "relationships:meeting_edit": {**on_pair, "meeting_id": meeting.pk},
        "relationships:programme_health": {"pk": mentoring.pk},
        "relationships:concern_handle": {"pk": concern.pk},
        # SCIM answers bearer tokens only (tests/scim): a signed-in session is not enough.
        "scim:user": {"resource_id": cast.ana.pk},
        "scim:group": {"resource_id": "U2FsZXM"},
        "token_revoke": {"pk": ana_token.pk},
        "webhooks:detail": {"pk": webhook.pk},
        "webhooks:test": {"pk": webhook.pk},
        "webhooks:active": {"pk": webhook.pk},
        "webhooks:edit": {"pk": webhook.pk},
        "webhooks:rotate": {"pk": webhook.pk},
        "webhooks:resend": {"pk": webhook.pk, "delivery_id": failed.pk},
        "relationships:pair": {"pk": mentoring.pk, "pair_id": pair.pk},
        "relationships:pair_end": {"pk": mentoring.pk, "pair_id": pair.pk},
        "relationships:pair_extend": {"pk": mentoring.pk, "pair_id": pair.pk},
        "relationships:pair_nudge": {"pk": mentoring.pk, "pair_id": pair.pk},
        "relationships:pairs": {"pk": mentoring.pk},
        "relationships:pairs_csv": {"pk": mentoring.pk},
        "relationships:pick_partner": {"pk": mentoring.pk, "enrolment_id": waiting.pk},
        "choice:partners": {"pk": choosing.pk},
    }
    for name, route in ROUTES.items():
        if name in kwargs or not route.parameters:
            continue
        if name.startswith(("programmes:", "matchruns:")):
            kwargs[name] = (
                {"pk": mentoring.pk, "run_id": run.pk} if "run_id" in route.parameters else {"pk": mentoring.pk}
            )
        elif name.startswith("relationships:"):
            kwargs[name] = on_pair

    posts: dict[str, dict[str, Any]] = {
        "programmes:move": {"to_state": ProgrammeState.RUNNING},
        "programmes:invite": {"role": MENTOR, "max_level": 3},
        "programmes:add": {"person": [cast.ben.pk], f"role-{cast.ben.pk}": MENTOR},
        "programmes:add_file": {"file": RereadableFile(b"employee_id,role\nJ2,mentor\n", "pool.csv")},
        "programmes:email": {"action": "save", "subject": "Join {{ programme_name }}", "body": "Hello {{ name }}"},
        "programmes:apply": {"role": MENTEE, "goals": "Visibility", "availability": ["0"], "aspiration": ""},
        "programmes:decline_invitation": {},
        "programmes:withdraw": {"reason": "No time", "confirmed": "yes"},
        "programmes:approve": {"decision": "approve"},
        "matchruns:start": {},
        "choice:partners": {"partner": june_choosable.pk},
        "matchruns:change": {"row": "lock:1"},
        "matchruns:rerun": {},
        "matchruns:publish": {"confirmed": "yes"},
        "people:my_skills": {},
        "people:delegate_choose": {"colleague": "E1"},
        "people:delegate_remove": {},
        "people:my_self_identification": {"consent": "on", "gender": "woman"},
        "people:my_self_identification_withdraw": {},
        "people:import": {},
        "people:import_confirm": {},
        "people:import_cancel": {},
        "people:import_job_retry": {},
        "insights:refresh": {},
        "insights:programme_refresh": {},
        "programmes:new": {},
        "programmes:edit": {},
        "programmes:copy": {},
        "relationships:calendar_rotate": {},
        "relationships:answer": {"answer": "accept"},
        "relationships:agreement": {"goals": "Ours", "cadence_days": 14, "confidentiality": "Between us."},
        "relationships:agreement_accept": {},
        "relationships:meeting_log": {"starts_at": _when(-timedelta(hours=2)), "duration_minutes": 45},
        "relationships:meeting_schedule": {"starts_at": _when(timedelta(days=3)), "duration_minutes": 45},
        "relationships:meeting_edit": {
            "status": "cancelled",
            "starts_at": _when(timedelta(days=3)),
            "duration_minutes": 45,
        },
        "relationships:knowledge": {
            "skill": skill.pk,
            "direction": "mentor_to_mentee",
            "proficiency_before": 1,
            "proficiency_after": 3,
        },
        "relationships:advocacy": {"kind": "introduction", "happened_on": timezone.localdate(), "description": "CFO"},
        "relationships:advocacy_outcome": {f"outcome-{action.pk}-outcome": "succeeded"},
        "relationships:check_in": {"point": "fit", "satisfaction": 4, "psychological_safety": 4, "progress": 4},
        "relationships:concern": {"text": "Something is off"},
        "relationships:nominate": {"programme": future.pk, "statement": "Ready to lead"},
        "relationships:end": {"reason": "Moving on", "confirmed": "yes"},
        "relationships:withdraw_request": {"confirmed": "yes"},
        "relationships:complete": {},
        "relationships:concern_handle": {"status": "acknowledged"},
        "scim:users": {"userName": "someone@example.org"},
        "webhooks:new": {
            "name": "Slack",
            "url": "https://hooks.example.org/s",
            "preset": "slack",
            "events": ["proposal.made"],
        },
        "webhooks:test": {},
        "webhooks:active": {"active": "0"},
        "webhooks:edit": {
            "name": "HR channel",
            "url": "https://hooks.example.org/people",
            "preset": "teams",
            "events": ["proposal.made", "proposal.accepted"],
            "active": "on",
        },
        "webhooks:rotate": {"confirmed": "yes"},
        "webhooks:resend": {},
        "tokens": {"name": "reports", "scopes": ["programmes:read"], "expires_days": "30"},
        "token_revoke": {},
        "service_tokens": {"username": "eve", "name": "sync", "scopes": ["people:read"], "expires_days": ""},
        "relationships:pair_nudge": {"message": "Time to meet"},
        "relationships:pair_extend": {"until": (timezone.localdate() + timedelta(days=400)).isoformat()},
        "relationships:pair_end": {"reason": "Moving on", "back_to_pool": ["mentee"], "confirmed": "yes"},
        "relationships:pick_partner": {"partner": free_mentor.pk},
    }
    ids = {
        "programme": mentoring.pk,
        "sponsorship": sponsorship.pk,
        "elsewhere": elsewhere.pk,
        "future": future.pk,
        "pair": pair.pk,
        "sponsored": sponsored.pk,
        "advocacy_action": action.pk,
        "proposal": proposal.pk,
        "invitation": invitation.pk,
        "application": application.pk,
        "meeting": meeting.pk,
        "run": run.pk,
        "run_proposal": run_proposal.pk,
        "skill": skill.pk,
        "ana": cast.ana.pk,
        "eve": eve.pk,
    }
    return Scene(users=users, kwargs=kwargs, posts=posts, ids=ids)
