"""The minutes pages: who sees what at each step, forms and bad input, and query budgets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from meetings import minutes as service
from meetings.models import Decision, Minutes, MinutesComment, MinutesItem
from tests.meetings.factories import bulk_members, invite, make_items, speaks
from tests.meetings.minutes_factories import attended, held_meeting

pytestmark = pytest.mark.django_db


def _minutes(group, secretariat, items: int = 2) -> Minutes:
    meeting = held_meeting(group, secretariat)
    make_items(meeting, items)
    return service.start_minutes(meeting=meeting, by=secretariat, language="en")


def _url(name: str, minutes: Minutes, *args) -> str:
    return reverse(f"minutes:{name}", args=[minutes.meeting_id, *args])


def _published(group, chair, secretariat) -> Minutes:
    minutes = _minutes(group, secretariat)
    service.approve(minutes=minutes, by=chair)
    service.publish(minutes=minutes, by=secretariat)
    return minutes


# --- Who sees what -------------------------------------------------------------------------------


def test_a_manager_is_offered_to_write_the_minutes_of_a_held_meeting(client, group, secretariat):
    meeting = held_meeting(group, secretariat)
    make_items(meeting, 2)
    client.force_login(speaks(secretariat, "en").user)
    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert "Write the minutes" in page.content.decode()
    assert client.get(reverse("minutes:detail", args=[meeting.pk])).status_code == 200
    response = client.post(reverse("minutes:start", args=[meeting.pk]), {"language": "fr"})
    assert response.status_code == 302
    assert Minutes.objects.get(meeting=meeting).language == "fr"


def test_a_member_gets_404_for_minutes_not_yet_written_or_draft(client, group, secretariat, focal_point):
    meeting = held_meeting(group, secretariat)
    client.force_login(focal_point.user)
    assert client.get(reverse("minutes:detail", args=[meeting.pk])).status_code == 404
    minutes = service.start_minutes(meeting=meeting, by=secretariat)
    assert client.get(_url("detail", minutes)).status_code == 404
    assert client.post(reverse("minutes:start", args=[meeting.pk]), {"language": "en"}).status_code == 403


def test_an_observer_reads_published_minutes_but_cannot_comment(client, group, chair, secretariat, observer):
    minutes = _published(group, chair, secretariat)
    client.force_login(speaks(observer, "en").user)
    page = client.get(_url("detail", minutes))
    assert page.status_code == 200
    assert "Send the comment" not in page.content.decode()
    response = client.post(_url("comment-add", minutes), {"text": "Hi"})
    assert response.status_code == 400
    assert not MinutesComment.objects.exists()
    assert client.get(_url("edit", minutes)).status_code == 403


def test_a_member_of_another_group_sees_nothing(client, group, chair, secretariat, outsider):
    minutes = _published(group, chair, secretariat)
    client.force_login(outsider.user)
    for name in ("detail", "versions", "approve", "publish", "send", "edit"):
        assert client.get(_url(name, minutes)).status_code == 404, name
    assert client.post(_url("comment-add", minutes), {"text": "x"}).status_code == 404


def test_a_focal_point_cannot_manage(client, group, secretariat, focal_point):
    minutes = _minutes(group, secretariat)
    service.send_for_comments(
        minutes=minutes,
        by=secretariat,
        audience=Minutes.Audience.GROUP,
        deadline=timezone.now() + timedelta(days=3),
    )
    client.force_login(focal_point.user)
    item = minutes.items.first()
    assert client.get(_url("detail", minutes)).status_code == 200
    for url in (_url("edit", minutes), _url("item-edit", minutes, item.pk), _url("approve", minutes)):
        assert client.get(url).status_code == 403
    assert client.post(_url("publish", minutes)).status_code == 403


def test_the_audience_comments_per_item_and_managers_settle(client, group, secretariat, focal_point):
    minutes = _minutes(group, secretariat)
    attended(minutes.meeting, focal_point)
    service.send_for_comments(
        minutes=minutes,
        by=secretariat,
        audience=Minutes.Audience.ATTENDEES,
        deadline=timezone.now() + timedelta(days=3),
    )
    item = minutes.items.first()
    client.force_login(speaks(focal_point, "en").user)
    assert "Send the comment" in client.get(_url("detail", minutes)).content.decode()
    response = client.post(_url("comment-add", minutes), {"item": item.pk, "text": "Please add our figures."})
    assert response.status_code == 302
    comment = MinutesComment.objects.get()
    assert comment.item == item and comment.author == focal_point

    client.force_login(speaks(secretariat, "en").user)
    page = client.get(_url("detail", minutes)).content.decode()
    assert "Please add our figures." in page and "Settle this comment" in page
    response = client.post(
        _url("comment-settle", minutes, comment.pk), {"decision": "dismiss", "reply": "Out of scope"}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.status, comment.resolution) == ("dismissed", "Out of scope")


def test_a_late_comment_gets_a_clear_error(client, group, secretariat, focal_point):
    minutes = _minutes(group, secretariat)
    service.send_for_comments(
        minutes=minutes,
        by=secretariat,
        audience=Minutes.Audience.GROUP,
        deadline=timezone.now() + timedelta(days=3),
    )
    Minutes.objects.filter(pk=minutes.pk).update(comment_deadline=timezone.now() - timedelta(hours=1))
    client.force_login(speaks(focal_point, "en").user)
    response = client.post(_url("comment-add", minutes), {"text": "Late"})
    assert response.status_code == 400
    assert not MinutesComment.objects.exists()


def test_the_chair_approves_through_the_page_and_twice_is_refused(client, group, chair, secretariat):
    minutes = _minutes(group, secretariat)
    client.force_login(speaks(chair, "en").user)
    assert client.post(_url("approve", minutes), {"how": "chair"}).status_code == 302
    minutes.refresh_from_db()
    assert minutes.status == Minutes.Status.APPROVED
    response = client.post(_url("approve", minutes), {"how": "chair"})
    assert response.status_code == 200
    assert "already approved" in response.content.decode()


def test_editing_approved_minutes_is_refused_and_changes_nothing(client, group, chair, secretariat):
    minutes = _minutes(group, secretariat)
    service.approve(minutes=minutes, by=chair)
    item = minutes.items.first()
    client.force_login(secretariat.user)
    response = client.post(_url("item-edit", minutes, item.pk), {"title_en": "Changed"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title_en == "Item 1"


def test_the_item_form_saves_texts_decisions_and_actions(client, group, secretariat):
    minutes = _minutes(group, secretariat)
    item = minutes.items.first()
    client.force_login(secretariat.user)
    assert client.get(_url("item-edit", minutes, item.pk)).status_code == 200
    data = {
        "title_en": "Item 1",
        "summary_en": "We talked.",
        "decisions-TOTAL_FORMS": "1",
        "decisions-INITIAL_FORMS": "0",
        "decisions-0-text_en": "We agree.",
        "actions-TOTAL_FORMS": "1",
        "actions-INITIAL_FORMS": "0",
        "actions-0-text_en": "Send the figures.",
        "actions-0-owner_administration": str(secretariat.administration_id),
        "actions-0-owner": str(secretariat.pk),
        "actions-0-due_date": "2030-01-31",
        "actions-0-status": "open",
    }
    assert client.post(_url("item-edit", minutes, item.pk), data).status_code == 302
    item.refresh_from_db()
    assert item.summary_en == "We talked."
    action = item.actions.get()
    assert (action.text_en, action.owner, str(action.due_date)) == (
        "Send the figures.",
        secretariat,
        "2030-01-31",
    )
    assert item.decisions.get().number.endswith("-1")


def test_any_other_business_through_the_pages(client, group, secretariat):
    minutes = _minutes(group, secretariat)
    client.force_login(secretariat.user)
    assert client.post(_url("item-add", minutes), {"title_en": "AOB"}).status_code == 302
    added = MinutesItem.objects.get(title_en="AOB")
    assert client.post(_url("item-remove", minutes, added.pk)).status_code == 302
    agenda_item = minutes.items.first()
    client.post(_url("item-remove", minutes, agenda_item.pk))
    assert minutes.items.count() == 2


# --- Dangerous input ----------------------------------------------------------------------------

PAYLOAD = '<script>alert("x")</script><img src=x onerror="alert(1)"> **bold**'


def test_a_script_in_a_summary_is_inert_on_the_page(client, group, chair, secretariat):
    minutes = _minutes(group, secretariat)
    item = minutes.items.first()
    service.save_item(item=item, by=secretariat, summary={"en": PAYLOAD}, decisions=[], actions=[])
    client.force_login(secretariat.user)
    page = client.get(_url("detail", minutes)).content.decode()
    # The history shows the summary as escaped text (onerror=&quot;...), which is inert.
    assert "<script>alert" not in page and 'onerror="' not in page
    assert "<strong>bold</strong>" in page


# --- Bad input never gives a 5xx, and a refused form changes nothing -----------------------------

_text = st.text(max_size=40)
_field = st.sampled_from(
    [
        "title_en",
        "summary_en",
        "decisions-TOTAL_FORMS",
        "decisions-INITIAL_FORMS",
        "decisions-0-text_en",
        "decisions-0-id",
        "actions-TOTAL_FORMS",
        "actions-0-text_en",
        "actions-0-owner_administration",
        "actions-0-owner",
        "actions-0-due_date",
        "actions-0-status",
        "actions-0-id",
    ]
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.dictionaries(_field, st.one_of(_text, st.integers(-(2**70), 2**70).map(str)), max_size=10))
def test_the_item_form_never_fails_and_a_refused_form_changes_nothing(client, group, secretariat, data):
    minutes = Minutes.objects.filter(meeting__group=group).first() or _minutes(group, secretariat)
    item = minutes.items.order_by("position").first()
    client.force_login(secretariat.user)
    before = (
        MinutesItem.objects.values_list("title_en", "summary_en").get(pk=item.pk),
        Decision.objects.count(),
    )
    version = Minutes.objects.get(pk=minutes.pk).version
    response = client.post(_url("item-edit", minutes, item.pk), data)
    assert response.status_code in {302, 400}
    if response.status_code == 400:
        after = (
            MinutesItem.objects.values_list("title_en", "summary_en").get(pk=item.pk),
            Decision.objects.count(),
        )
        assert after == before
        assert Minutes.objects.get(pk=minutes.pk).version == version


# --- Query budgets ---------------------------------------------------------------------------------


def _sized(group, chair, secretariat, items: int, attendees: int) -> Minutes:
    meeting = held_meeting(group, secretariat)
    make_items(meeting, items)
    invite(meeting, bulk_members(attendees, group=group), rsvp="accepted")
    minutes = service.start_minutes(meeting=meeting, by=secretariat)
    for item in minutes.items.all()[:items]:
        service.save_item(
            item=item,
            by=secretariat,
            summary={"en": "Summary"},
            decisions=[service.DecisionText(text={"en": "Agreed"})],
            actions=[service.ActionText(text={"en": "Do"}, owner_administration=secretariat.administration)],
        )
    service.send_for_comments(
        minutes=minutes,
        by=secretariat,
        audience=Minutes.Audience.GROUP,
        deadline=timezone.now() + timedelta(days=3),
    )
    for item in minutes.items.all():
        MinutesComment.objects.create(minutes=minutes, item=item, author=chair, text="A comment")
    return minutes


def _count(client, django_assert_num_queries, url: str, budget: int) -> None:
    with django_assert_num_queries(budget):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(("items", "attendees"), [(3, 5), (40, 300)])
def test_minutes_pages_keep_their_query_count(
    client, group, chair, secretariat, django_assert_num_queries, items, attendees
):
    minutes = _sized(group, chair, secretariat, items, attendees)
    item = minutes.items.first()
    client.force_login(secretariat.user)
    # session, user, member, roles; then the page's own reads
    # + 7: the History a manager sees (minutes, items, decisions, actions)
    _count(client, django_assert_num_queries, _url("detail", minutes), 18)
    _count(client, django_assert_num_queries, _url("item-edit", minutes, item.pk), 11)
    _count(client, django_assert_num_queries, _url("versions", minutes), 7)
    _count(client, django_assert_num_queries, _url("diff", minutes, 1, minutes.version), 7)
    _count(client, django_assert_num_queries, _url("approve", minutes), 7)
    _count(client, django_assert_num_queries, _url("edit", minutes), 7)
    _count(client, django_assert_num_queries, _url("send", minutes), 6)
    # The meeting page reads the minutes' status in its meeting query: no query added. The first
    # visit renders the kept parts (see tests/meetings/test_pages.py), the next ones do not.
    meeting_page = reverse("meetings:detail", args=[minutes.meeting_id])
    _count(client, django_assert_num_queries, meeting_page, 17)
    _count(client, django_assert_num_queries, meeting_page, 7)


def test_the_header_shows_attendance_per_administration(
    client, group, chair, secretariat, focal_point, observer
):
    minutes = _minutes(group, secretariat)
    meeting = minutes.meeting
    attended(meeting, focal_point)
    excused = attended(meeting, observer, "excused")
    excused.attendance.represented_by = focal_point
    excused.attendance.save()
    client.force_login(speaks(secretariat, "en").user)
    page = client.get(_url("detail", minutes)).content.decode()
    assert "Attendance" in page and focal_point.user.name in page
    assert f"{observer.user.name} by {focal_point.user.name}" in page
    assert chair.user.name in page  # chaired by


def test_the_meeting_page_leads_those_asked_for_comments_to_the_draft(client, group, chair, secretariat, focal_point):
    """While the minutes are out for comments, an attendee finds them from the meeting page; a member
    who was not there does not (the draft is not theirs to read)."""
    minutes = _minutes(group, secretariat)
    attended(minutes.meeting, focal_point)
    absent = speaks(bulk_members(1, group=group)[0], "en")
    service.send_for_comments(
        minutes=minutes,
        by=secretariat,
        audience=Minutes.Audience.ATTENDEES,
        deadline=timezone.now() + timedelta(days=5),
    )
    page = reverse("meetings:detail", args=[minutes.meeting_id])
    minutes_url = _url("detail", minutes)

    client.force_login(speaks(focal_point, "en").user)
    response = client.get(page)
    assert minutes_url in response.text and "Read the draft minutes and comment" in response.text

    client.force_login(absent.user)
    response = client.get(page)
    assert response.status_code == 200 and minutes_url not in response.text
