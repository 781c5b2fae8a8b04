"""The chair's overview of the answers: groups and counts, administrations that will not be
represented, the reminder button (each person once), the exports, permissions and query budget."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.answers import answers_overview, remind_unanswered
from meetings.models import Invitation, Meeting
from members.models import Administration
from members.outbox import Kind, OutboundMessage
from tests.factories import AdministrationFactory, make_member
from tests.meetings.factories import administration, invite_many, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Source = Invitation.Source
Level = Administration.Level


def invited(meeting: Meeting, member=None, **fields) -> Invitation:
    if member is not None:
        fields.setdefault("language", member.language)
    return Invitation.objects.create(meeting=meeting, member=member, **fields)


def answers_url(meeting: Meeting) -> str:
    return reverse("meetings:answers", args=[meeting.pk])


def remind_url(meeting: Meeting) -> str:
    return reverse("meetings:answers-remind", args=[meeting.pk])


@pytest.fixture
def setting(group, chair):
    """A meeting inviting people from five administrations, a substitute and a guest.

    FED1 accepted (and one did not answer); FED2 declined and sent a substitute who accepted;
    REG said maybe; STK declined; COM was invited as an administration but has no invitee.
    """
    fed1 = administration(acronym="FED1", name_en="Federal one", level=Level.FEDERAL)
    fed2 = administration(acronym="FED2", name_en="Federal two", level=Level.FEDERAL)
    reg = administration(acronym="REG", name_en="Regional", level=Level.REGIONAL, entity="flemish")
    stk = administration(acronym="STK", name_en="Stakeholder", level=Level.STAKEHOLDER, entity="")
    com = administration(acronym="COM", name_en="Community", level=Level.COMMUNITY, entity="french_community")
    other = administration(acronym="SUBORG", name_en="Substitute's organisation", level=Level.FEDERAL)
    speaks(chair, "en")  # the chair reads the pages and exports in English here
    meeting = make_meeting(group, chair, invite_whole_group=False)
    meeting.invited_administrations.add(com)
    now = timezone.now()
    people = {
        "anna": make_member(administration=fed1),
        "alex": make_member(administration=fed1),
        "bert": make_member(administration=fed2),
        "bob": make_member(administration=fed2),
        "sam": make_member(administration=other),
        "rita": make_member(administration=reg),
        "stan": make_member(administration=stk),
    }
    inv = {
        "anna": invited(
            meeting,
            people["anna"],
            rsvp=Rsvp.ACCEPTED,
            rsvp_at=now,
            rsvp_comment="Coming with slides",
            attendance_mode="on_site",
        ),
        "alex": invited(meeting, people["alex"]),
        "bert": invited(meeting, people["bert"], rsvp=Rsvp.DECLINED, rsvp_at=now),
        "sam": invited(meeting, people["sam"], rsvp=Rsvp.ACCEPTED, rsvp_at=now, source=Source.SUBSTITUTE),
        "rita": invited(meeting, people["rita"], rsvp=Rsvp.TENTATIVE, rsvp_at=now),
        "stan": invited(meeting, people["stan"], rsvp=Rsvp.DECLINED, rsvp_at=now),
        "guest": invited(meeting, email="guest@example.org", name="Gail Guest", source=Source.GUEST),
    }
    inv["bob"] = invited(meeting, people["bob"], rsvp=Rsvp.DELEGATED, rsvp_at=now, delegated_to=inv["sam"])
    return {
        "meeting": meeting,
        "people": people,
        "inv": inv,
        "adm": {"fed1": fed1, "fed2": fed2, "reg": reg, "stk": stk, "com": com},
    }


def test_overview_counts_every_answer_and_groups_by_level_then_administration(setting):
    overview = answers_overview(setting["meeting"])

    assert {value: n for value, _label, n in overview.counts} == {
        "none": 2,
        "accepted": 2,
        "tentative": 1,
        "declined": 2,
        "delegated": 1,
    }
    assert overview.invited_count == 8
    assert [level.level for level in overview.levels] == ["federal", "regional", "stakeholder"]
    federal = overview.levels[0]
    # Sam, of another administration, stands in for Bob: he counts for Bob's FED2.
    assert [a.administration.acronym for a in federal.administrations] == ["FED1", "FED2"]
    assert federal.invited_count == 5
    fed2 = federal.administrations[1]
    people = setting["people"]
    assert [i.member.user.name for i in fed2.invitations] == sorted(
        [people["bert"].user.name, people["bob"].user.name, people["sam"].user.name], key=str.lower
    )
    bob = next(i for i in fed2.invitations if i.member == setting["people"]["bob"])
    assert bob.substitute.pk == setting["inv"]["sam"].pk
    assert [i.pk for i in overview.guests] == [setting["inv"]["guest"].pk]


def test_administrations_not_represented_are_those_nobody_comes_for(setting):
    overview = answers_overview(setting["meeting"])

    # FED1 accepted, FED2 only through its substitute, REG tentatively: all represented.
    # STK declined; COM was invited as an administration and nobody answered for it.
    assert [a.acronym for a in overview.not_represented] == ["COM", "STK"]
    represented = {
        a.administration.acronym: a.represented for level in overview.levels for a in level.administrations
    }
    assert represented == {"FED1": True, "FED2": True, "REG": True, "STK": False}


def test_administration_is_not_represented_when_its_substitute_declined(setting):
    Invitation.objects.filter(pk=setting["inv"]["sam"].pk).update(rsvp=Rsvp.DECLINED)

    overview = answers_overview(setting["meeting"])

    assert "FED2" in [a.acronym for a in overview.not_represented]


def test_whole_group_invitation_expects_every_administration_of_the_group(group, chair, focal_point):
    meeting = make_meeting(group, chair, invite_whole_group=True)
    invited(meeting, chair, rsvp=Rsvp.ACCEPTED)

    overview = answers_overview(meeting)

    # The focal point's administration has a member in the group but nobody invited or coming.
    acronyms = [a.acronym for a in overview.not_represented]
    assert focal_point.administration.acronym in acronyms
    assert chair.administration.acronym not in acronyms


def test_chair_sees_the_overview_with_captions_counts_and_missing_administrations(client, chair, setting):
    client.force_login(chair.user)

    response = client.get(answers_url(setting["meeting"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption" in html and "FED1 – Federal one" in html
    assert "Coming with slides" in html
    assert 'scope="row"' in html and 'scope="col"' in html
    missing = html.split('id="missing-heading"')[1].split("</section>")[0]
    assert "COM" in missing and "STK" in missing and "FED2" not in missing
    assert "Gail Guest" in html


def test_focal_point_and_observer_cannot_see_the_overview(client, focal_point, observer, setting):
    for person in (focal_point, observer):
        client.force_login(person.user)
        assert client.get(answers_url(setting["meeting"])).status_code == 403
        assert client.post(remind_url(setting["meeting"])).status_code == 403


def test_outsider_cannot_learn_the_meeting_exists(client, outsider, setting):
    client.force_login(outsider.user)

    assert client.get(answers_url(setting["meeting"])).status_code == 404
    assert client.get(answers_url(setting["meeting"]), {"_export": "csv"}).status_code == 404
    assert client.post(remind_url(setting["meeting"])).status_code == 404


# --- Exports ------------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_invitee_with_answer_and_substitute(client, chair, setting):
    client.force_login(chair.user)

    response = client.get(answers_url(setting["meeting"]), {"_export": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Name",
        "Email address",
        "Administration",
        "Level",
        "Answer",
        "Answered at",
        "Comment",
        "Joining",
        "Substitute",
        "Stands in for",
        "Answer for the new time",
    ]
    assert len(rows) == 1 + 8
    by_email = {row[1]: row for row in rows[1:]}
    anna = by_email[setting["people"]["anna"].user.email]
    assert anna[2:5] == ["FED1", "Federal", "Accepted"]
    assert anna[6:8] == ["Coming with slides", "On site"]
    assert anna[5]  # answered at
    bob = by_email[setting["people"]["bob"].user.email]
    assert bob[4] == "Sends a substitute"
    assert bob[8] == setting["people"]["sam"].user.name
    sam = by_email[setting["people"]["sam"].user.email]
    assert sam[2] == "FED2" and sam[9] == setting["people"]["bob"].user.name
    assert by_email["guest@example.org"][2:5] == ["", "", "No answer yet"]


def test_xlsx_export_opens_in_a_spreadsheet_and_defuses_formulas(client, chair, setting):
    import openpyxl

    Invitation.objects.filter(pk=setting["inv"]["stan"].pk).update(rsvp_comment="=HYPERLINK(1)")
    client.force_login(chair.user)

    response = client.get(answers_url(setting["meeting"]), {"_export": "xlsx"})

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Name"
    assert len(rows) == 9
    comments = [row[6] for row in rows[1:]]
    assert "'=HYPERLINK(1)" in comments


# --- Reminders ----------------------------------------------------------------------------------


@pytest.fixture
def reminding(group, chair):
    """A circulated meeting: two members and a guest have not answered; others answered, were
    removed, or were deactivated."""
    speaks(chair, "en")
    meeting = make_meeting(group, chair, invite_whole_group=False)
    meeting.circulated_at = timezone.now() - timedelta(days=3)
    meeting.save(update_fields=["circulated_at"])
    quiet = [make_member(language=code) for code in ("fr", "nl")]
    answered = make_member()
    removed = make_member()
    gone = make_member()
    gone.deactivated_at = timezone.now()
    gone.save(update_fields=["deactivated_at"])
    for member in quiet:
        invited(meeting, member, sent_sequence=0)
    invited(meeting, email="guest@example.org", name="Gail", source=Source.GUEST, sent_sequence=0)
    invited(meeting, answered, sent_sequence=0, rsvp=Rsvp.DECLINED)
    invited(meeting, removed, sent_sequence=0, removed_at=timezone.now())
    invited(meeting, gone, sent_sequence=0)
    expected = sorted([*(m.user.email for m in quiet), "guest@example.org"])
    return {"meeting": meeting, "expected": expected, "others": [answered, removed, gone]}


def test_remind_button_emails_each_unanswered_person_once_even_when_pressed_twice(
    client, chair, reminding, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = reminding["meeting"]
    client.force_login(chair.user)
    page = client.get(answers_url(meeting)).content.decode()
    assert "Remind those who have not answered (3)" in page
    assert "Follow the reminders in the outbox" not in page

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(remind_url(meeting), follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(remind_url(meeting), follow=True)

    assert sorted(m.to[0] for m in mailoutbox) == reminding["expected"]
    assert all(m.alternatives for m in mailoutbox)  # text and HTML
    assert "A reminder was queued for 3 people who have not answered." in first.content.decode()
    assert "Nobody needed a reminder" in second.content.decode()
    assert "Follow the reminders in the outbox" in second.content.decode()
    assert "3 people who have not answered were reminded less than a day ago" in second.content.decode()
    rows = OutboundMessage.objects.filter(kind=Kind.MEETING_REMINDER)
    assert rows.count() == 3
    assert set(rows.values_list("created_by", flat=True)) == {chair.pk}
    assert set(rows.values_list("batch", flat=True)) == {f"meeting-{meeting.pk}-reminder-chair"}
    others = {member.user.email for member in reminding["others"]}
    assert not others & {m.to[0] for m in mailoutbox}


def test_reminder_is_written_in_the_invitees_language(client, chair, reminding):
    client.force_login(chair.user)

    client.post(remind_url(reminding["meeting"]))

    languages = set(OutboundMessage.objects.filter(member__isnull=False).values_list("language", flat=True))
    assert languages == {"fr", "nl"}


def test_person_with_a_reminder_still_in_the_outbox_is_not_reminded_again(chair, reminding):
    meeting = reminding["meeting"]
    assert remind_unanswered(meeting=meeting, by=chair) == 3
    # A day later the worker has still not sent them (rows stay "queued").
    Invitation.objects.filter(meeting=meeting).update(
        unanswered_reminder_sent_at=timezone.now() - timedelta(days=2)
    )

    assert remind_unanswered(meeting=meeting, by=chair) == 0
    assert OutboundMessage.objects.count() == 3


def test_person_reminded_more_than_a_day_ago_can_be_reminded_again(chair, reminding):
    meeting = reminding["meeting"]
    remind_unanswered(meeting=meeting, by=chair)
    OutboundMessage.objects.update(status=OutboundMessage.Status.SENT)
    Invitation.objects.filter(meeting=meeting).update(
        unanswered_reminder_sent_at=timezone.now() - timedelta(days=2)
    )

    assert remind_unanswered(meeting=meeting, by=chair) == 3


def test_reminders_are_refused_for_a_cancelled_meeting(client, chair, reminding):
    meeting = reminding["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    client.force_login(chair.user)

    response = client.post(remind_url(meeting), follow=True)

    assert "This meeting was cancelled: nobody is reminded." in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_reminders_are_refused_before_the_agenda_is_circulated(client, chair, group):
    speaks(chair, "en")
    meeting = make_meeting(group, chair, invite_whole_group=False)
    invited(meeting, make_member())
    client.force_login(chair.user)

    response = client.post(remind_url(meeting), follow=True)

    assert "has not been circulated yet" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_reminders_are_refused_once_answering_has_closed(client, chair, reminding):
    meeting = reminding["meeting"]
    deadline = timezone.now() - timedelta(hours=1)
    Meeting.objects.filter(pk=meeting.pk).update(rsvp_deadline=deadline)
    client.force_login(chair.user)

    page = client.get(answers_url(meeting)).content.decode()
    response = client.post(remind_url(meeting), follow=True)

    assert "answering has closed, so nobody is reminded" in page
    assert remind_url(meeting) not in page  # no button
    assert "answering has closed, so nobody is reminded" in response.content.decode()
    assert not OutboundMessage.objects.exists()
    assert not Invitation.objects.filter(meeting=meeting, unanswered_reminder_sent_at__isnull=False).exists()


def test_reminders_go_out_until_the_deadline(chair, reminding):
    meeting = reminding["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(rsvp_deadline=timezone.now() + timedelta(hours=1))
    meeting.refresh_from_db()

    assert remind_unanswered(meeting=meeting, by=chair) == 3


def test_remind_needs_a_post(client, chair, reminding):
    client.force_login(chair.user)

    assert client.get(remind_url(reminding["meeting"])).status_code == 405
    assert not OutboundMessage.objects.exists()


# --- Query budget -------------------------------------------------------------------------------


def _crowded_meeting(group, chair, invitees: int) -> Meeting:
    meeting = make_meeting(group, chair, circulated_at=timezone.now() - timedelta(days=2))
    meeting.invited_administrations.add(AdministrationFactory())
    invitations = invite_many(meeting, invitees)
    substitute = invitations[0]
    Invitation.objects.filter(pk=invitations[-1].pk).update(rsvp=Rsvp.DELEGATED, delegated_to=substitute)
    invited(meeting, email="guest@example.org", source=Source.GUEST)
    return meeting


@pytest.mark.parametrize("invitees", [5, 300])
def test_overview_queries_do_not_grow(client, group, chair, django_assert_num_queries, invitees):
    meeting = _crowded_meeting(group, chair, invitees)
    client.force_login(chair.user)

    # session, user, member, meeting, roles, invitations, invited administrations,
    # the group's administrations, reminders in the outbox.
    with django_assert_num_queries(9):
        response = client.get(answers_url(meeting))
    assert response.status_code == 200
    assert response.content.decode().count("<caption") == 4  # three administrations and the guests


@pytest.mark.parametrize("invitees", [5, 300])
def test_overview_export_queries_do_not_grow(client, group, chair, django_assert_num_queries, invitees):
    meeting = _crowded_meeting(group, chair, invitees)
    client.force_login(chair.user)

    with django_assert_num_queries(9):
        response = client.get(answers_url(meeting), {"_export": "csv"})
    assert response.content.decode("utf-8-sig").count("\n") == 1 + invitees + 1


def test_meeting_page_links_answers_and_attendance_for_managers_only(client, chair, focal_point, setting):
    meeting = setting["meeting"]
    links = [
        reverse("meetings:answers", args=[meeting.pk]),
        reverse("meetings:attendance", args=[meeting.pk]),
    ]
    invited(meeting, focal_point)

    client.force_login(chair.user)
    as_chair = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    client.force_login(focal_point.user)
    as_member = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    assert all(f'href="{link}"' in as_chair for link in links)
    assert not any(f'href="{link}"' in as_member for link in links)


# --- Answers after a change of time -------------------------------------------------------------


@pytest.fixture
def moved(group, chair):
    """A circulated meeting that moved yesterday: Ann accepted before (to confirm), Dirk declined
    before (to confirm), Carla accepted again since (confirmed), Nina never answered."""
    speaks(chair, "en")
    now = timezone.now()
    meeting = make_meeting(
        group,
        chair,
        invite_whole_group=False,
        circulated_at=now - timedelta(days=5),
        time_changed_at=now - timedelta(days=1),
    )
    before, since = now - timedelta(days=3), now - timedelta(hours=2)
    people = {name: make_member(language="en") for name in ("ann", "dirk", "carla", "nina")}
    inv = {
        "ann": invited(meeting, people["ann"], rsvp=Rsvp.ACCEPTED, rsvp_at=before, rsvp_to_confirm=True),
        "dirk": invited(meeting, people["dirk"], rsvp=Rsvp.DECLINED, rsvp_at=before, rsvp_to_confirm=True),
        "carla": invited(meeting, people["carla"], rsvp=Rsvp.ACCEPTED, rsvp_at=since),
        "nina": invited(meeting, people["nina"]),
    }
    Invitation.objects.filter(meeting=meeting).update(sent_sequence=0)
    return {"meeting": meeting, "people": people, "inv": inv}


def test_overview_shows_who_confirmed_the_new_time_and_who_still_has_to(client, chair, moved):
    client.force_login(chair.user)

    html = client.get(answers_url(moved["meeting"])).content.decode()

    overview = answers_overview(moved["meeting"])
    assert (overview.confirmed_count, overview.to_confirm_count) == (1, 2)
    summary = html.split('id="summary-heading"')[1].split("</section>")[0]
    assert re.search(r"Confirmed for the new time</dt>\s*<dd>1</dd>", summary)
    assert re.search(r"Still to confirm for the new time</dt>\s*<dd>2</dd>", summary)
    rows = {name: _row_of(html, moved["people"][name].user.name) for name in ("ann", "dirk", "carla", "nina")}
    assert "Accepted – to confirm for the new time" in rows["ann"]
    assert "Declined – to confirm for the new time" in rows["dirk"]
    assert "to confirm" not in rows["carla"] and "confirmed for the new time" in rows["carla"]
    assert "confirm" not in rows["nina"]


def _row_of(html: str, name: str) -> str:
    start = html.index(name)
    return html[start : html.index("</tr>", start)]


def test_answers_export_says_whose_answer_is_to_confirm(client, chair, moved):
    client.force_login(chair.user)

    response = client.get(answers_url(moved["meeting"]), {"_export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    column = rows[0].index("Answer for the new time")
    by_email = {row[1]: row for row in rows[1:]}
    ann = by_email[moved["people"]["ann"].user.email]
    assert ann[4] == "Accepted – to confirm for the new time" and ann[column] == "To confirm"
    carla = by_email[moved["people"]["carla"].user.email]
    assert carla[4] == "Accepted" and carla[column] == "Confirmed"
    assert by_email[moved["people"]["nina"].user.email][column] == ""


def test_remind_button_includes_answers_to_confirm(
    client, chair, moved, mailoutbox, django_capture_on_commit_callbacks
):
    meeting = moved["meeting"]
    client.force_login(chair.user)
    page = client.get(answers_url(meeting)).content.decode()
    assert "Remind those who have not answered (3)" in page
    assert "This includes 2 people whose answers are to confirm for the new time." in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(remind_url(meeting))

    people = moved["people"]
    expected = sorted(people[name].user.email for name in ("ann", "dirk", "nina"))
    assert sorted(address for message in mailoutbox for address in message.to) == expected


# --- Substitutes count for the administration they represent ----------------------------------


def test_guest_and_colleague_substitutes_count_for_the_administration_they_stand_in_for(client, chair, group):
    speaks(chair, "en")
    fed = administration(acronym="FEDX", name_en="Federal X", level=Level.FEDERAL)
    reg = administration(acronym="REGY", name_en="Regional Y", level=Level.REGIONAL, entity="flemish")
    meeting = make_meeting(group, chair, invite_whole_group=False)
    anna, colleague = make_member(administration=fed), make_member(administration=fed)
    rik = make_member(administration=reg)
    guest = invited(
        meeting,
        email="stand.in@example.org",
        name="Greta Standin",
        source=Source.SUBSTITUTE,
        rsvp=Rsvp.ACCEPTED,
    )
    helper = invited(meeting, colleague, source=Source.SUBSTITUTE, rsvp=Rsvp.ACCEPTED)
    invited(meeting, anna, rsvp=Rsvp.DELEGATED, delegated_to=helper)
    invited(meeting, rik, rsvp=Rsvp.DELEGATED, delegated_to=guest)

    overview = answers_overview(meeting)

    assert overview.guests == []
    by_acronym = {a.administration.acronym: a for level in overview.levels for a in level.administrations}
    assert sorted(i.display_name for i in by_acronym["REGY"].invitations) == sorted(
        ["Greta Standin", rik.user.name]
    )
    assert len(by_acronym["FEDX"].invitations) == 2
    assert by_acronym["REGY"].represented and by_acronym["FEDX"].represented
    assert overview.not_represented == []
    client.force_login(chair.user)
    html = client.get(answers_url(meeting)).content.decode()
    assert "Guests and people without an administration" not in html
    assert "for the new time" not in html  # the meeting never moved
    regional = html.split("REGY – Regional Y")[1].split("</table>")[0]
    assert "Greta Standin" in regional
    rows = list(
        csv.reader(
            io.StringIO(client.get(answers_url(meeting), {"_export": "csv"}).content.decode("utf-8-sig"))
        )
    )
    greta = next(row for row in rows if row[0] == "Greta Standin")
    assert greta[2:4] == ["REGY", "Regional"]
