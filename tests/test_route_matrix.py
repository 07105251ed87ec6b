"""Every route × every role, against a declared table.

Each URL pattern of the project (the Django admin aside) is requested by each role of the cast: GET,
and for routes that change state a POST with a valid form too. The status each one gets must be the
one written in :data:`TABLE_TEXT`; when a POST is refused (a 4xx, or the anonymous visitor sent to
sign in), nothing in the database may have changed. A route without a row in the table fails the
suite with its name: a new page is not finished until someone has said who may use it.

Path parameters are filled with real objects of one scene (:func:`scene`): an active reverse-mentoring
pair (Ana mentoring Vera), an active sponsorship of the same two (Vera sponsoring Ana), a proposal
between them waiting for answers, another pair (Ben and Victor) in a programme another manager runs,
an invitation, an application waiting for its line manager, a meeting, an advocacy action, a concern,
a match run proposing a pair and a webhook.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import Cast
from tests.factories import EnrolmentFactory, MeetingFactory, PersonFactory, ProgrammeFactory, UserFactory
from tests.relationships.pairing import MENTEE, MENTOR, pair_up, propose
from twofold.accounts.models import User
from twofold.accounts.tokens import issue_token
from twofold.api.api import api
from twofold.matchruns.models import MatchRun, MatchRunStatus, Proposal
from twofold.people.models import ImportJob, ImportJobStatus, Skill
from twofold.people.services import people_tree_rebuild
from twofold.programmes.models import EnrolmentStatus, MatchingMode, ProgrammeState
from twofold.relationships.calendar import calendar_feed_for
from twofold.relationships.models import AdvocacyAction, Concern, MeetingStatus, Relationship
from twofold.webhooks.models import Delivery, DeliveryStatus, Subscription

# The roles, in the order of the columns of TABLE.
ROLES = (
    "anonymous",  # not signed in
    "employee",  # Eve: in the directory, in no pair, manages nobody
    "junior",  # Ana: one of the pair (the reverse mentor, the protégé)
    "senior",  # Vera: the other of the pair (the mentee, the sponsor)
    "other_pair",  # Ben: in another pair, in another programme
    "line_manager",  # Lena: Ana's manager
    "other_pm",  # a programme manager of another programme only
    "pm",  # the programme manager of the pair's programmes
    "executive",  # the chief executive: aggregates only
    "admin",  # an org admin
)

# One row per route: the status each role gets for GET, then for POST with a valid form ("-": the
# route changes nothing, and is asked GET only). Columns in the order of ROLES:
#   ano anonymous · emp employee · jun/sen the pair · oth another pair · lnm Ana's line manager
#   opm manager of another programme · pm manager of this one · exe executive · adm org admin
# Codes: 200 page · 302 done, or anonymous sent to sign in · 400 the form or a rule refused it ·
#   403 not for this role · 404 not theirs to know about (as for an unknown id), or a feature not
#   configured (sso:*, single sign-on; tests/sso covers it switched on) · 405 wrong method
TABLE_TEXT = """
route                           ano emp jun sen oth lnm opm  pm exe adm | ano emp jun sen oth lnm opm  pm exe adm
account                         302 200 200 200 200 200 200 200 200 200 | -
api:api-root                    404 404 404 404 404 404 404 404 404 404 | -
api:openapi-json                200 200 200 200 200 200 200 200 200 200 | -
api:openapi-view                200 200 200 200 200 200 200 200 200 200 | -
audit:log                       302 403 403 403 403 403 403 403 403 200 | -
choice:partners                 302 404 404 200 404 404 404 404 404 404 | 302 404 404 302 404 404 404 404 404 404
dataprotection:person_export_html 302 404 404 404 404 404 404 404 404 200 | -
dataprotection:person_export_json 302 404 404 404 404 404 404 404 404 200 | -
dataprotection:requests         302 403 403 403 403 403 403 403 403 200 | -
home                            302 302 302 302 302 302 302 302 302 302 | -
insights:overview               302 403 403 403 403 403 200 200 200 200 | -
insights:programme              302 403 403 403 403 403 404 200 200 200 | -
insights:programme_refresh      302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 404 302 302 302
insights:refresh                302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 302 302 302 302
insights:report                 302 403 403 403 403 403 404 200 200 200 | -
insights:table                  302 403 403 403 403 403 404 200 200 200 | -
login                           200 302 302 302 302 302 302 302 302 302 | -
login_code                      302 302 302 302 302 302 302 302 302 302 | -
logout                          405 405 405 405 405 405 405 405 405 405 | -
matchruns:board                 302 404 404 404 404 404 404 200 404 200 | -
matchruns:change                302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
matchruns:latest                302 404 404 404 404 404 404 200 404 200 | -
matchruns:list                  302 404 404 404 404 404 404 200 404 200 | -
matchruns:publish               302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
matchruns:rerun                 302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
matchruns:start                 302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
overview_moved                  301 301 301 301 301 301 301 301 301 301 | -
password_change                 302 200 200 200 200 200 200 200 200 200 | -
password_reset                  200 200 200 200 200 200 200 200 200 200 | -
password_reset_confirm          200 200 200 200 200 200 200 200 200 200 | -
password_reset_sent             200 200 200 200 200 200 200 200 200 200 | -
people:delegate_choose          302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
people:delegate_remove          302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
people:directory                302 200 200 200 200 200 200 200 200 200 | -
people:import                   302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 200
people:import_cancel            302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
people:import_confirm           302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
people:import_job               302 403 403 403 403 403 403 403 403 200 | -
people:import_job_retry         302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
people:import_template          302 403 403 403 403 403 403 403 403 200 | -
people:my_self_identification   302 200 200 200 200 200 403 403 200 403 | 302 302 302 302 302 302 403 403 302 403
people:my_self_identification_withdraw 302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
people:my_skills                302 200 200 200 200 200 403 403 200 403 | 302 302 302 302 302 302 403 403 302 403
people:person                   302 200 200 200 200 200 200 200 200 200 | -
service_tokens                  302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 200
programmes:apply                302 200 200 200 200 200 403 403 200 403 | 302 302 400 400 302 302 403 403 302 403
programmes:approve              302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 302 403 403 404 403
programmes:decline_invitation   302 405 405 405 405 405 405 405 405 405 | 302 302 404 404 404 404 403 403 404 403
programmes:detail               302 404 404 404 404 404 404 200 404 200 | -
programmes:edit                 302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 200 404 200
programmes:enrolments           302 404 404 404 404 404 404 200 404 200 | -
programmes:invite               302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
programmes:add                  302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
programmes:add_file             302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
programmes:emails               302 404 404 404 404 404 404 200 404 200 | -
programmes:email                302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
programmes:copy                 302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 200 404 200
programmes:list                 302 403 403 403 403 403 200 200 403 200 | -
programmes:move                 302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
programmes:new                  302 403 403 403 403 403 200 200 403 200 | 302 403 403 403 403 403 200 200 403 200
programmes:withdraw             302 405 405 405 405 405 405 405 405 405 | 302 302 404 404 404 404 403 403 404 403
relationships:advocacy          302 405 405 405 405 405 405 405 405 405 | 302 404 403 302 404 404 403 403 404 403
relationships:advocacy_outcome  302 405 405 405 405 405 405 405 405 405 | 302 404 403 302 404 404 403 403 404 403
relationships:agreement         302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:agreement_accept  302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:answer            302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:calendar_feed     200 200 200 200 200 200 200 200 200 200 | -
relationships:calendar_rotate   302 405 405 405 405 405 405 405 405 405 | 302 302 302 302 302 302 403 403 302 403
relationships:check_in          302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:complete          302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:concern           302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:concern_handle    302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 404 302 403 302
relationships:concerns          302 403 403 403 403 403 200 200 403 200 | -
relationships:detail            302 404 200 200 404 404 403 403 404 403 | -
relationships:end               302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:withdraw_request  302 405 405 405 405 405 405 405 405 405 | 302 404 404 302 404 404 403 403 404 403
relationships:knowledge         302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:meeting_edit      302 404 200 200 404 404 403 403 404 403 | 302 404 302 302 404 404 403 403 404 403
relationships:meeting_log       302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:meeting_schedule  302 405 405 405 405 405 405 405 405 405 | 302 404 302 302 404 404 403 403 404 403
relationships:meetings          302 404 302 302 404 404 403 403 404 403 | -
relationships:mine              302 200 200 200 200 200 403 403 200 403 | -
relationships:nominate          302 405 405 405 405 405 405 405 405 405 | 302 404 403 302 404 404 403 403 404 403
relationships:pair              302 404 404 404 404 404 404 200 404 200 | -
relationships:pair_end          302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
relationships:pair_extend       302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
relationships:pair_nudge        302 405 405 405 405 405 405 405 405 405 | 302 404 404 404 404 404 404 302 404 302
relationships:pairs             302 404 404 404 404 404 404 200 404 200 | -
relationships:pairs_csv         302 404 404 404 404 404 404 200 404 200 | -
relationships:pick_partner      302 404 404 404 404 404 404 200 404 200 | 302 404 404 404 404 404 404 302 404 302
relationships:programme_health  302 404 404 404 404 404 404 200 404 200 | -
scim:group                      401 401 401 401 401 401 401 401 401 401 | -
scim:groups                     401 401 401 401 401 401 401 401 401 401 | -
scim:other                      401 401 401 401 401 401 401 401 401 401 | -
scim:resource_types             401 401 401 401 401 401 401 401 401 401 | -
scim:schemas                    401 401 401 401 401 401 401 401 401 401 | -
scim:service_provider_config    200 200 200 200 200 200 200 200 200 200 | -
scim:user                       401 401 401 401 401 401 401 401 401 401 | -
scim:users                      401 401 401 401 401 401 401 401 401 401 | 401 401 401 401 401 401 401 401 401 401
token_revoke                    405 405 405 405 405 405 405 405 405 405 | 302 404 302 404 404 404 404 404 404 302
tokens                          302 200 200 200 200 200 200 200 200 200 | 302 200 200 200 200 200 200 200 200 200
sso:callback                    404 404 404 404 404 404 404 404 404 404 | -
sso:start                       404 404 404 404 404 404 404 404 404 404 | -
two_step                        302 403 403 403 403 403 403 403 403 200 | -
two_step_remove                 405 405 405 405 405 405 405 405 405 405 | -
webhooks:active                 302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
webhooks:detail                 302 403 403 403 403 403 403 403 403 200 | -
webhooks:edit                   302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 302
webhooks:list                   302 403 403 403 403 403 403 403 403 200 | -
webhooks:new                    302 403 403 403 403 403 403 403 403 200 | 302 403 403 403 403 403 403 403 403 201
webhooks:resend                 302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
webhooks:rotate                 302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 200
webhooks:test                   302 405 405 405 405 405 405 405 405 405 | 302 403 403 403 403 403 403 403 403 302
"""


def _parse(text: str) -> dict[str, tuple[list[int], list[int] | None]]:
    rows: dict[str, tuple[list[int], list[int] | None]] = {}
    for line in text.strip().splitlines()[1:]:
        left, right = (part.split() for part in line.split("|"))
        name, get = left[0], [int(code) for code in left[1:]]
        post = None if right == ["-"] else [int(code) for code in right]
        assert name not in rows, f"two rows for {name}"
        assert len(get) == len(ROLES) and (post is None or len(post) == len(ROLES)), f"{name}: one code per role"
        rows[name] = (get, post)
    return rows


TABLE = _parse(TABLE_TEXT)


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


# --- asking --------------------------------------------------------------------------------------

# Everything a request could change, compared row by row before and after a refused POST.
WATCHED = (
    "accounts.AccessToken",
    "people.Person",
    "people.PersonSkill",
    "programmes.Programme",
    "programmes.Enrolment",
    "programmes.ProgrammeEmail",
    "relationships.Relationship",
    "relationships.PairEvent",
    "relationships.Agreement",
    "relationships.Meeting",
    "relationships.PrivateNote",
    "relationships.KnowledgeTransfer",
    "relationships.AdvocacyAction",
    "relationships.CheckIn",
    "relationships.Concern",
    "relationships.Nomination",
    "relationships.CalendarFeed",
    "matchruns.MatchRun",
    "matchruns.Proposal",
    "webhooks.Subscription",
    "webhooks.Delivery",
)


def state() -> dict[str, list[dict[str, Any]]]:
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in WATCHED}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def ask(client: Client, method: Callable[..., Any], url: str, data: dict[str, Any] | None = None) -> int:
    """The status of one request, its changes undone afterwards."""
    with transaction.atomic():
        response = method(url, data) if data is not None else method(url)
        transaction.set_rollback(True)
    return int(response.status_code)


def refused(status: int) -> bool:
    return status >= 400


# --- the tests -----------------------------------------------------------------------------------


def api_operation_routes() -> set[str]:
    """The API's operations (``api:<operation id>``): declared in the API's own table instead
    (:data:`tests.api.test_api_matrix.API_TABLE`), and called there with each role's token."""
    operation_ids = {
        operation["operationId"]
        for methods in api.get_openapi_schema()["paths"].values()
        for operation in methods.values()
    }
    return {name for name in ROUTES if name.startswith("api:") and name.removeprefix("api:") in operation_ids}


def test_every_route_has_a_row() -> None:
    from tests.api.test_api_matrix import API_TABLE

    undeclared = sorted(name for name in api_operation_routes() if name.removeprefix("api:") not in API_TABLE)
    assert not undeclared, f"API operations without a row in API_TABLE: {', '.join(undeclared)}"
    missing = sorted(set(ROUTES) - set(TABLE) - api_operation_routes())
    assert not missing, f"routes without a row in TABLE (say who may use them): {', '.join(missing)}"
    gone = sorted(set(TABLE) - set(ROUTES))
    assert not gone, f"rows in TABLE for routes that no longer exist: {', '.join(gone)}"


def _mismatches(seen: list[int], expected: list[int]) -> str:
    return ", ".join(
        f"{role} got {got} not {want}" for role, got, want in zip(ROLES, seen, expected, strict=True) if got != want
    )


@pytest.mark.parametrize("name", sorted(set(ROUTES) - api_operation_routes()))
def test_route_answers_each_role_as_declared(scene: Scene, name: str) -> None:
    assert name in TABLE, f"{name} has no row in TABLE_TEXT: say who may use it"
    expected_get, expected_post = TABLE[name]
    if expected_post is not None:
        assert name in scene.posts, f"{name} is asked with POST: give it a valid form in the scene"
    url = reverse(name, kwargs=scene.kwargs.get(name) or None)
    seen_get, seen_post = [], []
    for role in ROLES:
        client = client_for(scene.users[role])
        seen_get.append(ask(client, client.get, url))
        if expected_post is None:
            continue
        with transaction.atomic():
            before = state()
            status = int(client.post(url, scene.posts[name]).status_code)
            after = state()
            transaction.set_rollback(True)
        seen_post.append(status)
        if status >= 400 or role == "anonymous":
            assert after == before, f"{name}: {role}'s POST was refused ({status}), yet the data changed"
    assert seen_get == expected_get, f"GET {name}: {_mismatches(seen_get, expected_get)}"
    if expected_post is not None:
        assert seen_post == expected_post, f"POST {name}: {_mismatches(seen_post, expected_post)}"
