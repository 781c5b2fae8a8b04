"""The meetings pages in the browser's place: journeys in en, nl and fr, time zones, query budgets."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import AgendaItem, Invitation, Meeting
from members.models import Membership
from tests.factories import make_member
from tests.meetings.factories import (
    BRUSSELS,
    bulk_members,
    in_days,
    invite,
    invite_many,
    make_document,
    make_items,
    make_meeting,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role

TITLES = {
    "en": "Plenary on the CSR action plan",
    "nl": "Plenaire over het MVO-actieplan",
    "fr": "Plénière sur le plan d'action RSE",
}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def set_language(member, language: str) -> None:
    member.user.language = language
    member.user.save(update_fields=["language"])


def meeting_form_data(**overrides) -> dict:
    start = in_days(20, 14)
    data = {
        "title_en": "Working group on due diligence",
        "title_nl": "Werkgroep gepaste zorgvuldigheid",
        "title_fr": "",
        "title_de": "",
        "kind": Meeting.Kind.WORKING_GROUP,
        "status": Meeting.Status.SCHEDULED,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "format": Meeting.Format.HYBRID,
        "location": "WTC III, Boulevard Simon Bolivar 30, Brussels",
        "online_url": "https://meet.example.org/due-diligence",
        "invite_whole_group": "on",
        "remind_unanswered_days": "7",
        "remind_accepted_day_before": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Journeys in three languages -------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_chair_schedules_a_meeting_and_reads_it_in_their_language(
    client, group, chair, focal_point, language
):
    set_language(chair, language)
    client.force_login(chair.user)

    response = client.get(reverse("meetings:create", args=[group.slug]))
    assert response.status_code == 200
    assert html_lang(response) == language

    response = client.post(reverse("meetings:create", args=[group.slug]), meeting_form_data())
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("meetings:agenda", args=[meeting.pk])
    assert meeting.organiser == chair
    # The form's times are read in the chair's time zone (Brussels): 14:00 local.
    assert timezone.localtime(meeting.starts_at, BRUSSELS).hour == 14
    invited = set(meeting.invitations.values_list("member_id", flat=True))
    assert invited == {chair.pk, focal_point.pk}

    page = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert html_lang(page) == language
    # No French title: a French reader falls back to the English one, marked as English.
    expected = {"en": "Working group on due diligence", "nl": "Werkgroep gepaste zorgvuldigheid"}
    fallback = '<span lang="en">Working group on due diligence</span>'
    assert f"<h1>{expected.get(language, fallback)}</h1>" in page.content.decode()


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_member_sees_upcoming_meetings_in_their_language(client, group, chair, focal_point, language):
    set_language(focal_point, language)
    make_meeting(group, chair)
    only_dutch = make_meeting(group, chair, title_en="", title_fr="", title_nl="Alleen in het Nederlands")
    client.force_login(focal_point.user)

    response = client.get(reverse("meetings:list"))

    text = response.content.decode()
    assert html_lang(response) == language
    assert TITLES[language].replace("'", "&#x27;") in text
    # The meeting with only a Dutch title is shown with that title in every language.
    assert "Alleen in het Nederlands" in text
    assert reverse("meetings:detail", args=[only_dutch.pk]) in text


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_member_reads_the_month_calendar_in_their_language(client, group, chair, focal_point, language):
    set_language(focal_point, language)
    start = in_days(3)
    make_meeting(group, chair, starts_at=start)
    client.force_login(focal_point.user)

    response = client.get(reverse("meetings:month", args=[start.year, start.month]))

    text = response.content.decode()
    assert html_lang(response) == language
    assert TITLES[language].replace("'", "&#x27;") in text
    month_names = {"en": "January", "nl": "januari", "fr": "janvier"}
    january = client.get(reverse("meetings:month", args=[2031, 1])).content.decode()
    assert month_names[language] in january.lower() or month_names[language].capitalize() in january
    # Previous and next months are plain links; today's cell is marked for assistive technology.
    assert reverse("meetings:month", args=[*_shift(start.year, start.month, 1)]) in text
    today = timezone.localdate()
    if (today.year, today.month) == (start.year, start.month):
        assert 'aria-current="date"' in text


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_member_reads_the_past_meetings_archive(client, group, chair, focal_point, language):
    set_language(focal_point, language)
    make_meeting(
        group, chair, starts_at=in_days(-40), title_en="Last year's plenary", title_nl="", title_fr=""
    )
    make_meeting(group, chair, title_en="Next plenary", title_nl="", title_fr="")
    client.force_login(focal_point.user)

    response = client.get(reverse("meetings:past"))

    text = response.content.decode()
    assert html_lang(response) == language
    assert "Last year&#x27;s plenary" in text
    assert "Next plenary" not in text


def test_month_outside_the_calendar_is_not_found(client, focal_point):
    client.force_login(focal_point.user)
    assert client.get(reverse("meetings:month", args=[2026, 13])).status_code == 404
    assert client.get(reverse("meetings:month", args=[99, 1])).status_code == 404


# --- The meeting page ------------------------------------------------------------------------


def test_meeting_page_shows_the_agenda_with_its_running_clock(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, starts_at=in_days(10, 10))
    AgendaItem.objects.create(meeting=meeting, position=1, title_en="Welcome", duration_minutes=10)
    AgendaItem.objects.create(meeting=meeting, position=2, title_en="Action plan", duration_minutes=45)
    AgendaItem.objects.create(meeting=meeting, position=3, title_en="Any other business", duration_minutes=5)
    client.force_login(focal_point.user)

    text = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    starts = re.findall(
        r'<li class="agenda-item".*?<p class="item-meta">\s*<time[^>]*>([^<]+)</time>', text, re.S
    )
    assert starts == ["10:00", "10:10", "10:55"]
    assert text.index("Welcome") < text.index("Action plan") < text.index("Any other business")


def test_meeting_page_shows_times_in_the_readers_time_zone(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, starts_at=in_days(10, 16))
    focal_point.timezone = "Europe/Lisbon"  # one hour behind Brussels all year
    focal_point.save(update_fields=["timezone"])
    client.force_login(focal_point.user)

    text = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert "15:00" in text
    assert "Europe/Lisbon" in text


def test_meeting_page_renders_descriptions_as_safe_markdown(client, group, chair, focal_point):
    meeting = make_meeting(group, chair, description_en="Read **the draft** <script>alert(1)</script>")
    AgendaItem.objects.create(
        meeting=meeting,
        position=1,
        title_en="Vote",
        description_en='[link](javascript:alert(1)) <img src=x onerror="alert(1)">',
    )
    client.force_login(focal_point.user)

    text = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert "<strong>the draft</strong>" in text
    assert "alert(1)" not in text
    assert "onerror" not in text


def test_meeting_page_groups_invitees_by_administration_with_their_answers(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invite(meeting, [chair], rsvp=Invitation.Rsvp.ACCEPTED)
    invite(meeting, [focal_point], rsvp=Invitation.Rsvp.DECLINED)
    Invitation.objects.create(
        meeting=meeting, email="guest@ngo.example", name="Guest From NGO", source="guest"
    )
    client.force_login(focal_point.user)

    text = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert chair.administration.name in text and focal_point.administration.name in text
    assert "Guest From NGO" in text
    assert "guest@ngo.example" not in text  # guests' addresses are for managers only
    assert text.index(chair.user.name) < text.index("Guest From NGO")
    assert "Accepted" in text and "Declined" in text
    assert "3 people are invited." in text


def test_meeting_page_offers_the_readers_language_edition_first(client, group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invite(meeting, [focal_point])
    document = make_document(meeting, files=[("nl", 1), ("fr", 1), ("fr", 2)])
    french, older = document.files.get(language="fr", version=2), document.files.get(language="fr", version=1)
    dutch = document.files.get(language="nl")
    set_language(focal_point, "fr")
    client.force_login(focal_point.user)

    text = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    def link(file):
        return reverse("meetings:document-download", args=[file.pk])

    assert text.index(link(french)) < text.index(link(dutch)) < text.index(link(older))
    assert "1 ancienne version" in text  # what a French reader must see
    assert "older version" not in text


# --- Query budgets ---------------------------------------------------------------------------


@pytest.mark.parametrize(("invitees", "items"), [(5, 3), (300, 40)])
def test_meeting_page_queries_do_not_grow(client, group, chair, django_assert_num_queries, invitees, items):
    meeting = make_meeting(group, chair)
    invite_many(meeting, invitees)
    agenda = make_items(meeting, items)
    for item in agenda[:2]:
        make_document(meeting, item=item, files=[("nl", 1), ("fr", 1)])
    make_document(meeting, title="Background", files=[("", 1), ("", 2)])
    client.force_login(chair.user)
    # session, user, member, meeting, the reader's own invitation, roles, the kept parts'
    # validator (meetings/page_parts.py); then, the first time only,
    # the parts: the organiser, agenda items, item documents, their files, general documents, their files,
    # invited administrations, every invitee (as plain rows), and for a manager the history of
    # the meeting, its agenda items, documents and invitations (one each).
    url = reverse("meetings:detail", args=[meeting.pk])
    with django_assert_num_queries(19):
        first = client.get(url)
    with django_assert_num_queries(7):
        again = client.get(url)
    for response in (first, again):
        assert response.status_code == 200
        assert response.content.decode().count('class="agenda-item"') == items


@pytest.mark.parametrize("count", [2, 30])
def test_meeting_list_queries_do_not_grow(client, group, chair, django_assert_num_queries, count):
    for i in range(count):
        meeting = make_meeting(group, chair, starts_at=in_days(5 + i))
        invite_many(meeting, 3)
    client.force_login(chair.user)
    # session, user, member, page count, page rows, roles, groups the chair manages.
    with django_assert_num_queries(7):
        response = client.get(reverse("meetings:list"))
    assert response.content.decode().count('href="/meetings/') >= count


@pytest.mark.parametrize("count", [2, 30])
def test_past_meetings_queries_do_not_grow(client, group, chair, django_assert_num_queries, count):
    for i in range(count):
        make_meeting(group, chair, starts_at=in_days(-5 - i))
    client.force_login(chair.user)
    with django_assert_num_queries(5):  # session, user, member, page count, page rows
        client.get(reverse("meetings:past"))


@pytest.mark.parametrize("count", [1, 25])
def test_month_page_queries_do_not_grow(client, group, chair, django_assert_num_queries, count):
    today = timezone.localdate()
    for i in range(count):
        make_meeting(group, chair, starts_at=in_days(i % 20))
    client.force_login(chair.user)
    with django_assert_num_queries(4):  # session, user, member, meetings of the month
        client.get(reverse("meetings:month", args=[today.year, today.month]))


@pytest.mark.parametrize("items", [1, 30])
def test_agenda_builder_queries_do_not_grow(client, group, chair, django_assert_num_queries, items):
    meeting = make_meeting(group, chair)
    agenda = make_items(meeting, items)
    make_document(meeting, item=agenda[0])
    bulk_members(items, group=group)
    client.force_login(chair.user)
    # session, user, member, meeting, items, documents, files, roles, presenters, administrations
    with django_assert_num_queries(10):
        client.get(reverse("meetings:agenda", args=[meeting.pk]))


@pytest.mark.parametrize("invitees", [3, 60])
def test_invitees_page_queries_do_not_grow(client, group, chair, django_assert_num_queries, invitees):
    meeting = make_meeting(group, chair)
    invite_many(meeting, invitees)
    client.force_login(chair.user)
    # session, user, member, meeting, roles, invited administrations, invitations, administrations
    with django_assert_num_queries(8):
        client.get(reverse("meetings:invitees", args=[meeting.pk]))


def test_nav_links_to_meetings(client, focal_point):
    client.force_login(focal_point.user)
    text = client.get(reverse("meetings:list")).content.decode()
    assert f'<a href="{reverse("meetings:list")}" aria-current="page">Meetings</a>' in text


def test_member_invited_personally_sees_a_meeting_of_another_group(client, group, chair, outsider):
    meeting = make_meeting(group, chair)
    invite(meeting, [outsider], source=Invitation.Source.PERSONAL)
    client.force_login(outsider.user)
    assert client.get(reverse("meetings:detail", args=[meeting.pk])).status_code == 200
    assert (
        reverse("meetings:detail", args=[meeting.pk]) in client.get(reverse("meetings:list")).content.decode()
    )


def test_new_member_is_shown_on_a_fresh_page(client, group, chair):
    # A member without any meeting sees an empty list rather than an error.
    member = make_member(group, Role.MEMBER)
    client.force_login(member.user)
    assert "No meetings." in client.get(reverse("meetings:list")).content.decode()


# --- Editing, invitees, circulation and cancellation pages -----------------------------------


@pytest.fixture
def english_chair(chair):
    """The chair, reading English: these tests read the page's messages."""
    set_language(chair, "en")
    return chair


def circulable(group, chair, focal_point) -> Meeting:
    meeting = make_meeting(group, chair)
    make_items(meeting, 2)
    invite(meeting, [chair, focal_point])
    return meeting


def test_chair_edits_a_meeting_and_is_told_to_circulate_the_update(
    client, group, english_chair, focal_point, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = circulable(group, english_chair, focal_point)
    client.force_login(english_chair.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:circulate", args=[meeting.pk]))
    meeting.refresh_from_db()
    sequence = meeting.sequence
    form = client.get(reverse("meetings:edit", args=[meeting.pk])).context["form"]
    data = {key: value for key, value in form.initial.items() if value not in (None, False)}
    data.update(starts_at=meeting.starts_at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M"))
    data.update(
        ends_at=(meeting.ends_at + timedelta(hours=1)).astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")
    )

    response = client.post(reverse("meetings:edit", args=[meeting.pk]), data, follow=True)

    meeting.refresh_from_db()
    assert meeting.sequence == sequence + 1
    assert "Invitees still have the previous version: circulate the update." in response.content.decode()


def test_edit_form_shows_errors_and_changes_nothing(client, group, english_chair):
    meeting = make_meeting(group, english_chair)
    client.force_login(english_chair.user)
    start = meeting.starts_at.astimezone(BRUSSELS)
    response = client.post(
        reverse("meetings:edit", args=[meeting.pk]),
        meeting_form_data(
            starts_at=start.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            format=Meeting.Format.ONLINE,
            online_url="",
        ),
    )
    text = response.content.decode()
    assert "The meeting must end after it starts." in text
    assert "An online or hybrid meeting needs the link to join it." in text
    assert 'aria-invalid="true"' in text
    meeting.refresh_from_db()
    assert meeting.format == Meeting.Format.ON_SITE


def edit_data(meeting: Meeting, **overrides) -> dict:
    """What the edit form posts when nothing is changed but `overrides`."""
    start, end = (
        m.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M") for m in (meeting.starts_at, meeting.ends_at)
    )
    return meeting_form_data(
        **{f"title_{code}": getattr(meeting, f"title_{code}") for code in ("en", "nl", "fr", "de")},
        kind=meeting.kind,
        starts_at=start,
        ends_at=end,
        format=meeting.format,
        location=meeting.location,
        online_url=meeting.online_url,
        **overrides,
    )


def test_circulated_meeting_is_not_offered_draft_and_cannot_go_back_to_it(
    client, group, english_chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulable(group, english_chair, focal_point)
    client.force_login(english_chair.user)
    url = reverse("meetings:edit", args=[meeting.pk])
    assert '<option value="draft"' in client.get(url).text  # before circulation: still a draft option
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:circulate", args=[meeting.pk]))

    assert '<option value="draft"' not in client.get(url).text
    # A form opened before the circulation still says draft.
    response = client.post(url, edit_data(meeting, status=Meeting.Status.DRAFT))

    assert response.status_code == 200
    error = re.search(r'<ul class="errorlist" id="id_status_error">(.*?)</ul>', response.text, re.S)
    assert error and "can no longer go back to draft" in error.group(1)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_meeting_cannot_be_marked_held_before_it_starts_from_the_page(client, group, english_chair):
    meeting = make_meeting(group, english_chair, starts_at=in_days(3))
    client.force_login(english_chair.user)

    response = client.post(reverse("meetings:edit", args=[meeting.pk]), edit_data(meeting, status="held"))

    error = re.search(r'<ul class="errorlist" id="id_status_error">(.*?)</ul>', response.text, re.S)
    assert error and "has not started yet" in error.group(1)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_create_form_shows_errors_and_creates_nothing(client, group, english_chair):
    client.force_login(english_chair.user)
    response = client.post(
        reverse("meetings:create", args=[group.slug]),
        meeting_form_data(title_en="", title_nl="", location="", format="on_site"),
    )
    text = response.content.decode()
    assert "Give the meeting a title in at least one language." in text
    assert "A meeting on site or hybrid needs an address." in text
    assert Meeting.objects.count() == 0


def test_chair_manages_invitees_from_the_page(client, group, english_chair, focal_point):
    meeting = make_meeting(group, english_chair, invite_whole_group=False)
    client.force_login(english_chair.user)
    url = reverse("meetings:invitees", args=[meeting.pk])

    client.post(url, {"invite_whole_group": "on"})
    assert {i.member_id for i in meeting.invitations.all()} == {english_chair.pk, focal_point.pk}

    response = client.post(
        reverse("meetings:invitee-add", args=[meeting.pk]),
        {"email": "expert@university.example", "name": "Expert", "language": "fr"},
        follow=True,
    )
    assert "Expert is invited." in response.content.decode()
    guest = meeting.invitations.get(email="expert@university.example")

    response = client.post(reverse("meetings:invitee-remove", args=[meeting.pk, guest.pk]), follow=True)
    assert "Expert is no longer invited." in response.content.decode()
    guest.refresh_from_db()
    assert guest.removed_at is not None


def test_bad_guest_address_is_explained_on_the_page(client, group, english_chair):
    meeting = make_meeting(group, english_chair)
    client.force_login(english_chair.user)
    response = client.post(
        reverse("meetings:invitee-add", args=[meeting.pk]), {"email": "nobody", "language": "en"}
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert meeting.invitations.count() == 0


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
def test_chair_previews_and_circulates_the_agenda(
    client, group, chair, focal_point, secretariat, language, django_capture_on_commit_callbacks
):
    set_language(chair, language)
    meeting = circulable(group, chair, focal_point)
    invite(meeting, [secretariat])  # French
    client.force_login(chair.user)
    url = reverse("meetings:circulate", args=[meeting.pk])

    preview = client.get(url)
    text = preview.content.decode()
    assert html_lang(preview) == language
    assert preview.context["count"] == 3
    # The chair reads `language`, the focal point English, the secretariat French.
    assert {p["language"] for p in preview.context["previews"]} == {language, "en", "fr"}
    assert '<pre class="email-text" lang="fr"' in text and '<pre class="email-text" lang="en"' in text

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.circulated_at is not None
    assert set(meeting.invitations.values_list("sent_sequence", flat=True)) == {meeting.sequence}


def test_circulating_says_how_many_were_sent_and_links_to_the_outbox(
    client, group, english_chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulable(group, english_chair, focal_point)
    client.force_login(english_chair.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meetings:circulate", args=[meeting.pk]), follow=True)
    text = response.content.decode()
    assert "The agenda is queued for 2 people." in text
    # The batch is the one circulation_batch() names: the meeting and the revision that was sent.
    assert reverse("members:outbox-batch", args=[f"meeting-{meeting.pk}-r{meeting.sequence}"]) in text


def test_circulate_page_invites_those_who_joined_the_group_since(
    client, group, english_chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulable(group, english_chair, focal_point)
    client.force_login(english_chair.user)
    url = reverse("meetings:circulate", args=[meeting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    newcomer = make_member(group, Role.MEMBER)

    page = client.get(url).text

    assert "Send to 1 person" in page  # everyone else has the current version
    assert "This includes one person who joined the group" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "The agenda is queued for 1 person." in response.text
    assert meeting.invitations.get(member=newcomer).sent_sequence == meeting.sequence


def test_circulate_page_names_a_changed_description(
    client, group, english_chair, focal_point, django_capture_on_commit_callbacks
):
    meeting = circulable(group, english_chair, focal_point)
    client.force_login(english_chair.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:circulate", args=[meeting.pk]))
    edited = client.post(
        reverse("meetings:edit", args=[meeting.pk]), edit_data(meeting, description_en="New context.")
    )
    assert edited.status_code == 302

    page = client.get(reverse("meetings:circulate", args=[meeting.pk])).text

    assert re.search(r"Changed since the last circulation:\s*description</p>", page)


def test_circulating_without_agenda_is_refused_with_a_message(client, group, english_chair, focal_point):
    meeting = make_meeting(group, english_chair)
    invite(meeting, [focal_point])
    client.force_login(english_chair.user)
    response = client.post(reverse("meetings:circulate", args=[meeting.pk]), follow=True)
    assert "Add at least one agenda item before circulating the agenda." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.circulated_at is None


def test_chair_cancels_a_meeting_and_invitees_are_told(
    client, group, english_chair, focal_point, django_capture_on_commit_callbacks
):
    from members.outbox import OutboundMessage

    meeting = circulable(group, english_chair, focal_point)
    client.force_login(english_chair.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:circulate", args=[meeting.pk]))
    assert client.get(reverse("meetings:cancel", args=[meeting.pk])).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meetings:cancel", args=[meeting.pk]), {"note": "Postponed to spring."}, follow=True
        )

    meeting.refresh_from_db()
    assert meeting.is_cancelled
    assert "The meeting is cancelled." in response.content.decode()
    cancellation = OutboundMessage.objects.filter(to_email=focal_point.user.email).order_by("-pk").first()
    assert "METHOD:CANCEL" in cancellation.alternatives[0]["content"]
    # A cancelled meeting can no longer be prepared.
    assert reverse("meetings:agenda", args=[meeting.pk]) not in response.content.decode()
    assert client.get(reverse("meetings:circulate", args=[meeting.pk])).status_code == 302


@pytest.mark.parametrize("invitees", [2, 30])
def test_circulate_page_queries_do_not_grow(client, group, chair, django_assert_max_num_queries, invitees):
    meeting = make_meeting(group, chair)
    make_items(meeting, 3)
    invite_many(meeting, invitees)
    client.force_login(chair.user)
    with django_assert_max_num_queries(16):
        client.get(reverse("meetings:circulate", args=[meeting.pk]))


@pytest.mark.parametrize("size", [2, 25])
def test_form_pages_queries_do_not_grow(client, group, chair, django_assert_max_num_queries, size):
    from tests.factories import AdministrationFactory

    AdministrationFactory.create_batch(size)
    bulk_members(size, group=group)
    meeting = make_meeting(group, chair)
    items = make_items(meeting, size)
    for _ in range(size):
        make_document(meeting)
    client.force_login(chair.user)
    pages = [
        (reverse("meetings:create", args=[group.slug]), 8),
        (reverse("meetings:series-create", args=[group.slug]), 8),
        (reverse("meetings:edit", args=[meeting.pk]), 8),
        (reverse("meetings:agenda-item-edit", args=[meeting.pk, items[0].pk]), 9),
        (reverse("meetings:document-upload", args=[meeting.pk]), 8),
        (reverse("meetings:cancel", args=[meeting.pk]), 6),
    ]
    for url, budget in pages:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("language", ["en", "nl", "fr"])
@pytest.mark.parametrize(
    "page", ["detail", "edit", "agenda", "document-upload", "invitees", "circulate", "cancel"]
)
def test_every_meeting_page_speaks_the_readers_language_with_a_title_fallback(
    client, group, chair, page, language
):
    set_language(chair, language)
    meeting = make_meeting(group, chair, title_en="Annual plenary", title_nl="", title_fr="Plénière annuelle")
    client.force_login(chair.user)

    response = client.get(reverse(f"meetings:{page}", args=[meeting.pk]))

    assert response.status_code == 200
    assert html_lang(response) == language
    # French readers get the French title; Dutch readers, without a Dutch title, the English one.
    expected = "Plénière annuelle" if language == "fr" else "Annual plenary"
    heading = re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.S).group(1)
    assert expected in heading


# --- A meeting that took place, or was cancelled, is no longer circulated or cancelled ----------


def _over(group, chair, focal_point, how: str) -> Meeting:
    """A circulated meeting that is over: its end has passed, it is marked held (while its planned
    end is still ahead), or it was cancelled."""
    meeting = circulable(group, chair, focal_point)
    now = timezone.now()
    starts_at = {"ended": now - timedelta(hours=3), "held": now - timedelta(hours=1)}.get(how, in_days(5))
    status = {"held": Meeting.Status.HELD, "cancelled": Meeting.Status.CANCELLED}.get(
        how, Meeting.Status.SCHEDULED
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        status=status,
        circulated_at=now - timedelta(days=10),
        sequence=1,
    )
    Invitation.objects.filter(meeting=meeting).update(sent_sequence=1)
    meeting.refresh_from_db()
    return meeting


@pytest.mark.parametrize("how", ["ended", "held", "cancelled"])
def test_a_meeting_that_is_over_offers_no_circulation_or_cancellation(
    client, group, english_chair, focal_point, how
):
    meeting = _over(group, english_chair, focal_point, how)
    client.force_login(english_chair.user)
    circulate_url = reverse("meetings:circulate", args=[meeting.pk])
    cancel_url = reverse("meetings:cancel", args=[meeting.pk])

    for name in ("meetings:detail", "meetings:answers", "meetings:attendance"):
        html = client.get(reverse(name, args=[meeting.pk])).content.decode()
        assert f'href="{circulate_url}"' not in html, name
        assert f'href="{cancel_url}"' not in html, name
        assert "Circulate the update" not in html and "Cancel the meeting" not in html
    if how != "cancelled":
        # The rest of the preparation stays at hand, e.g. to upload the presentations afterwards.
        assert f'href="{reverse("meetings:document-upload", args=[meeting.pk])}"' in html


@pytest.mark.parametrize("how", ["ended", "held"])
def test_forged_circulation_or_cancellation_of_a_meeting_that_took_place_is_refused(
    client, group, english_chair, focal_point, how, django_capture_on_commit_callbacks
):
    from members.outbox import OutboundMessage

    meeting = _over(group, english_chair, focal_point, how)
    client.force_login(english_chair.user)

    with django_capture_on_commit_callbacks(execute=True):
        circulated = client.post(reverse("meetings:circulate", args=[meeting.pk]), follow=True)
        cancelled = client.post(
            reverse("meetings:cancel", args=[meeting.pk]), {"cancellation_note_en": "Too late"}, follow=True
        )

    assert "This meeting has already taken place; its agenda can no longer be circulated." in circulated.text
    assert "This meeting has already taken place; it can no longer be cancelled." in cancelled.text
    assert not OutboundMessage.objects.exists()
    before = (meeting.status, meeting.sequence, meeting.circulated_at)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence, meeting.circulated_at) == before


def test_cancelling_a_meeting_whose_end_has_passed_is_refused_by_the_service(
    group, english_chair, focal_point
):
    from django.core.exceptions import ValidationError

    from meetings.circulation import cancel_meeting
    from members.outbox import OutboundMessage

    meeting = _over(group, english_chair, focal_point, "ended")

    with pytest.raises(ValidationError, match="already taken place"):
        cancel_meeting(meeting=meeting, by=english_chair)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert not OutboundMessage.objects.exists()
