from django.contrib import admin

from core.translated import translated_names
from meetings.models import (
    AgendaItem,
    Attendance,
    CalendarReply,
    Document,
    DocumentFile,
    Invitation,
    Meeting,
    MeetingSeries,
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
