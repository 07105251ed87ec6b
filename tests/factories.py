"""factory_boy factories for the directory, accounts, programmes and relationships."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.db.models import F
from django.utils import timezone

from twofold.accounts.models import User
from twofold.accounts.permissions import CommandLineOperator
from twofold.people.models import Person, PersonSkill, Skill, SkillCategory
from twofold.programmes.models import (
    Enrolment,
    EnrolmentRole,
    EnrolmentStatus,
    Programme,
    ProgrammeKind,
    ProgrammeState,
)
from twofold.relationships.models import OPEN_STATES, Agreement, Meeting, MeetingStatus, Relationship, RelationshipState


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    employee_id = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda person: f"{person.employee_id.lower()}@example.org")
    title = "Analyst"
    level = 3
    department = "Engineering"
    location = "London"


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")
    category = SkillCategory.DIGITAL


class PersonSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonSkill

    person = factory.SubFactory(PersonFactory)
    skill = factory.SubFactory(SkillFactory)
    proficiency = 3
    can_teach = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-test-password")


# Services take the acting user. Tests of what a person does act through that person's account
# (made for them if they have none); setting up programmes and pairs is done by the command line.
OPERATOR = CommandLineOperator()


def acting(who: Person | User) -> User:
    """The account ``who`` acts through: a user as it is, a person's own account."""
    if isinstance(who, User):
        return who
    return User.objects.filter(person=who).first() or UserFactory(
        username=f"account-{who.employee_id.lower()}", person=who
    )


# --- programmes and relationships (appended for tests/relationships): rows written directly, no rules
# checked, for setting up states and volumes; tests of behaviour go through the services.


class ProgrammeFactory(factory.django.DjangoModelFactory):
    """A running reverse-mentoring programme with the kind's defaults; ``sponsorship=True`` for the other kind."""

    class Meta:
        model = Programme
        skip_postgeneration_save = True

    class Params:
        sponsorship = factory.Trait(
            kind=ProgrammeKind.SPONSORSHIP, duration_months=12, cadence_days=30, min_level_gap=2, capacity=3
        )

    name = factory.Sequence(lambda n: f"Programme {n}")
    kind = ProgrammeKind.REVERSE_MENTORING
    state = ProgrammeState.RUNNING
    duration_months = 6
    cadence_days = 14
    min_level_gap = 3
    capacity = 1

    @factory.post_generation
    def managers(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.managers.set(extracted)


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """A person in a programme's pool; a mentor's capacity is the programme's."""

    class Meta:
        model = Enrolment

    programme = factory.SubFactory(ProgrammeFactory)
    person = factory.SubFactory(PersonFactory)
    role = EnrolmentRole.MENTOR
    status = EnrolmentStatus.ACTIVE
    capacity = factory.LazyAttribute(lambda e: e.programme.capacity if e.role == EnrolmentRole.MENTOR else 1)


class RelationshipFactory(factory.django.DjangoModelFactory):
    """A pair in any state, its mentor's seat counted while it is open, an agreement once it started."""

    class Meta:
        model = Relationship
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    mentor_enrolment = factory.SubFactory(
        EnrolmentFactory, programme=factory.SelfAttribute("..programme"), role=EnrolmentRole.MENTOR, person__level=2
    )
    mentee_enrolment = factory.SubFactory(
        EnrolmentFactory, programme=factory.SelfAttribute("..programme"), role=EnrolmentRole.MENTEE, person__level=8
    )
    mentor = factory.SelfAttribute("mentor_enrolment.person")
    mentee = factory.SelfAttribute("mentee_enrolment.person")
    state = RelationshipState.PROPOSED
    proposed_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda r: r.proposed_at + timedelta(days=10))
    started_at = factory.LazyAttribute(
        lambda r: (
            None
            if r.state in (RelationshipState.PROPOSED, RelationshipState.DECLINED, RelationshipState.EXPIRED)
            else r.proposed_at
        )
    )

    @factory.post_generation
    def seat_and_agreement(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create:
            return
        if self.state in OPEN_STATES:
            Enrolment.objects.filter(pk=self.mentor_enrolment_id).update(seats_taken=F("seats_taken") + 1)
        if self.started_at is not None:
            Agreement.objects.create(relationship=self, cadence_days=self.programme.cadence_days)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    relationship = factory.SubFactory(RelationshipFactory, state=RelationshipState.ACTIVE)
    starts_at = factory.LazyFunction(timezone.now)
    duration_minutes = 45
    status = MeetingStatus.HELD
    created_by = factory.SelfAttribute("relationship.mentor")

    @factory.post_generation
    def keep_last_met(self, create: bool, extracted: object, **kwargs: object) -> None:
        # As the meeting services do: the pair's row remembers its latest held meeting.
        if create:
            from twofold.relationships.services import relationship_last_met_refresh

            relationship_last_met_refresh(self.relationship_id)


def grant(user: User, permission: str) -> User:
    """Give ``user`` a Django permission such as ``people.import_people``, as an org admin would in the admin."""
    from django.contrib.auth.models import Permission

    app_label, codename = permission.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance
