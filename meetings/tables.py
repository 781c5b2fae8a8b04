"""django-tables2 tables of the meetings pages. Columns read only what with_list_data() loads."""

import django_tables2 as tables
from django.db.models import Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from core.i18n import fallback_order, localized, localized_html
from meetings import attendance as attendance_service
from meetings.models import Decision, Invitation, Meeting


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


def moment_text(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class AnswersExportTable(tables.Table):
    """One row per invitee, for the CSV and XLSX exports of the answers overview."""

    name = tables.Column(verbose_name=gettext_lazy("Name"))
    email = tables.Column(verbose_name=gettext_lazy("Email address"))
    administration = tables.Column(verbose_name=gettext_lazy("Administration"))
    level = tables.Column(verbose_name=gettext_lazy("Level"))
    answer = tables.Column(verbose_name=gettext_lazy("Answer"))
    answered_at = tables.Column(verbose_name=gettext_lazy("Answered at"))
    comment = tables.Column(verbose_name=gettext_lazy("Comment"))
    joining = tables.Column(verbose_name=gettext_lazy("Joining"))
    substitute = tables.Column(verbose_name=gettext_lazy("Substitute"))
    stands_in_for = tables.Column(verbose_name=gettext_lazy("Stands in for"))
    new_time = tables.Column(verbose_name=gettext_lazy("Answer for the new time"))

    class Meta:
        orderable = False


class AttendanceExportTable(tables.Table):
    name = tables.Column(verbose_name=gettext_lazy("Name"))
    email = tables.Column(verbose_name=gettext_lazy("Email address"))
    administration = tables.Column(verbose_name=gettext_lazy("Administration"))
    level = tables.Column(verbose_name=gettext_lazy("Level"))
    answer = tables.Column(verbose_name=gettext_lazy("Answer"))
    attendance = tables.Column(verbose_name=gettext_lazy("Attendance"))
    represented_by = tables.Column(verbose_name=gettext_lazy("Represented by"))
    stands_in_for = tables.Column(verbose_name=gettext_lazy("Stands in for"))

    class Meta:
        orderable = False


def answer_rows(invitations: list[Invitation]) -> list[dict]:
    """Rows of the answers export; `invitations` come from meetings.answers.answers_overview()."""
    confirmed, to_confirm = gettext("Confirmed"), gettext("To confirm")
    rows = []
    for invitation in invitations:
        administration = invitation.counted_administration
        new_time = to_confirm if invitation.to_confirm else confirmed if invitation.confirmed_new_time else ""
        rows.append(
            {
                "name": invitation.display_name,
                "email": invitation.recipient_email,
                "administration": administration.acronym if administration else "",
                "level": administration.get_level_display() if administration else "",
                "answer": invitation.answer_label,
                "answered_at": moment_text(invitation.rsvp_at),
                "comment": invitation.rsvp_comment,
                "joining": invitation.get_attendance_mode_display() if invitation.attendance_mode else "",
                "substitute": invitation.substitute.display_name if invitation.substitute else "",
                "stands_in_for": ", ".join(i.display_name for i in invitation.stands_in_for),
                "new_time": new_time,
            }
        )
    return rows


def attendance_rows(sheet: list[attendance_service.SheetRow]) -> list[dict]:
    rows = []
    for row in sheet:
        invitation = row.invitation
        administration = invitation.counted_administration
        attendance = row.attendance
        rows.append(
            {
                "name": invitation.display_name,
                "email": invitation.recipient_email,
                "administration": administration.acronym if administration else "",
                "level": administration.get_level_display() if administration else "",
                "answer": invitation.get_rsvp_display(),
                "attendance": attendance.get_status_display() if attendance else gettext("Not recorded"),
                "represented_by": row.representative_name if attendance else "",
                "stands_in_for": ", ".join(i.display_name for i in invitation.stands_in_for),
            }
        )
    return rows


def minutes_item_url(meeting_id: int, item_id: int) -> str:
    """The item's place on the meeting's minutes page: /meetings/<pk>/minutes/#item-<item pk>."""
    try:
        page = reverse("minutes:detail", kwargs={"pk": meeting_id})
    except NoReverseMatch:  # the minutes page is not mounted: its address is still this one
        page = f"/meetings/{meeting_id}/minutes/"
    return f"{page}#item-{item_id}"


# Decisions of one meeting, as its minutes list them.
IN_MINUTES_ORDER = ("minutes__meeting__pk", "item__position", "item__pk", "position", "pk")


class DecisionTable(tables.Table):
    """The decisions register: reads only what meetings.decisions.visible_decisions() loads."""

    caption = _("Decisions")

    number = tables.Column(
        verbose_name=_("Number"),
        order_by=("minutes__meeting__starts_at", "item__position", "position", "pk"),
    )
    text = tables.Column(verbose_name=_("Decision"), accessor="pk", orderable=False)
    meeting = tables.Column(verbose_name=_("Meeting"), accessor="minutes__meeting")
    item = tables.Column(verbose_name=_("Item"), accessor="item", orderable=False)
    group = tables.Column(verbose_name=_("Group"), accessor="minutes__meeting__group")
    date = tables.Column(verbose_name=_("Date"), accessor="minutes__meeting__starts_at")

    class Meta:
        model = Decision
        fields = ()
        sequence = ("number", "text", "meeting", "item", "group", "date")
        order_by = ("-date",)
        attrs = {"class": "data-table decision-register"}
        empty_text = _("No decision matches these criteria.")

    def order_date(self, queryset, is_descending):
        """Newest or oldest meeting first; inside a meeting, always in the order of the minutes."""
        starts_at = "-minutes__meeting__starts_at" if is_descending else "minutes__meeting__starts_at"
        return queryset.order_by(starts_at, *IN_MINUTES_ORDER), True

    def order_group(self, queryset, is_descending):
        """By group, newest meeting first in each; inside a meeting, in the order of the minutes."""
        slug = "-minutes__meeting__group__slug" if is_descending else "minutes__meeting__group__slug"
        return queryset.order_by(slug, "-minutes__meeting__starts_at", *IN_MINUTES_ORDER), True

    def order_meeting(self, queryset, is_descending):
        """By the meeting's title as the reader sees it (their language, else the first one filled
        in), then its date; inside a meeting, always in the order of the minutes."""
        shown = Coalesce(
            *(NullIf(f"minutes__meeting__title_{code}", Value("")) for code in fallback_order()), Value("")
        )
        title = "-shown_meeting_title" if is_descending else "shown_meeting_title"
        ordered = queryset.annotate(shown_meeting_title=Lower(shown)).order_by(
            title, "minutes__meeting__starts_at", *IN_MINUTES_ORDER
        )
        return ordered, True

    def render_text(self, record):
        return localized_html(record, "text")

    def value_text(self, record):
        return localized(record, "text")

    def render_meeting(self, value):
        url = reverse("meetings:detail", args=[value.pk])
        return format_html('<a href="{}">{}</a>', url, localized_html(value, "title"))

    def value_meeting(self, value):
        return localized(value, "title")

    def render_item(self, value, record):
        url = minutes_item_url(record.minutes.meeting_id, value.pk)
        return format_html('<a href="{}">{}</a>', url, localized_html(value, "title"))

    def value_item(self, value):
        return localized(value, "title")

    def render_group(self, value):
        return localized_html(value, "name")

    def value_group(self, value):
        return localized(value, "name")

    def render_date(self, value):
        day = timezone.localtime(value).date()
        return format_html(
            '<time datetime="{}">{}</time>', day.isoformat(), date_format(day, "SHORT_DATE_FORMAT")
        )

    def value_date(self, value):
        return timezone.localtime(value).date().isoformat()
