"""Participation per level and administration over a period."""


from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from meetings.forms import StatisticsForm
from meetings.stats import bar_chart, default_period, participation
from members.access import Action, groups_where, member_required


@member_required
def statistics(request: HttpRequest) -> HttpResponse:
    groups = list(groups_where(request.member, Action.MANAGE_MEETINGS).order_by("slug"))
    if not groups:
        raise PermissionDenied
    period = default_period()
    form = StatisticsForm(data=request.GET or None, groups=groups, period=period)
    context = {"form": form, "stats": None}
    if not form.is_bound or form.is_valid():
        start, end = (form.cleaned_data["start"], form.cleaned_data["end"]) if form.is_bound else period
        chosen = form.chosen_groups() if form.is_bound else groups
        stats = participation(groups=chosen, start=start, end=end)
        context.update(
            stats=stats,
            chosen_groups=chosen,
            sections=[
                {
                    "key": "levels",
                    "heading": _("Per level"),
                    "title": _("Meetings invited, answered and attended, per level"),
                    "caption": _("Participation per level"),
                    "row_header": _("Level"),
                    "rows": stats.levels,
                    "chart": bar_chart(stats.levels),
                },
                {
                    "key": "administrations",
                    "heading": _("Per administration"),
                    "title": _("Meetings invited, answered and attended, per administration"),
                    "caption": _("Participation per administration"),
                    "row_header": _("Administration"),
                    "rows": stats.administrations,
                    "chart": bar_chart(stats.administrations),
                },
            ],
            period_text=_("%(start)s to %(end)s")
            % {"start": date_format(start, "DATE_FORMAT"), "end": date_format(end, "DATE_FORMAT")},
        )
    return render(request, "meetings/statistics.html", context)
