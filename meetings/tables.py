"""django-tables2 tables of the meetings pages. Columns read only what with_list_data() loads."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting
from core.i18n import localized_html


def when_text(meeting: Meeting) -> str:
    """ "12 March 2026, 10:00–12:00" in the active time zone (the reader's)."""
    start = timezone.localtime(meeting.starts_at)
    end = timezone.localtime(meeting.ends_at)
    if start.date() == end.date():
        return f"{date_format(start, 'DATETIME_FORMAT')}–{date_format(end, 'TIME_FORMAT')}"
    return f"{date_format(start, 'DATETIME_FORMAT')} – {date_format(end, 'DATETIME_FORMAT')}"


class MeetingTable(tables.Table):
    caption = _("Upcoming meetings")

    starts_at = tables.Column(verbose_name=_("When"), order_by=("starts_at", "pk"))
    title = tables.Column(verbose_name=_("Meeting"), accessor="pk", orderable=False)
    group = tables.Column(verbose_name=_("Group"), accessor="group", order_by=("group__slug", "starts_at"))
    kind = tables.Column(verbose_name=_("Kind"))
    format = tables.Column(verbose_name=_("Format"))
    status = tables.Column(verbose_name=_("Status"))
    invited_count = tables.Column(verbose_name=_("Invited"), attrs={"td": {"class": "numeric"}})
    accepted_count = tables.Column(verbose_name=_("Accepted"), attrs={"td": {"class": "numeric"}})

    class Meta:
        model = Meeting
        fields = (
            "starts_at",
            "title",
            "group",
            "kind",
            "format",
            "status",
            "invited_count",
            "accepted_count",
        )
        orderable = True
        attrs = {"class": "data-table"}
        empty_text = _("No meetings.")

    def __init__(self, *args, caption=None, **kwargs):
        super().__init__(*args, **kwargs)
        if caption is not None:
            self.caption = caption

    def render_starts_at(self, record: Meeting) -> str:
        return when_text(record)

    def render_title(self, record: Meeting) -> str:
        url = reverse("meetings:detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, localized_html(record, "title"))

    def render_group(self, value) -> str:
        return localized_html(value, "name")

    def render_status(self, record: Meeting) -> str:
        return format_html(
            '<span class="status status-{}">{}</span>', record.status, record.get_status_display()
        )
