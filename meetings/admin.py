from django.contrib import admin
from django.utils import timezone

from core.translated import translated_names
from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    CalendarReply,
    Decision,
    Document,
    DocumentFile,
    Invitation,
    Meeting,
    MeetingPack,
    MeetingSeries,
    Minutes,
    MinutesComment,
    MinutesItem,
    MinutesVersion,
    RsvpAnswer,
)


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ("position", *translated_names("title"), "kind", "duration_minutes")
    ordering = ("position",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "group", "starts_at", "format", "status", "sequence", "circulated_at")
    list_filter = ("status", "format", "kind", "group")
    search_fields = translated_names("title")
    date_hierarchy = "starts_at"
    list_select_related = ("group",)
    raw_id_fields = ("organiser", "series")
    filter_horizontal = ("invited_administrations",)
    readonly_fields = ("sequence", "circulated_at", "created_at", "updated_at")
    inlines = [AgendaItemInline]


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(admin.ModelAdmin):
    list_display = ("__str__", "group", "rule", "created_at")
    list_select_related = ("group",)
    raw_id_fields = ("created_by",)


class DocumentFileInline(admin.TabularInline):
    model = DocumentFile
    extra = 0
    fields = ("language", "version", "original_name", "content_type", "size", "uploaded_at")
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "meeting", "agenda_item", "created_at")
    list_select_related = ("meeting", "agenda_item")
    raw_id_fields = ("meeting", "agenda_item", "created_by")
    inlines = [DocumentFileInline]


class RsvpAnswerInline(admin.TabularInline):
    model = RsvpAnswer
    extra = 0
    fields = ("created_at", "answer", "channel", "answered_by", "attendance_mode", "comment")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # the history is written by answering, never by hand


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "rsvp", "sent_sequence", "removed_at")
    list_filter = ("source", "rsvp", "attendance_mode")
    search_fields = ("email", "name", "member__user__email", "member__user__name", "meeting__title_en")
    list_select_related = ("meeting", "member__user")
    raw_id_fields = ("meeting", "member", "delegated_to")
    inlines = [RsvpAnswerInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "meeting", "position", "kind", "duration_minutes")
    list_filter = ("kind",)
    search_fields = translated_names("title")
    list_select_related = ("meeting",)
    raw_id_fields = ("meeting", "presenter", "presenter_administration")

    # Calendar feeds see agenda changes through their meeting's updated_at (the agenda services
    # save the meeting); an edit here must move it too, or a feed poll would get a stale 304.
    def save_model(self, request, obj, form, change):
        before = AgendaItem.objects.filter(pk=obj.pk).values_list("meeting_id", flat=True).first()
        super().save_model(request, obj, form, change)
        _touch_meetings({obj.meeting_id, before})

    def delete_model(self, request, obj):
        meeting_id = obj.meeting_id
        super().delete_model(request, obj)
        _touch_meetings({meeting_id})

    def delete_queryset(self, request, queryset):
        meeting_ids = set(queryset.values_list("meeting_id", flat=True))
        super().delete_queryset(request, queryset)
        _touch_meetings(meeting_ids)


def _touch_meetings(meeting_ids: set) -> None:
    Meeting.objects.filter(pk__in=[pk for pk in meeting_ids if pk]).update(updated_at=timezone.now())


@admin.register(DocumentFile)
class DocumentFileAdmin(admin.ModelAdmin):
    list_display = ("original_name", "document", "language", "version", "content_type", "size", "uploaded_at")
    list_filter = ("language", "content_type")
    search_fields = ("original_name", "document__title")
    list_select_related = ("document",)
    raw_id_fields = ("document", "uploaded_by")


@admin.register(RsvpAnswer)
class RsvpAnswerAdmin(admin.ModelAdmin):
    list_display = ("created_at", "invitation", "answer", "channel", "answered_by")
    list_filter = ("answer", "channel")
    search_fields = ("invitation__member__user__name", "invitation__email", "comment")
    list_select_related = ("invitation__meeting", "invitation__member__user", "answered_by__user")
    raw_id_fields = ("invitation", "answered_by")
    date_hierarchy = "created_at"


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("invitation", "status", "represented_by", "recorded_by", "recorded_at")
    list_filter = ("status",)
    search_fields = ("invitation__member__user__name", "invitation__email")
    list_select_related = ("invitation__meeting", "invitation__member__user", "represented_by__user")
    raw_id_fields = ("invitation", "represented_by", "recorded_by")


@admin.register(CalendarReply)
class CalendarReplyAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "attendee", "partstat", "sequence", "outcome", "reason")
    list_filter = ("outcome", "partstat")
    search_fields = ("sender", "attendee", "uid", "reason")
    readonly_fields = [field.name for field in CalendarReply._meta.fields]
    date_hierarchy = "received_at"

    def has_add_permission(self, request) -> bool:
        return False  # an audit log: written by the application only


class History:
    """Versions, comments and built packs are history: written by the application, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MinutesItemInline(admin.TabularInline):
    model = MinutesItem
    extra = 0
    fields = ("position", *translated_names("title"), "agenda_item")
    raw_id_fields = ("agenda_item",)
    ordering = ("position",)


@admin.register(Minutes)
class MinutesAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "language", "version", "approved_at", "published_at")
    list_filter = ("status", "language", "meeting__group")
    search_fields = translated_names("meeting__title")
    list_select_related = ("meeting",)
    raw_id_fields = (
        "meeting",
        "chair",
        "created_by",
        "updated_by",
        "sent_for_comments_by",
        "approved_by",
        "approved_at_meeting",
        "published_by",
    )
    readonly_fields = (
        "version",
        "created_at",
        "updated_at",
        "sent_for_comments_at",
        "approved_at",
        "published_at",
    )
    inlines = [MinutesItemInline]


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    fields = ("position", "number", *translated_names("text"))
    ordering = ("position",)


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ("position", *translated_names("text"), "owner_administration", "owner", "due_date", "status")
    raw_id_fields = ("owner_administration", "owner")
    ordering = ("position",)


@admin.register(MinutesItem)
class MinutesItemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "minutes", "position", "agenda_item")
    search_fields = translated_names("title")
    list_filter = ("minutes__status",)
    list_select_related = ("minutes__meeting", "agenda_item")
    raw_id_fields = ("minutes", "agenda_item")
    inlines = [DecisionInline, ActionItemInline]

    def save_formset(self, request, form, formset, change) -> None:
        # Decisions and actions belong to the item's minutes.
        for row in formset.save(commit=False):
            row.minutes_id = form.instance.minutes_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("number", "__str__", "minutes")
    search_fields = ("number", *translated_names("text"))
    list_filter = ("minutes__status", "minutes__meeting__group")
    list_select_related = ("minutes__meeting",)
    raw_id_fields = ("item", "minutes")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "minutes", "owner_administration", "owner", "due_date", "status")
    search_fields = (*translated_names("text"), "owner__user__name")
    list_filter = ("status", "minutes__meeting__group")
    list_select_related = ("minutes__meeting", "owner_administration", "owner__user")
    raw_id_fields = ("item", "minutes", "owner_administration", "owner")


@admin.register(MinutesVersion)
class MinutesVersionAdmin(History, admin.ModelAdmin):
    list_display = ("__str__", "number", "status", "saved_by", "saved_at")
    list_filter = ("status",)
    search_fields = translated_names("minutes__meeting__title")
    list_select_related = ("minutes__meeting", "saved_by__user")
    date_hierarchy = "saved_at"


@admin.register(MinutesComment)
class MinutesCommentAdmin(History, admin.ModelAdmin):
    list_display = ("__str__", "minutes", "author", "status", "created_at", "resolved_at")
    list_filter = ("status",)
    search_fields = ("text", "resolution", "author__user__name")
    list_select_related = ("minutes__meeting", "author__user")
    date_hierarchy = "created_at"


@admin.register(MeetingPack)
class MeetingPackAdmin(History, admin.ModelAdmin):
    list_display = ("meeting", "kind", "language", "status", "done", "total", "size", "built_at")
    list_filter = ("kind", "language", "status")
    search_fields = translated_names("meeting__title")
    list_select_related = ("meeting",)
