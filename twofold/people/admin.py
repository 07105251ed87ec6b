from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from twofold import audit
from twofold.accounts.admin_forms import CheckedAdminForm, CheckedModelAdmin, CheckedTabularInline, ReadOnlyAdmin
from twofold.operations.errors import DatabaseBusy, busy_response, retried_on_conflict
from twofold.people.leavers import people_deactivate, people_reactivate
from twofold.people.models import (
    CareerEvent,
    Delegation,
    ImportRecord,
    Person,
    PersonSkill,
    SelfIdentification,
    Skill,
)
from twofold.people.tree_moves import TREE_FIELDS, tree_lock, tree_place


class PersonSkillInline(CheckedTabularInline):
    model = PersonSkill
    extra = 0
    autocomplete_fields = ("skill",)


class PersonForm(CheckedAdminForm, forms.ModelForm):
    """The admin's person form (fields come from PersonAdmin), refusing manager cycles, dates outside
    Twofold's span and text with control characters."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        manager = data.get("manager")
        person = self.instance
        if manager is not None and person.pk and manager.pk != person.manager_id:
            # The admin saves in the transaction it validates in: locked now, the chains read here
            # are the ones the move is made on (another writer's move cannot slip in and make a cycle).
            tree_lock(person_ids=[person.pk], manager_employee_ids=[manager.employee_id])
            person.refresh_from_db(fields=TREE_FIELDS)
            manager.refresh_from_db(fields=TREE_FIELDS)
        if manager is not None and person.pk and (manager.pk == person.pk or person.manages_or_is_above(manager)):
            self.add_error(
                "manager", f"{manager.name} reports to {person.name}, so cannot become their manager (a manager cycle)."
            )
        email = data.get("email")
        if email:
            data["email"] = email.lower()
        return data


@admin.register(Person)
class PersonAdmin(CheckedModelAdmin):
    form = PersonForm
    list_display = (
        "name",
        "employee_id",
        "title",
        "level",
        "department",
        "location",
        "high_potential",
        "active",
    )
    list_filter = ("active", "high_potential", "level", "department", "location")
    search_fields = ("name", "email", "employee_id", "title")
    raw_id_fields = ("manager",)
    readonly_fields = ("tree_path", "tree_depth", "created_at", "updated_at")
    inlines = [PersonSkillInline]
    list_per_page = 50
    show_full_result_count = False

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        # The admin validates and saves in one transaction (its clean locks the chains a move reads):
        # one that loses to a concurrent move is run again whole, as person_set_manager is; still
        # losing, nothing was saved, and the page says to save again.
        try:
            return retried_on_conflict(super().changeform_view)(request, object_id, form_url, extra_context)
        except DatabaseBusy as busy:
            return busy_response(busy.message)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        moves = not change or "manager" in form.changed_data
        if moves:
            tree_lock(
                person_ids=[obj.pk] if obj.pk else [],
                manager_employee_ids=[obj.manager.employee_id] if obj.manager is not None else [],
            )
        super().save_model(request, obj, form, change)
        if moves:
            tree_place(obj.pk)
        # Unticking "active" is someone leaving: their account and pairs follow, as after an import.
        if change and "active" in form.changed_data:
            if obj.active:
                people_reactivate(person_ids=[obj.pk], actor=request.user)
            else:
                people_deactivate(person_ids=[obj.pk], actor=request.user)


@admin.register(Skill)
class SkillAdmin(CheckedModelAdmin):
    list_display = ("name", "category")
    list_filter = ("category",)
    search_fields = ("name",)


@admin.register(SelfIdentification)
class SelfIdentificationAdmin(CheckedModelAdmin):
    list_display = ("person", "updated_at")
    raw_id_fields = ("person",)
    search_fields = ("person__name", "person__employee_id")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        # Opening one person's restricted attributes is a sensitive read (a change is logged too).
        found = (
            SelfIdentification.objects.filter(pk=int(object_id)).select_related("person").first()
            if object_id.isdigit()
            else None
        )
        if found is not None and request.method == "GET":
            audit.record("person.view_self_identification", target=found.person)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    """Managers' delegates, for org admins to see and to end (a manager away for long, a mistake):
    managers name and remove their own on their page; nobody names one for someone else here."""

    list_display = ("manager", "delegate", "created_at")
    raw_id_fields = ("manager", "delegate")
    search_fields = ("manager__name", "manager__employee_id", "delegate__name", "delegate__employee_id")
    list_select_related = ("manager", "delegate")
    deletable = True


@admin.register(CareerEvent)
class CareerEventAdmin(CheckedModelAdmin):
    list_display = ("person", "kind", "effective_date", "from_level", "to_level")
    list_filter = ("kind",)
    raw_id_fields = ("person",)
    search_fields = ("person__name", "person__employee_id")
    date_hierarchy = "effective_date"


@admin.register(ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    """Every import, read-only and for org admins only: the records are append-only."""

    list_display = (
        "created_at",
        "actor_name",
        "kind",
        "outcome",
        "mode",
        "file_name",
        "rows",
        "created",
        "updated",
        "deactivated",
        "errors",
    )
    list_filter = ("kind", "outcome", "full", "dry_run")
    search_fields = ("actor_name", "file_name", "file_sha256")
    date_hierarchy = "created_at"
    list_per_page = 50
