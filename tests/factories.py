"""factory_boy factories for the directory and accounts."""

from __future__ import annotations

import factory

from twofold.accounts.models import User
from twofold.people.models import Person, PersonSkill, Skill, SkillCategory


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
