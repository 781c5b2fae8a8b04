from django.contrib import admin

from coordination.models import (
    ActionPlan,
    Chapter,
    Commitment,
    CommitmentPart,
    Evidence,
    Indicator,
    Milestone,
    PlanEdition,
    ProgressUpdate,
    ReminderLog,
    ReportingRound,
    RoundSnapshot,
)
from core.translated import translated_names


class ReadOnlyHistory:
    """Progress updates, snapshots and the reminder log are history: written by the services only."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PlanEditionInline(admin.TabularInline):
    model = PlanEdition
    extra = 0
    fields = ("label", "starts_on", "ends_on", "predecessor")
    raw_id_fields = ("predecessor",)


@admin.register(ActionPlan)
class ActionPlanAdmin(admin.ModelAdmin):
    list_display = ("slug", *translated_names("title"), "owner_group", "is_public")
    list_filter = ("is_public", "owner_group")
    search_fields = ("slug", *translated_names("title"))
    list_select_related = ("owner_group",)
    inlines = [PlanEditionInline]


class ChapterInline(admin.TabularInline):
    model = Chapter
    extra = 0
    fields = ("position", "code", *translated_names("title"))


@admin.register(PlanEdition)
class PlanEditionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "plan", "label", "starts_on", "ends_on")
    list_select_related = ("plan",)
    raw_id_fields = ("predecessor",)
    inlines = [ChapterInline]


@admin.register(Chapter)
class ChapterAdmin(admin.ModelAdmin):
    list_display = ("code", *translated_names("title"), "edition", "position")
    list_select_related = ("edition__plan",)
    search_fields = ("code", *translated_names("title"))


class CommitmentPartInline(admin.TabularInline):
    model = CommitmentPart
    extra = 0
    fields = ("administration", "status", "completion", "progress", "weight", "last_update_at")
    readonly_fields = ("status", "completion", "progress", "last_update_at")
    show_change_link = True


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        *translated_names("title"),
        "edition",
        "lead_administration",
        "status",
        "progress",
        "due_date",
    )
    list_filter = ("status", "completion", "source", "is_public", "owner_group")
    search_fields = ("reference", *translated_names("title"))
    list_select_related = ("edition__plan", "lead_administration")
    raw_id_fields = ("edition", "chapter", "predecessor", "created_by")
    readonly_fields = ("status", "completion", "progress", "created_at", "updated_at")
    inlines = [CommitmentPartInline]


@admin.register(CommitmentPart)
class CommitmentPartAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "administration",
        "status",
        "completion",
        "progress",
        "weight",
        "last_update_at",
    )
    list_filter = ("status", "completion")
    search_fields = ("commitment__reference", *(f"commitment__{name}" for name in translated_names("title")))
    list_select_related = ("commitment", "administration")
    raw_id_fields = ("commitment",)
    filter_horizontal = ("focal_points",)
    # Status and progress change through progress updates only, so the timeline stays complete.
    readonly_fields = ("status", "completion", "progress", "last_update_at")


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = (*translated_names("title"), "commitment", "due_date", "done_on")
    list_select_related = ("commitment",)
    raw_id_fields = ("commitment", "part")


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = (*translated_names("name"), "commitment", "unit", "baseline", "target", "current_value")
    list_select_related = ("commitment",)
    raw_id_fields = ("commitment",)


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ("title", "url", "original_name", "content_type", "size", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ReadOnlyHistory, admin.ModelAdmin):
    list_display = (
        "__str__",
        "author",
        "created_at",
        "status",
        "completion",
        "progress",
        "no_change",
        "round",
    )
    list_filter = ("status", "no_change")
    list_select_related = ("part__commitment", "part__administration", "author__user", "round__edition__plan")
    inlines = [EvidenceInline]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyHistory, admin.ModelAdmin):
    list_display = ("__str__", "update", "content_type", "size", "created_at")
    list_select_related = ("update__part__commitment", "update__part__administration")


@admin.register(ReportingRound)
class ReportingRoundAdmin(admin.ModelAdmin):
    list_display = ("__str__", "edition", "deadline", "opened_at", "reminder_sent_at", "closed_at")
    list_select_related = ("edition__plan",)
    raw_id_fields = ("opened_by", "closed_by")
    readonly_fields = ("reminder_sent_at", "closed_at", "closed_by")


@admin.register(RoundSnapshot)
class RoundSnapshotAdmin(ReadOnlyHistory, admin.ModelAdmin):
    list_display = ("round", "part", "status", "completion", "progress", "reported", "no_change")
    list_select_related = ("round__edition__plan", "part__commitment", "part__administration")


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyHistory, admin.ModelAdmin):
    list_display = ("kind", "part", "due_date", "round", "member", "sent_at")
    list_filter = ("kind",)
    list_select_related = ("part__commitment", "part__administration", "round__edition__plan", "member__user")
