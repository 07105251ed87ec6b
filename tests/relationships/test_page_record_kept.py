"""The rest of the pair's page read by kept queries (the ORM's SQL built once per process): the log's
first page, knowledge transfers, the viewer's check-ins, the managers' log, the viewer's concerns,
the skill catalogue and the partner's profile. Each is the ORM's SQL, parameters and objects, as
the page read them before; each keeps the page's privacy rules (the viewer's own note, check-ins and
concerns, never the partner's); and a page request builds only the queries that are not kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.sql.compiler import SQLCompiler
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.accounts.test_session_account import fields_of
from tests.conftest import Cast
from tests.factories import MeetingFactory, PersonSkillFactory, SkillFactory, acting
from tests.relationships.pairing import DAY, NOW
from twofold.accounts.kept_queries import KeptQuery
from twofold.dates import MOMENT_SPAN
from twofold.people.models import PersonSkill, Skill
from twofold.programmes.models import Enrolment
from twofold.relationships.models import (
    CheckIn,
    CheckInPoint,
    Concern,
    KnowledgeTransfer,
    Meeting,
    PairEvent,
    PairEventKind,
    PrivateNote,
    Relationship,
)
from twofold.relationships.selectors import (
    MEETINGS_PER_PAGE,
    concerns_raised_by,
    enrolment_profiles,
    partner_profile,
    relationship_page,
    skill_catalogue,
)
from twofold.relationships.selectors.choices import SKILL_CATALOGUE
from twofold.relationships.selectors.concerns import RAISED_ABOUT
from twofold.relationships.selectors.partner import PARTNER_FOCUS_SKILLS, PARTNER_SKILLS
from twofold.relationships.selectors.record import (
    KNOWLEDGE_TRANSFERS,
    MEETING_SKILLS,
    OWN_CHECK_INS,
    PAIR_EVENTS,
    first_log_page,
)


@pytest.fixture
def record(cast: Cast, active: Relationship) -> Relationship:
    """Ana (mentor) and Vera's pair with some of everything, from both of them: more meetings than a
    page, private notes by both, check-ins and concerns by both, knowledge transfers, managers' events,
    focus skills on both enrolments and skills on both profiles."""
    skills = [SkillFactory(name=f"<b>&\"' {n}") for n in range(3)]
    for n in range(MEETINGS_PER_PAGE + 2):
        meeting = MeetingFactory(relationship=active, starts_at=NOW - n * DAY, location=f"Room {n}")
        meeting.skills.set(skills[: n % 3])
        PrivateNote.objects.create(meeting=meeting, author=cast.ana, text=f"Ana {n}")
        PrivateNote.objects.create(meeting=meeting, author=cast.vp_sales, text=f"Vera {n}")
    for person, point in [(cast.ana, CheckInPoint.FIT), (cast.vp_sales, CheckInPoint.FIT), (cast.ana, "midpoint")]:
        CheckIn.objects.create(
            relationship=active,
            person=person,
            point=point,
            satisfaction=4,
            psychological_safety=5,
            progress=3,
            submitted_at=NOW,
        )
    for person in (cast.ana, cast.vp_sales, cast.ana):
        Concern.objects.create(relationship=active, raised_by=person, text=f"by {person.name}")
    for n, skill in enumerate(skills):
        KnowledgeTransfer.objects.create(
            relationship=active,
            skill=skill,
            proficiency_before=1,
            proficiency_after=2 + n % 2,
            recorded_on=date(2027, 2, 1 + n % 2),
        )
    PairEvent.objects.create(relationship=active, kind=PairEventKind.NUDGED, text="Nudged")
    PairEvent.objects.create(relationship=active, kind=PairEventKind.EXTENDED, text="Extended")
    for enrolment in (active.mentor_enrolment, active.mentee_enrolment):
        enrolment.focus_skills.set(skills[1:])
    for person in (cast.ana, cast.vp_sales):
        for n, skill in enumerate(skills):
            PersonSkillFactory(person=person, skill=skill, can_teach=n != 1, wants_to_learn=n != 0)
    return active


def _former_log_page(viewer_id: int, relationship: Relationship) -> list[tuple[Any, ...]]:
    """The log's first page as the page read it before it was kept."""
    own_note = PrivateNote.objects.filter(meeting=OuterRef("pk"), author=viewer_id).values("text")[:1]
    return list(
        Meeting.objects.filter(relationship=relationship, starts_at__range=MOMENT_SPAN)
        .order_by("-starts_at", "pk")
        .annotate(own_note=Subquery(own_note))
        .values_list(
            "id", "starts_at", "duration_minutes", "status", "location", "shared_note", "created_by_id", "own_note"
        )[0:MEETINGS_PER_PAGE]
    )


def _kept_reads(cast: Cast, relationship: Relationship) -> Iterator[tuple[KeptQuery[Any], tuple[Any, ...], Any]]:
    """Each kept read, its values for Ana's view of the pair, and what the page read before for it."""
    ana, theirs = cast.ana.pk, relationship.mentee_enrolment
    yield first_log_page(MEETINGS_PER_PAGE), (ana, relationship.pk, *MOMENT_SPAN), _former_log_page(ana, relationship)
    yield (
        KNOWLEDGE_TRANSFERS,
        (relationship.pk,),
        list(KnowledgeTransfer.objects.filter(relationship=relationship).select_related("skill")),
    )
    yield OWN_CHECK_INS, (ana, relationship.pk), list(CheckIn.objects.filter(relationship=relationship, person=ana))
    yield PAIR_EVENTS, (relationship.pk,), list(PairEvent.objects.filter(relationship=relationship))
    yield (
        RAISED_ABOUT,
        (ana, relationship.pk),
        list(concerns_raised_by(person=cast.ana, relationship=relationship)),
    )
    yield SKILL_CATALOGUE, (), list(Skill.objects.order_by("category", "name"))
    page_ids = [row[0] for row in _former_log_page(ana, relationship)]
    for count in (2, MEETINGS_PER_PAGE):
        yield (
            MEETING_SKILLS[count],
            tuple(page_ids[:count]),
            list(
                Meeting.skills.through.objects.filter(meeting_id__in=page_ids[:count])
                .order_by("skill__category", "skill__name", "skill_id")
                .values_list("meeting_id", "skill_id", "skill__name", "skill__category", "skill__description")
            ),
        )
    yield (
        PARTNER_FOCUS_SKILLS,
        (theirs.pk,),
        list(
            Enrolment.focus_skills.through.objects.filter(enrolment_id__in=[theirs.pk])
            .select_related("skill")
            .order_by("skill__name")
        ),
    )
    yield (
        PARTNER_SKILLS,
        (theirs.person_id,),
        list(
            PersonSkill.objects.filter(person_id__in=[theirs.person_id]).select_related("skill").order_by("skill__name")
        ),
    )


def _same(kept: Any, former: Any) -> bool:
    """Equal rows, or the same objects column by column (with what select_related joined)."""
    if isinstance(kept, tuple):
        return bool(kept == former)
    related = [getattr(kept, name) for name in ("skill",) if hasattr(type(kept), name)]
    former_related = [getattr(former, name) for name in ("skill",) if hasattr(type(former), name)]
    return fields_of(kept) == fields_of(former) and [fields_of(r) for r in related] == [
        fields_of(r) for r in former_related
    ]


def test_each_kept_read_is_the_orms(cast: Cast, record: Relationship) -> None:
    """The SQL kept once per process and the parameters bound each time are those the ORM builds, and
    the rows or objects (with what was joined, no query more) are what the page read before."""
    for query, values, former in _kept_reads(cast, record):
        sql, params = query.compiler_of_orm(DEFAULT_DB_ALIAS, values).as_sql()
        assert query.compiled(DEFAULT_DB_ALIAS).sql == sql
        assert query.params(connection, values) == list(params)
        read: Callable[..., list[Any]] = (
            query.rows if query.compiled(DEFAULT_DB_ALIAS).kind == "rows" else query.objects
        )
        with CaptureQueriesContext(connection) as queries:
            kept = read(*values)
            assert len(former) == len(kept) > 0, query.model
            assert all(_same(mine, theirs) for mine, theirs in zip(kept, former, strict=True)), query.model
        assert len(queries) == 1


def test_the_kept_reads_keep_to_the_viewer_own(cast: Cast, record: Relationship) -> None:
    """On the page of either of the pair: their own private notes, check-ins and concerns, never the
    partner's; the partner's profile as the whole-list read makes it."""
    for viewer, name, points in [(cast.ana, "Ana", {"fit", "midpoint"}), (cast.vp_sales, "Vera", {"fit"})]:
        page = relationship_page(relationship_id=record.pk, viewer=viewer, now=NOW, meetings_page=1)
        assert len(page.meetings) == MEETINGS_PER_PAGE
        assert {m.own_private_note.split()[0] for m in page.meetings} == {name}
        assert {c.point for c in page.check_ins_done} == points
        assert {c.person_id for c in page.check_ins_done} == {viewer.pk}
        concerns = RAISED_ABOUT.objects(viewer.pk, record.pk)
        assert concerns and {c.raised_by_id for c in concerns} == {viewer.pk}
        mine, theirs = (
            (record.mentor_enrolment, record.mentee_enrolment)
            if viewer == record.mentor
            else (record.mentee_enrolment, record.mentor_enrolment)
        )
        profile = partner_profile(page)
        assert profile == enrolment_profiles(own=mine, partners=[theirs])[theirs.pk]
        assert profile.focus_skills and profile.can_teach and profile.wants_to_learn
    assert skill_catalogue() == list(Skill.objects.order_by("category", "name"))


def test_another_page_of_the_log_is_the_orms(cast: Cast, record: Relationship) -> None:
    """The second page (its offset in the SQL: not kept) follows the first, kept, without a gap."""
    first = relationship_page(relationship_id=record.pk, viewer=cast.ana, now=NOW, meetings_page=1)
    second = relationship_page(relationship_id=record.pk, viewer=cast.ana, now=NOW, meetings_page=2)
    whole = relationship_page(relationship_id=record.pk, viewer=cast.ana, now=NOW)
    assert [m.id for m in first.meetings + second.meetings] == [m.id for m in whole.meetings]
    assert first.meetings == whole.meetings[:MEETINGS_PER_PAGE]


class _Compiled:
    """Counts the queries the ORM compiles (``as_sql`` of a top-level compiler), by table, and the
    querysets built (a kept read builds none: building one costs most of what compiling it does)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tables: list[str] = []
        self.built: list[str] = []
        as_sql = SQLCompiler.as_sql
        queryset_init = QuerySet.__init__

        def built(queryset: QuerySet[Any], model: Any = None, *args: Any, **kwargs: Any) -> None:
            self.built.append(model._meta.db_table if model is not None else "")
            queryset_init(queryset, model, *args, **kwargs)

        monkeypatch.setattr(QuerySet, "__init__", built)

        def counted(compiler: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("subquery") and compiler.query.subquery is False:
                self.tables.append(compiler.query.model._meta.db_table if compiler.query.model else "")
            return as_sql(compiler, *args, **kwargs)

        monkeypatch.setattr(SQLCompiler, "as_sql", counted)


@pytest.mark.parametrize(
    ("address", "htmx"), [("/relationships/{pk}/", False), ("/relationships/{pk}/meetings/", True)]
)
def test_a_page_request_builds_no_query(
    cast: Cast, record: Relationship, monkeypatch: pytest.MonkeyPatch, address: str, htmx: bool
) -> None:
    """After a first request (which keeps each query's SQL), the pair's page and its htmx log (its
    first page) have the ORM build no query at all: one read reverting to the ORM fails this."""
    client = Client()
    client.force_login(acting(cast.ana))
    url = address.format(pk=record.pk)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert client.get(url, **headers).status_code == 200
    compiled = _Compiled(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    assert compiled.tables == []
    assert compiled.built == []
    assert len(queries) <= (13 if not htmx else 7)
