"""The people directory: employees from the HRIS, their skills, restricted attributes and careers."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from twofold.people.tree import path_is_above, subtree_q

MIN_LEVEL = 1
MAX_LEVEL = 30
MAX_PROFICIENCY = 4


class Person(models.Model):
    """An employee. Managers form a forest; ``tree_path`` is the person's place in it.

    ``tree_path`` lists the ids from the top of the management tree down to the person
    (``/12/345/6789/``, see :mod:`twofold.people.tree`), so that B is below A exactly when B's path
    starts with A's; ``tree_depth`` counts B's managers. They are derived values: only the tree's
    writers (:mod:`twofold.people.tree_moves`, the import, ``people_tree_rebuild``) write them.
    """

    employee_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, unique=True)
    title = models.CharField(max_length=200, blank=True)
    level = models.PositiveSmallIntegerField(help_text="Job level; higher is more senior.")
    department = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=120, blank=True)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    hire_date = models.DateField(null=True, blank=True)
    high_potential = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    tree_path = models.TextField(default="", editable=False)
    tree_depth = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "employee_id"]
        indexes = [
            # "Everyone under B" is a prefix search: LIKE 'prefix%' needs the pattern opclass on
            # PostgreSQL whatever the database's collation (SQLite asks a range, see tree.subtree_q).
            models.Index(fields=["tree_path"], name="person_tree_path", opclasses=["text_pattern_ops"]),
            # The directory's order, with the id: a page of ids is read from the index alone.
            models.Index(fields=["active", "name", "employee_id", "id"], name="person_directory_order"),
            # Names in order, with the id: a programme's enrolments by name walk it and stop at the page.
            models.Index(fields=["name", "id"], name="person_name_order"),
            models.Index(fields=["department", "level"], name="person_department_level"),
            models.Index(fields=["location"], name="person_location"),
            models.Index(fields=["level"], name="person_level"),
            models.Index(fields=["high_potential", "active"], name="person_high_potential"),
            # An identity provider looks people up by email, whatever its case (SCIM).
            models.Index(Lower("email"), name="person_email_lower"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL), name="person_level_range"
            ),
            models.CheckConstraint(condition=~Q(manager=models.F("pk")), name="person_not_own_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_id})"

    def manages_or_is_above(self, other: Person) -> bool:
        """True when ``other`` sits somewhere below this person in the management tree."""
        return path_is_above(self.tree_path, other.tree_path)

    def shares_reporting_chain(self, other: Person) -> bool:
        """True when one of the two is the other's manager, directly or further up."""
        return self.manages_or_is_above(other) or other.manages_or_is_above(self)

    def in_reporting_line_with(self, other: Person) -> bool:
        """The pairing rule: never two people of one reporting line, where a candid relationship is not
        possible. The paths are those of the tree as last written; the direct-manager test also
        covers people added since. Proposing a pair and importing past pairs both ask this."""
        return self.shares_reporting_chain(other) or self.manager_id == other.pk or other.manager_id == self.pk

    @property
    def report_count(self) -> int:
        """Everyone below this person in the tree (direct and indirect): one query on the path index."""
        if not self.tree_path:
            return 0
        return Person.objects.filter(subtree_q(self.tree_path)).exclude(pk=self.pk).count()


class Delegation(models.Model):
    """A manager's delegate: one colleague who decides the applications of the manager's direct
    reports as the manager would (see :func:`twofold.accounts.permissions.applications_to_decide`).

    Named and removed by the manager on their own page; not HRIS data, so no import touches it.
    When either of the two leaves the organisation the delegation ends.
    """

    manager = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="delegation")
    delegate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(delegate=models.F("manager")), name="delegation_not_self")]

    def __str__(self) -> str:
        return f"Delegate of person {self.manager_id}: person {self.delegate_id}"


class PersonCount(models.Model):
    """How many people there are with ``active`` set so, kept by PostgreSQL itself: statement
    triggers on the people table (migration 0013) add what each INSERT, UPDATE, DELETE or COPY changes,
    in the writing transaction, so a reader sees the count of the rows its snapshot sees, in every
    process. The directory's unfiltered pages read it instead of counting 100,000 rows a request
    (:func:`twofold.people.selectors.directory_count`). Nothing else writes it; other databases keep
    no count. No row for a value: nobody has it (a TRUNCATE empties this table too).
    """

    # The value is the key: a dump loaded into a database whose triggers already counted its people
    # updates the count's rows instead of adding a second row for the same value.
    active = models.BooleanField(primary_key=True)
    people = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.people} {'active' if self.active else 'inactive'} people"


class GeneratedPerson(models.Model):
    """A person ``twofold demo-org`` made up, rather than one brought in from an HRIS.

    The demo adds its sign-ins, roles and six months of made-up history only to a directory whose
    every person is marked so (see :func:`twofold.people.selectors.demo_refusal`). Only the
    generator writes these rows: no import, export column or admin form can set them, so a real
    directory cannot pass for a demo one by accident.
    """

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="generated")

    def __str__(self) -> str:
        return f"Generated person {self.person_id}"


class SkillCategory(models.TextChoices):
    DIGITAL = "digital", "Digital & technology"
    TRENDS = "trends", "Trends & culture"
    LEADERSHIP = "leadership", "Leadership & strategy"
    BUSINESS = "business", "Business"
    OTHER = "other", "Other"


class Skill(models.Model):
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=SkillCategory.choices, default=SkillCategory.OTHER)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="skill_name_case_insensitive")]

    def __str__(self) -> str:
        return self.name


class PersonSkill(models.Model):
    """How well a person knows a skill (0 none – 4 expert) and whether they teach or want to learn it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    proficiency = models.PositiveSmallIntegerField(default=0)
    can_teach = models.BooleanField(default=False)
    wants_to_learn = models.BooleanField(default=False)

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "skill"], name="person_skill_once"),
            models.CheckConstraint(
                condition=Q(proficiency__lte=MAX_PROFICIENCY), name="person_skill_proficiency_range"
            ),
        ]
        indexes = [
            models.Index(fields=["skill", "can_teach"], name="person_skill_teach"),
            models.Index(fields=["skill", "wants_to_learn"], name="person_skill_learn"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.skill_id} ({self.proficiency})"


class SelfIdentification(models.Model):
    """Restricted, self-identified attributes, kept apart from the directory.

    Never shown per person outside the person's own profile and the admin; reports use them only
    in aggregates of at least the minimum group size.
    """

    person = models.OneToOneField(
        Person, primary_key=True, on_delete=models.CASCADE, related_name="self_identification"
    )
    gender = models.CharField(max_length=100, blank=True)
    ethnicity = models.CharField(max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    disability = models.CharField(max_length=100, blank=True)
    # Given by the person on their own form, with the consent text shown there (the import, which
    # carries what the HRIS collected under its own consent, leaves it empty).
    consented_at = models.DateTimeField(null=True, blank=True)
    # The person withdrew their consent: the values were deleted, and the import writes none again.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "self-identification (restricted)"
        verbose_name_plural = "self-identifications (restricted)"

    def __str__(self) -> str:
        return f"Self-identification of person {self.person_id}"


class CareerEventKind(models.TextChoices):
    HIRE = "hire", "Hire"
    PROMOTION = "promotion", "Promotion"
    LEVEL_CHANGE = "level_change", "Level change"
    ROLE_CHANGE = "role_change", "Role change"
    EXIT = "exit", "Exit"


class CareerEvent(models.Model):
    """A fact from the HRIS about a person's career: the ground truth for outcome analytics."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="career_events")
    kind = models.CharField(max_length=20, choices=CareerEventKind.choices)
    effective_date = models.DateField()
    from_level = models.PositiveSmallIntegerField(null=True, blank=True)
    to_level = models.PositiveSmallIntegerField(null=True, blank=True)
    from_title = models.CharField(max_length=200, blank=True)
    to_title = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    applied_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="An exit: when its day had come and it was applied (the person marked as having left, if it "
        "was their latest event). Empty while an exit's day has not come; the daily run applies it then.",
    )

    class Meta:
        ordering = ["-effective_date", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "effective_date"], name="career_event_once"),
        ]
        indexes = [models.Index(fields=["kind", "effective_date"], name="career_event_kind_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of person {self.person_id} on {self.effective_date}"


class ImportKind(models.TextChoices):
    PEOPLE = "people", "People"
    CAREER_EVENTS = "career_events", "Career events"
    RELATIONSHIPS = "relationships", "Past relationships"


class ImportOutcome(models.TextChoices):
    CHECKED = "checked", "Checked (dry run: nothing written)"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected: problems in the file"
    REFUSED = "refused", "Refused: not permitted, or not confirmed"


class AppendOnlyError(Exception):
    """Import records are kept as written: never changed, never deleted."""


class ImportRecordQuerySet(models.QuerySet["ImportRecord"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("import records cannot be changed")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("import records cannot be deleted")


class ImportRecord(models.Model):
    """One run of an import (people or career events, from the web or the command line), kept for good.

    Who ran it, when, which file (its name and SHA-256), how (whole workforce or partial, dry run or
    applied), what came of it and the counts. Written once by the import itself; never changed or
    deleted (append-only), shown read-only to org admins in the admin. Its ``import_people``
    permission is the power to import the directory.
    """

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    outcome = models.CharField(max_length=20, choices=ImportOutcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, help_text="The account, or the command line and its system user.")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField("file SHA-256", max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes.")
    preset = models.CharField(
        max_length=200, blank=True, help_text="The HRIS preset, and the mapping file if one was given."
    )
    full = models.BooleanField("whole workforce", default=False)
    dry_run = models.BooleanField(default=False)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deactivated = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=500, blank=True, help_text="Why it was refused.")

    objects = ImportRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_at"], name="import_record_created")]
        permissions = [("import_people", "Can import people (and career events) from the HRIS")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.file_name} by {self.actor_name} ({self.outcome})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("import records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("import records cannot be deleted")

    @property
    def mode(self) -> str:
        run = "dry run" if self.dry_run else "applied"
        if self.kind == ImportKind.CAREER_EVENTS:
            return run
        return f"{'whole workforce' if self.full else 'partial'}, {run}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Importing"
    APPLIED = "applied", "Applied"
    REFUSED = "refused", "Refused"
    REJECTED = "rejected", "Rejected: problems in the file"
    FAILED = "failed", "Stopped by a fault"


class ImportJob(models.Model):
    """A confirmed people import too large for a request, run by a worker, with its progress.

    The file waits under ``VAR_DIR/imports`` until the job ends. ``record`` is set in the very
    transaction that writes the import (with its :class:`ImportRecord`), so a job whose worker died
    after that commit is seen as applied when it runs again, and one that died before it starts over
    from a directory the rolled-back attempt never touched: nobody is imported twice.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file_path = models.CharField(max_length=500)
    file_name = models.CharField(max_length=255)
    preset = models.CharField(max_length=200)
    full = models.BooleanField(default=False)
    confirmed_deactivations = models.PositiveIntegerField(null=True, blank=True)
    allow_mass_deactivation = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    rows = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    record = models.OneToOneField(ImportRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="job")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Import job {self.pk} of {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status not in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
