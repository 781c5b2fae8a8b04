"""Minutes with items, decisions and action items, made with the ORM for tests of the pages that read them.

Tests of the minutes services (the workflow) make minutes through those services instead.
"""

from datetime import timedelta

from django.utils import timezone

from meetings.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Decision,
    Invitation,
    Meeting,
    Minutes,
    MinutesItem,
)
from members.models import Member
from tests.meetings.factories import in_days, make_items, make_meeting


def held_meeting(group, organiser: Member | None = None, *, days_ago: int = 3, **fields) -> Meeting:
    return make_meeting(
        group, organiser, starts_at=in_days(-days_ago), status=Meeting.Status.HELD, **fields
    )


def make_minutes(
    meeting: Meeting,
    *,
    items: int = 3,
    decisions_per_item: int = 1,
    actions_per_item: int = 1,
    status: str = Minutes.Status.DRAFT,
    owner_administration=None,
    chair: Member | None = None,
    language: str = "en",
    **fields,
) -> Minutes:
    """Minutes for `meeting`: one item per agenda item (made when the agenda has fewer), each with
    `decisions_per_item` decisions and `actions_per_item` action items owned by `owner_administration`
    (the chair's administration by default). Published and approved minutes get their dates.
    """
    agenda = list(meeting.agenda_items.order_by("position", "pk"))
    if len(agenda) < items:
        agenda += make_items(meeting, items - len(agenda))
    now = timezone.now()
    stamps = {}
    if status in {Minutes.Status.APPROVED, Minutes.Status.PUBLISHED}:
        stamps.update(approved_at=now, approved_by=chair)
    if status == Minutes.Status.PUBLISHED:
        stamps.update(published_at=now, published_by=chair)
    if status == Minutes.Status.FOR_COMMENTS:
        stamps.update(
            sent_for_comments_at=now,
            comment_deadline=now + timedelta(days=7),
            comment_audience=Minutes.Audience.ATTENDEES,
        )
    stamps.update(fields)
    minutes = Minutes.objects.create(
        meeting=meeting, status=status, chair=chair, language=language, version=1, **stamps
    )
    if owner_administration is None and chair is not None:
        owner_administration = chair.administration
    year = meeting.starts_at.year
    number = 0
    for position, agenda_item in enumerate(agenda[:items], start=1):
        item = _item(minutes, agenda_item, position)
        for k in range(decisions_per_item):
            number += 1
            Decision.objects.create(
                item=item,
                minutes=minutes,
                position=k + 1,
                number=f"{year}/{meeting.pk:02d}-{number}",
                text_en=f"The group approves proposal {position}.{k + 1}.",
                text_fr=f"Le groupe approuve la proposition {position}.{k + 1}.",
            )
        for k in range(actions_per_item if owner_administration is not None else 0):
            ActionItem.objects.create(
                item=item,
                minutes=minutes,
                position=k + 1,
                text_en=f"Send the figures for item {position}.",
                text_fr=f"Envoyer les chiffres pour le point {position}.",
                owner_administration=owner_administration,
                due_date=timezone.localdate() + timedelta(days=30),
            )
    return minutes


def _item(minutes: Minutes, agenda_item: AgendaItem, position: int) -> MinutesItem:
    return MinutesItem.objects.create(
        minutes=minutes,
        agenda_item=agenda_item,
        position=position,
        title_en=agenda_item.title_en or agenda_item.title,
        title_fr=agenda_item.title_fr,
        title_nl=agenda_item.title_nl,
        summary_en=f"The group discussed **{agenda_item.title_en or 'the item'}**.",
        summary_fr="Le groupe a débattu du point.",
    )


def attended(meeting: Meeting, member: Member, status: str = Attendance.Status.PRESENT) -> Invitation:
    """Invite `member` and record their attendance."""
    invitation, _ = Invitation.objects.get_or_create(
        meeting=meeting, member=member, defaults={"language": "en", "rsvp": Invitation.Rsvp.ACCEPTED}
    )
    Attendance.objects.update_or_create(invitation=invitation, defaults={"status": status})
    return invitation
