"""Dates are written the way each language writes them, from the format modules."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Membership
from tests.factories import GroupFactory, make_member
from tests.meetings.factories import make_meeting

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 12, 22, 14, 0, tzinfo=ZoneInfo("Europe/Brussels"))

LONG_DATES = {
    "nl": "dinsdag 22 december 2026, 14:00",
    "fr": "mardi 22 décembre 2026, 14:00",
    "de": "Dienstag, 22. Dezember 2026, 14:00",
    "en": "Tuesday 22 December 2026, 14:00",
}


@pytest.mark.parametrize(("language", "expected"), LONG_DATES.items())
def test_meeting_page_writes_the_date_as_the_language_does(client, language, expected):
    group = GroupFactory()
    member = make_member(group, Membership.Role.MEMBER, language=language)
    meeting = make_meeting(group, starts_at=TUESDAY)
    client.force_login(member.user)

    response = client.get(reverse("meetings:detail", args=[meeting.pk]))

    assert expected in response.text


@pytest.mark.parametrize(("language", "expected"), LONG_DATES.items())
def test_meeting_emails_write_the_date_as_the_language_does(language, expected):
    meeting = make_meeting(GroupFactory(), starts_at=TUESDAY)
    with translation.override(language), timezone.override(ZoneInfo("Europe/Brussels")):
        text = render_to_string("meetings/email/cancellation_message.txt", {"meeting": meeting})
        subject = render_to_string("meetings/email/cancellation_subject.txt", {"meeting": meeting})
    assert expected in text
    assert expected.rsplit(",", 1)[0].removesuffix(", 14:00") in subject


@pytest.mark.parametrize(
    ("language", "expected"),
    [("nl", "22-12-2026"), ("fr", "22/12/2026"), ("de", "22.12.2026"), ("en", "22/12/2026")],
)
def test_short_dates_put_the_day_first(language, expected):
    from django.utils.formats import date_format

    with translation.override(language):
        assert date_format(TUESDAY.date(), "SHORT_DATE_FORMAT") == expected
