"""django-tables2 tables of the members pages."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.i18n import localized_html, role_of
from members.models import Member, Membership


def _role(membership: Membership, member: Member) -> str:
    return role_of(membership.role, membership.get_role_display(), member.form_of_address)


def _group_and_role(group: str, role: str) -> str:
    """ "Group: role", with the language's own punctuation (French puts a space before the colon)."""
    return mark_safe(escape(gettext("%(group)s: %(role)s")) % {"group": group, "role": role})


class MemberTable(tables.Table):
    """Members with their contacts, administration and current roles.

    Reads only what MemberQuerySet.with_directory_data() loads.
    """

    caption = _("Members")

    name = tables.Column(verbose_name=_("Name"), accessor="user__name", order_by=("user__name", "pk"))
    email = tables.Column(verbose_name=_("Email address"), accessor="user__email", order_by=("user__email",))
    # Export only: the page shows a badge in the email column instead.
    email_bounced = tables.Column(
        verbose_name=_("Address bounced on"), accessor="email_bounced_at", visible=False, orderable=False
    )
    administration = tables.Column(
        verbose_name=_("Administration"),
        accessor="administration__acronym",
        order_by=("administration__acronym", "user__name", "pk"),
    )
    # Export only: the page shows the name as the acronym's expansion.
    administration_name = tables.Column(
        verbose_name=_("Administration (full name)"),
        accessor="administration__name",
        visible=False,
        orderable=False,
    )
    level = tables.Column(
        verbose_name=_("Level"),
        accessor="administration__level",
        order_by=("administration__level", "administration__acronym", "user__name", "pk"),
    )
    job_title = tables.Column(verbose_name=_("Job title"), order_by=("job_title", "user__name", "pk"))
    phone = tables.Column(verbose_name=_("Phone"), orderable=False)
    roles = tables.Column(
        verbose_name=_("Groups and roles"), accessor="current_memberships", orderable=False, default=""
    )

    class Meta:
        model = Member
        fields = ()
        sequence = (
            "name",
            "email",
            "email_bounced",
            "administration",
            "administration_name",
            "level",
            "job_title",
            "phone",
            "roles",
        )
        order_by = ("name",)
        empty_text = _("No member matches these criteria.")
        attrs = {"class": "data-table"}

    def render_email(self, value, record):
        link = format_html('<a href="mailto:{}">{}</a>', value, value)
        if record.email_bounced_at is None:
            return link
        when = date_format(timezone.localtime(record.email_bounced_at), "DATE_FORMAT")
        return format_html(
            '{} <span class="badge badge-warning" title="{}">{}</span>',
            link,
            gettext("Messages to this address were returned on %(date)s.") % {"date": when},
            gettext("Address bounced"),
        )

    def value_email(self, value):
        return value

    def value_email_bounced(self, value):
        return timezone.localtime(value).date().isoformat() if value else ""

    def render_administration(self, value, record):
        url = reverse("members:administration-detail", args=[record.administration_id])
        return format_html(
            '<a href="{}"><abbr title="{}">{}</abbr></a>', url, record.administration.name, value
        )

    def value_administration(self, value):
        return value

    def render_roles(self, value, record):
        if not value:
            return "—"
        items = ((_group_and_role(localized_html(m.group, "name"), escape(_role(m, record))),) for m in value)
        return format_html('<ul class="plain-list">{}</ul>', format_html_join("", "<li>{}</li>", items))

    def value_roles(self, value, record):
        return "; ".join(
            gettext("%(group)s: %(role)s") % {"group": m.group.name, "role": _role(m, record)}
            for m in value or ()
        )


class RepresentationTable(tables.Table):
    """Memberships (current and ended) of one administration's members, newest first."""

    caption = _("Representation history")

    member = tables.Column(
        verbose_name=_("Member"), accessor="member__user__name", order_by=("member__user__name", "-start")
    )
    group = tables.Column(verbose_name=_("Group"), accessor="group", order_by=("group__slug", "-start"))
    role = tables.Column(verbose_name=_("Role"), order_by=("role", "-start"))
    start = tables.DateColumn(verbose_name=_("Start"), short=False, order_by=("start", "pk"))
    end = tables.DateColumn(
        short=False,
        verbose_name=pgettext_lazy("end of a membership", "End"),
        order_by=("end", "pk"),
        default=pgettext_lazy("a membership without an end", "ongoing"),
    )

    class Meta:
        model = Membership
        fields = ()
        sequence = ("member", "group", "role", "start", "end")
        order_by = ("-start",)
        empty_text = _("No member of this administration has belonged to a group yet.")
        attrs = {"class": "data-table"}

    def render_group(self, value):
        return localized_html(value, "name")

    def render_role(self, value, record):
        label = _role(record, record.member)
        if record.substitute_for_id is None:
            return label
        return gettext("%(role)s (stands in for %(name)s)") % {
            "role": label,
            "name": record.substitute_for.user.name,
        }
