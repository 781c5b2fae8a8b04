"""django-tables2 tables of the commitment tracker (members) and of a plan's public page.

Both read only what `tracker_rows()` loads: the commitment, its plan and edition, chapter, lead
administration and `part_list` (each part with its administration). No column queries.
"""

import django_tables2 as tables
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coordination.models import Commitment
from core.i18n import fallback_order, localized, localized_html


def tracker_rows(commitments: QuerySet[Commitment]) -> QuerySet[Commitment]:
    """Everything CommitmentTable reads, in a fixed number of queries (rows, then their parts)."""
    return commitments.with_list_data().select_related("edition__plan")


class CommitmentTable(tables.Table):
    """Commitments with their plan, owners, due date and rolled-up status, completion and progress."""

    caption = _("Commitments")

    reference = tables.Column(verbose_name=_("Reference"), order_by=("reference", "pk"))
    title = tables.Column(verbose_name=_("Commitment"), accessor="pk")
    plan = tables.Column(
        verbose_name=_("Action plan"),
        accessor="edition",
        order_by=("edition__plan__slug", "-edition__starts_on", "position", "pk"),
        default="",
    )
    chapter = tables.Column(
        verbose_name=_("Chapter"), accessor="chapter", order_by=("chapter__position", "chapter__code", "pk")
    )
    lead = tables.Column(
        verbose_name=_("Lead administration"),
        accessor="lead_administration__acronym",
        order_by=("lead_administration__acronym", "pk"),
    )
    owners = tables.Column(verbose_name=_("Parts"), accessor="part_list", orderable=False, default="")
    start_date = tables.Column(verbose_name=_("Start"), visible=False, orderable=False)
    due_date = tables.Column(verbose_name=_("Due"), order_by=("due_date", "pk"))
    status = tables.Column(verbose_name=_("Status"), order_by=("status", "due_date", "pk"))
    completion = tables.Column(verbose_name=_("Completion"), order_by=("completion", "pk"))
    progress = tables.Column(verbose_name=_("Progress (%)"), order_by=("progress", "pk"))

    detail_url_name = "coordination:commitment-detail"

    class Meta:
        model = Commitment
        fields = ()
        sequence = (
            "reference",
            "title",
            "plan",
            "chapter",
            "lead",
            "owners",
            "start_date",
            "due_date",
            "status",
            "completion",
            "progress",
        )
        order_by = ("plan",)
        empty_text = _("No commitment matches these criteria.")
        attrs = {"class": "data-table commitment-tracker"}

    def order_title(self, queryset, is_descending):
        """By the title as the reader sees it: in their language, else the first one filled in."""
        shown = Coalesce(*(NullIf(f"title_{code}", Value("")) for code in fallback_order()), Value(""))
        ordered = queryset.annotate(shown_title=Lower(shown)).order_by(
            "-shown_title" if is_descending else "shown_title", "pk"
        )
        return ordered, True

    def render_title(self, value, record):
        title = localized_html(record, "title")
        if not self.detail_url_name:
            return title
        return format_html('<a href="{}">{}</a>', reverse(self.detail_url_name, args=[record.pk]), title)

    def value_title(self, value, record):
        return localized(record, "title")

    def render_plan(self, value, record):
        return format_html("{} {}", localized_html(value.plan, "title"), value.label)

    def value_plan(self, value, record):
        return f"{localized(value.plan, 'title')} {value.label}" if value else ""

    def render_chapter(self, value, record):
        return format_html("{} {}", value.code, localized_html(value, "title"))

    def value_chapter(self, value, record):
        return f"{value.code} {localized(value, 'title')}".strip() if value else ""

    def render_lead(self, value, record):
        return format_html('<abbr title="{}">{}</abbr>', record.lead_administration.name, value)

    def render_owners(self, value, record):
        items = (
            (
                part.administration.name,
                part.administration.acronym,
                part.get_status_display(),
                part.progress,
            )
            for part in value
        )
        return format_html(
            '<ul class="part-chips">{}</ul>',
            format_html_join("", '<li><abbr title="{}">{}</abbr>: {}, {} %</li>', items),
        )

    def value_owners(self, value, record):
        return ", ".join(part.administration.acronym for part in value or ())

    def value_start_date(self, value):
        return value.isoformat() if value else ""

    def render_due_date(self, value, record):
        shown = format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "SHORT_DATE_FORMAT")
        )
        if record.is_overdue:
            return format_html('{} <strong class="overdue">{}</strong>', shown, gettext("overdue"))
        return shown

    def value_due_date(self, value):
        return value.isoformat() if value else ""

    def render_status(self, value, record):
        return render_to_string(
            "coordination/_status.html", {"status": record.status, "label": record.get_status_display()}
        )

    def value_status(self, value, record):
        return record.get_status_display()

    def render_completion(self, value, record):
        return record.get_completion_display()

    def value_completion(self, value, record):
        return record.get_completion_display()

    def render_progress(self, value, record):
        return render_to_string("coordination/_progress.html", {"value": value, "label": gettext("Progress")})

    def value_progress(self, value):
        return value


class PublicCommitmentTable(CommitmentTable):
    """The public page's table: the same columns, titles not linked to the members' pages."""

    detail_url_name = ""

    class Meta(CommitmentTable.Meta):
        exclude = ("plan",)
        order_by = ("reference",)
