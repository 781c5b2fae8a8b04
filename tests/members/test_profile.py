import json

import pytest
from django.urls import reverse

from members import services
from members.models import Member
from members.outbox import Kind, OutboundMessage

pytestmark = pytest.mark.django_db


def profile_data(member, **changes):
    data = {
        "name": member.user.name,
        "job_title": member.job_title,
        "administration": member.administration_id,
        "phone": "+32 2 123 45 67",
        "language": "fr",
        "timezone": "Europe/Brussels",
        "wanted_kinds": [Kind.COMMITMENT_REMINDER],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_member_updates_their_profile_and_preferences(client, focal_point):
    client.force_login(focal_point.user)
    response = client.post(reverse("members:profile"), profile_data(focal_point, job_title="Attaché"))
    assert response.status_code == 302
    member = Member.objects.select_related("user").get(pk=focal_point.pk)
    assert member.job_title == "Attaché" and member.user.language == "fr"
    # Unticked optional kinds are muted; mandatory kinds can never be.
    assert Kind.MEETING_REMINDER in member.muted_kinds
    assert Kind.COMMITMENT_REMINDER not in member.muted_kinds
    assert '<html lang="fr">' in client.get(reverse("members:profile")).text


def test_muted_kind_is_not_sent_but_mandatory_ones_are(focal_point):
    services.update_profile(
        member=focal_point,
        name="X",
        job_title="",
        administration=None,
        phone="",
        language="en",
        timezone_name="Europe/Brussels",
        muted_kinds=[Kind.MEETING_REMINDER, Kind.MEETING_INVITATION],
    )
    assert focal_point.muted_kinds == [Kind.MEETING_REMINDER]
    kwargs = {"to_email": focal_point.user.email, "subject": "s", "body_text": "b", "member": focal_point}
    muted = services.queue_message(kind=Kind.MEETING_REMINDER, **kwargs)
    mandatory = services.queue_message(kind=Kind.MEETING_INVITATION, **kwargs)
    assert muted.status == OutboundMessage.Status.SUPPRESSED
    assert mandatory.status == OutboundMessage.Status.QUEUED


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "call me maybe"), ("timezone", "Mars/Olympus"), ("language", "xx"), ("name", "")],
)
def test_bad_profile_input_is_refused_and_changes_nothing(client, focal_point, field, value):
    client.force_login(focal_point.user)
    before = Member.objects.select_related("user").get(pk=focal_point.pk)
    response = client.post(reverse("members:profile"), profile_data(focal_point, **{field: value}))
    assert response.status_code == 200
    assert "errorlist" in response.text
    after = Member.objects.select_related("user").get(pk=focal_point.pk)
    assert (after.phone, after.user.language, after.timezone, after.user.name) == (
        before.phone,
        before.user.language,
        before.timezone,
        before.user.name,
    )


def test_regenerating_the_feed_address_invalidates_the_old_one(client, focal_point):
    old = focal_point.feed_token
    client.force_login(focal_point.user)
    client.post(reverse("members:feed-regenerate"))
    focal_point.refresh_from_db()
    assert focal_point.feed_token != old and len(focal_point.feed_token) >= 40


def test_member_downloads_their_own_data(client, group, focal_point):
    services.queue_message(
        kind=Kind.NEWS, to_email=focal_point.user.email, subject="Hello", body_text="b", member=focal_point
    )
    client.force_login(focal_point.user)
    response = client.get(reverse("my-data"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == focal_point.user.email
    assert data["memberships"][0]["group"] == group.name
    assert data["emails_sent_to_you"][0]["subject"] == "Hello"
    for part in (
        "meeting_invitations",
        "answer_history",
        "attendance",
        "calendar_replies",
        "invitations_to_join",
    ):
        assert part in data


def test_data_download_includes_answers_and_their_comments(client, group, chair, focal_point):
    from meetings.models import Invitation, RsvpAnswer
    from meetings.rsvp import record_rsvp
    from tests.meetings.factories import make_meeting

    meeting = make_meeting(group, chair)
    invitation = Invitation.objects.create(meeting=meeting, member=focal_point)
    record_rsvp(
        invitation=invitation,
        answer="declined",
        by=focal_point,
        channel=RsvpAnswer.Channel.WEB,
        comment="On leave",
    )
    client.force_login(focal_point.user)
    data = json.loads(client.get(reverse("my-data")).content)
    assert data["meeting_invitations"][0]["comment"] == "On leave"
    assert [a["answer"] for a in data["answer_history"]] == ["declined"]


def test_data_download_needs_sign_in(client):
    response = client.get(reverse("my-data"))
    assert response.status_code == 302


@pytest.mark.parametrize("count", [1, 30])
def test_profile_page_queries_do_not_grow(client, focal_point, count, django_assert_max_num_queries):
    from tests.factories import GroupFactory, MembershipFactory

    for _ in range(count):
        MembershipFactory(member=focal_point, group=GroupFactory())
    client.force_login(focal_point.user)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("members:profile")).status_code == 200


@pytest.mark.parametrize("count", [1, 25])
def test_data_download_queries_do_not_grow(
    client, group, chair, focal_point, count, django_assert_max_num_queries
):
    from meetings.models import Invitation, RsvpAnswer
    from meetings.rsvp import record_rsvp
    from tests.meetings.factories import make_meeting

    for number in range(count):
        meeting = make_meeting(group, chair, title_en=f"Meeting {number}")
        invitation = Invitation.objects.create(meeting=meeting, member=focal_point)
        record_rsvp(invitation=invitation, answer="accepted", by=focal_point, channel=RsvpAnswer.Channel.WEB)
    client.force_login(focal_point.user)
    # session, user, member, memberships, emails, invitations, answers, attendance, calendar
    # replies, invitations to join, uploaded documents, progress updates and their evidence, parts;
    # the history about the member (membership and invitation history tables)
    with django_assert_max_num_queries(16):
        data = json.loads(client.get(reverse("my-data")).content)
    assert len(data["answer_history"]) == count


def test_profile_shows_the_secret_feed_address_that_the_calendar_subscribes_to(client, focal_point):
    client.force_login(focal_point.user)
    page = client.get(reverse("members:profile"))
    feed = reverse("meetings:member-feed", args=[focal_point.feed_token])
    assert f"http://testserver{feed}" in page.text
    assert client.get(feed)["Content-Type"].startswith("text/calendar")
