from django.contrib import admin

from meetings.models import AgendaItem, Document, DocumentFile, Invitation, Meeting, MeetingSeries


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ("position", "title_en", "title_nl", "title_fr", "kind", "duration_minutes")
    ordering = ("position",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "group", "starts_at", "format", "status", "sequence", "circulated_at")
    list_filter = ("status", "format", "kind", "group")
    search_fields = ("title_nl", "title_fr", "title_de", "title_en")
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


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "rsvp", "sent_sequence", "removed_at")
    list_filter = ("source", "rsvp")
    search_fields = ("email", "name", "member__user__email", "member__user__name")
    list_select_related = ("meeting", "member__user")
    raw_id_fields = ("meeting", "member")
