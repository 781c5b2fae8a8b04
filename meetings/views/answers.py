"""The Answers page: who answered what, by level and administration, and reminding those who did not."""


from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.tables import export_response
from meetings import answers as answers_service
from meetings.access import get_meeting_to_manage
from meetings.invitees import taken_place
from meetings.tables import (
    AnswersExportTable,
    answer_rows,
)
from members.access import member_required


def _outbox_batch_url(batch: str) -> str:
    return reverse("members:outbox-batch", args=[batch])


# --- Answers overview -------------------------------------------------------------------------


def _answer_sections(overview: answers_service.AnswersOverview) -> list[dict]:
    """[{heading, summary, tables: [{caption, administration, represented, summary, invitations}]}]:
    one section per level, one table per administration, and the guests last."""
    sections = [
        {
            "heading": level.label,
            "summary": level.summary,
            "count": level.invited_count,
            "tables": [
                {
                    "administration": group.administration,
                    "represented": group.represented,
                    "summary": group.summary,
                    "invitations": group.invitations,
                }
                for group in level.administrations
            ],
        }
        for level in overview.levels
    ]
    if overview.guests:
        sections.append(
            {
                "heading": _("Guests and people without an administration"),
                "summary": answers_service.answer_summary(overview.guests),
                "count": len(overview.guests),
                "tables": [{"administration": None, "summary": [], "invitations": overview.guests}],
            }
        )
    return sections


@member_required
def answers(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_to_manage(request, pk)
    overview = answers_service.answers_overview(meeting)
    table = AnswersExportTable(answer_rows(overview.invitations))
    response = export_response(
        request, table, title=_("Answers"), filename=f"concerto-answers-{meeting.pk}-{timezone.localdate():%Y-%m-%d}"
    )
    if response is not None:
        return response
    context = {
        "meeting": meeting,
        "overview": overview,
        "sections": _answer_sections(overview),
        "remind_count": len(overview.remindable),
        "remind_to_confirm_count": sum(1 for invitation in overview.remindable if invitation.to_confirm),
        "can_remind": meeting.circulated_at is not None
        and not meeting.is_cancelled
        and not taken_place(meeting),
        "reminder_outbox_url": _outbox_batch_url(answers_service.chair_reminder_batch(meeting))
        if overview.chair_reminders_sent
        else "",
    }
    return render(request, "meetings/answers.html", context)


@require_POST
@member_required
def answers_remind(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_to_manage(request, pk)
    try:
        count = answers_service.remind_unanswered(meeting=meeting, by=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if count:
            text = ngettext(
                "A reminder was queued for %(count)d person who has not answered.",
                "A reminder was queued for %(count)d people who have not answered.",
                count,
            )
            messages.success(request, text % {"count": count})
        else:
            messages.info(request, _("Nobody needed a reminder: everyone answered or was reminded recently."))
    return redirect("meetings:answers", pk=meeting.pk)
