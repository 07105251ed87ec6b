"""The directory's actions, registered with :mod:`twofold.accounts.permissions` when the app loads."""

from __future__ import annotations

from twofold.accounts import permissions as p


def register_rules() -> None:
    p.register("directory.view", p.can_view_directory, refusal="The directory is for employees and programme staff.")
    p.register("people.view", p.can_view_person, refusal="No such person.", hidden=True)
    p.register(
        "people.view_talent_flags",
        p.can_see_talent_flags,
        refusal="The high-potential flag is for programme managers and org admins.",
    )
    p.register(
        "people.view_restricted",
        p.can_see_self_identification,
        refusal="Self-identified attributes are for the person themselves and org admins.",
    )
    p.register(
        "people.import",
        p.can_import_people,
        refusal="Importing the directory needs the “Can import people” permission.",
    )
    p.register(
        "people.import_restricted",
        p.can_import_restricted_attributes,
        refusal="Only org admins import restricted attributes.",
    )
    p.register(
        "people.deactivate",
        p.can_deactivate_people,
        refusal="Only those who may import people may mark people as having left.",
    )
    p.register("people.edit_skills", p.can_act_for, refusal="A skills profile is edited by its owner.")
    p.register("people.choose_delegate", p.can_choose_delegate, refusal="Only a manager names their own delegate.")
    p.register(
        "people.view_career_history",
        p.can_see_career_history,
        refusal="Career history is for the person, their management chain and org admins.",
    )
    p.register("people.list_leavers", p.can_list_leavers, refusal="Only those who may import people list leavers.")
    p.register("accounts.administer", p.can_administer, refusal="This is for org admins.")
    # The self-identification services record their decisions themselves (:func:`allowed`, then
    # an audit entry with the outcome), so that each answer or withdrawal leaves one entry.
    for action in ("self_identification.set", "self_identification.withdraw"):
        p.register(action, p.can_self_identify, refusal="Only the person themselves answers these questions.")
