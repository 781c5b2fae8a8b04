"""The long per-invitee parts of the meeting and attendance pages, rendered in one pass from plain
rows: the same rows, links, labels in the reader's language and escaping as before, and a query
budget that does not grow with the number of invitees."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, Invitation
from tests.factories import make_member
from tests.meetings.factories import administration, invite, invite_many, make_items, make_meeting

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def person(group, name: str, administration):
    member = make_member(group, administration=administration)
    member.user.name = name
    member.user.save(update_fields=["name"])
    return member


def rows_of(table: str) -> list[tuple[str, str, str, str]]:
    return re.findall(
        r'<tr><td>(.*?)</td><td>(.*?)</td><td><span class="answer answer-(\w+)">(.*?)</span>', table
    )


@pytest.fixture
def crowd(group, chair):
    """A meeting with invitees of two administrations and a guest whose name is HTML."""
    meeting = make_meeting(group, chair)
    first, second = administration(acronym="FOD-A"), administration(acronym="SPW-B")
    anna = person(group, "Anna Zed", first)
    bert = person(group, "bert <b>bold</b>", first)
    carla = person(group, "Carla Young", second)
    invite(meeting, [anna], rsvp=Rsvp.ACCEPTED)
    invite(meeting, [bert], rsvp=Rsvp.NONE)
    invite(meeting, [carla], rsvp=Rsvp.DECLINED, source=Invitation.Source.PERSONAL)
    guest = Invitation.objects.create(
        meeting=meeting, email="guest@example.org", name="", source=Invitation.Source.GUEST
    )
    return {"meeting": meeting, "guest": guest, "bert": bert}


def test_invitee_table_groups_invitees_by_administration_in_the_readers_language(client, chair, crowd):
    client.force_login(chair.user)  # reads Dutch

    html = client.get(reverse("meetings:detail", args=[crowd["meeting"].pk])).content.decode()

    table = section(html, "invitees-heading")
    groups = [
        re.sub(r"\s+", " ", g).strip()
        for g in re.findall(r'<th scope="rowgroup" colspan="3">(.*?)</th>', table, re.S)
    ]
    assert len(groups) == 3
    assert groups[0].endswith('(FOD-A) <span class="represented">— vertegenwoordigd</span>')  # Anna accepted
    assert groups[1].endswith("(SPW-B)")
    assert groups[2] == "Gasten en personen zonder administratie"
    assert rows_of(table) == [
        ("Anna Zed", "Lid van de groep", "accepted", "Aanvaard"),
        ("bert &lt;b&gt;bold&lt;/b&gt;", "Lid van de groep", "none", "Nog geen antwoord"),
        ("Carla Young", "Persoonlijk uitgenodigd", "declined", "Afgewezen"),
        ("guest@example.org", "Gast", "none", "Nog geen antwoord"),
    ]
    assert "<b>bold</b>" not in html


def test_chair_gets_a_link_to_record_each_invitees_answer(client, chair, crowd):
    meeting = crowd["meeting"]
    client.force_login(chair.user)

    html = client.get(reverse("meetings:detail", args=[meeting.pk])).content.decode()

    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a> – ([^<]+)</li>', section(html, "answer-heading"))
    expected = {
        invitation.display_name: reverse("meetings:answer-for", args=[meeting.pk, invitation.pk])
        for invitation in meeting.invitations.select_related("member__user")
    }
    assert [name for _url, name, _answer in links] == [
        "Anna Zed",
        "bert &lt;b&gt;bold&lt;/b&gt;",
        "Carla Young",
        "guest@example.org",
    ]
    assert {name.replace("&lt;", "<").replace("&gt;", ">"): url for url, name, _answer in links} == expected
    assert links[0][2] == "Aanvaard"
    assert client.get(links[0][0]).status_code == 200


def test_member_gets_no_links_to_record_others_answers(client, focal_point, crowd):
    invite(crowd["meeting"], [focal_point])
    client.force_login(focal_point.user)

    html = client.get(reverse("meetings:detail", args=[crowd["meeting"].pk])).content.decode()

    assert "/invitations/" not in html
    assert "Record an invitee's answer" not in html
    assert "Anna Zed" in section(html, "invitees-heading")


def test_removed_invitees_are_not_listed(client, chair, crowd):
    Invitation.objects.filter(member=crowd["bert"]).update(removed_at=timezone.now())
    client.force_login(chair.user)

    html = client.get(reverse("meetings:detail", args=[crowd["meeting"].pk])).content.decode()

    assert "bold" not in html
    assert [row[0] for row in rows_of(section(html, "invitees-heading"))] == [
        "Anna Zed",
        "Carla Young",
        "guest@example.org",
    ]


def without_csrf(response) -> str:
    """The page without its CSRF tokens (masked anew for every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.parametrize(("invitees", "items"), [(5, 3), (300, 40)])
def test_meeting_page_for_an_invitee_queries_do_not_grow(
    client, group, focal_point, django_assert_max_num_queries, invitees, items
):
    meeting = make_meeting(group)
    invite_many(meeting, invitees)
    invite(meeting, [focal_point])
    make_items(meeting, items)
    client.force_login(focal_point.user)

    # session, user, member, meeting, their own invitation, roles, the kept parts' validator; the
    # first time also the parts: agenda items, item documents, general
    # documents, administrations, every invitee as plain rows (no history: not a manager).
    url = reverse("meetings:detail", args=[meeting.pk])
    with django_assert_max_num_queries(12):
        first = client.get(url)
    with django_assert_max_num_queries(7):
        again = client.get(url)
    assert without_csrf(first) == without_csrf(again)
    assert again.content.decode().count('<span class="answer answer-') == invitees + 1


# --- Attendance ---------------------------------------------------------------------------------


def test_attendance_row_with_a_wrong_value_shows_its_error_in_the_readers_language(client, group, chair):
    meeting = make_meeting(group, chair, starts_at=timezone.now() - timedelta(minutes=30))
    invitation, other = invite_many(meeting, 2)
    client.force_login(chair.user)  # reads Dutch

    response = client.post(
        reverse("meetings:attendance", args=[meeting.pk]),
        {
            f"status-{invitation.pk}": "maybe",
            f"status-{other.pk}": Attendance.Status.PRESENT,
            f"represented_by-{invitation.pk}": "",
            f"represented_by_name-{invitation.pk}": "x" * 200,
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    row = page.split(f'id="invitee-{invitation.pk}"')[0].rsplit("<tr", 1)[1]
    assert 'class="has-error"' in row
    cells = page.split(f'id="invitee-{invitation.pk}"')[1].split("</tr>")[0]
    assert f'aria-describedby="id_status-{invitation.pk}_error" aria-invalid="true"' in cells
    assert f'<ul class="errorlist" id="id_status-{invitation.pk}_error">' in cells
    assert f'<ul class="errorlist" id="id_represented_by_name-{invitation.pk}_error">' in cells
    assert 'value="' + "x" * 200 + '"' in cells  # what was typed stays
    assert "Select a valid choice" not in cells  # in Dutch
    other_row = page.split(f'id="invitee-{other.pk}"')[0].rsplit("<tr", 1)[1]
    assert "has-error" not in other_row
    assert not Attendance.objects.exists()


def test_attendance_sheet_escapes_names_and_marks_who_stands_in(client, group, chair):
    meeting = make_meeting(group, chair, starts_at=timezone.now() - timedelta(minutes=30))
    home = administration(acronym="FOD-X")
    absent = person(group, "Dora <i>Absent</i>", home)
    substitute = person(group, "Emil Stand", home)
    (stand_in,) = invite(meeting, [substitute], rsvp=Rsvp.ACCEPTED, source=Invitation.Source.SUBSTITUTE)
    invite(meeting, [absent], rsvp=Rsvp.DELEGATED, delegated_to=stand_in)
    client.force_login(chair.user)

    page = client.get(reverse("meetings:attendance", args=[meeting.pk])).content.decode()

    assert "<i>Absent</i>" not in page
    assert "Dora &lt;i&gt;Absent&lt;/i&gt;" in page
    stand_in_row = page.split(f'id="invitee-{stand_in.pk}"')[1].split("</th>")[0]
    assert "(vervangt Dora &lt;i&gt;Absent&lt;/i&gt;)" in stand_in_row
    assert f'<abbr title="{home.name}">FOD-X</abbr>' in page
