"""Attendance on the day: pre-filled from the answers, saved and re-saved, substitutes, bad input,
the printable list, the exports, permissions and the query budget."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.attendance import record_attendance
from meetings.models import Attendance, Invitation, Meeting
from tests.factories import make_member
from tests.meetings.factories import administration, in_days, invite_many, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
Status = Attendance.Status


def invited(meeting: Meeting, member=None, **fields) -> Invitation:
    return Invitation.objects.create(meeting=meeting, member=member, **fields)


def url(meeting: Meeting, name: str = "meetings:attendance") -> str:
    return reverse(name, args=[meeting.pk])


@pytest.fixture
def day(group, secretariat):
    """A meeting held today: one invitee per answer, and a substitute who accepted for `delegating`."""
    speaks(secretariat, "en")
    meeting = make_meeting(group, secretariat, starts_at=timezone.now() - timedelta(minutes=30), hours=1)
    people = {
        name: make_member(group)
        for name in ("accepted", "declined", "silent", "maybe", "delegating", "substitute")
    }
    inv = {
        "accepted": invited(meeting, people["accepted"], rsvp=Rsvp.ACCEPTED),
        "declined": invited(meeting, people["declined"], rsvp=Rsvp.DECLINED),
        "silent": invited(meeting, people["silent"]),
        "maybe": invited(meeting, people["maybe"], rsvp=Rsvp.TENTATIVE),
        "substitute": invited(
            meeting, people["substitute"], rsvp=Rsvp.ACCEPTED, source=Invitation.Source.SUBSTITUTE
        ),
    }
    inv["delegating"] = invited(
        meeting, people["delegating"], rsvp=Rsvp.DELEGATED, delegated_to=inv["substitute"]
    )
    return {"meeting": meeting, "people": people, "inv": inv}


def html_text(response) -> str:
    """The page's text with HTML entities read back (names may hold apostrophes)."""
    return html.unescape(response.content.decode())


def checked(html: str, invitation: Invitation) -> str | None:
    """The status whose radio is checked for this invitee."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="status-{invitation.pk}"' in tag and "checked" in tag:
            return re.search(r'value="(\w+)"', tag).group(1)
    return None


def selected_representative(html: str, invitation: Invitation) -> str:
    select = re.search(rf'<select name="represented_by-{invitation.pk}".*?</select>', html, re.S).group(0)
    option = re.search(r'<option value="(\d*)" selected>', select)
    return option.group(1) if option else ""


def form_data(day, **statuses) -> dict:
    """Everyone as the answers suggest, with `statuses` ({name: status}) changed."""
    defaults = {
        "accepted": Status.PRESENT,
        "declined": Status.EXCUSED,
        "silent": Status.ABSENT,
        "maybe": Status.ABSENT,
        "delegating": Status.EXCUSED,
        "substitute": Status.PRESENT,
    }
    defaults.update(statuses)
    data = {f"status-{day['inv'][name].pk}": status for name, status in defaults.items()}
    data[f"represented_by-{day['inv']['delegating'].pk}"] = str(day["people"]["substitute"].pk)
    return data


def test_sheet_starts_from_the_answers(client, secretariat, day):
    client.force_login(secretariat.user)

    response = client.get(url(day["meeting"]))

    html = response.content.decode()
    inv = day["inv"]
    assert checked(html, inv["accepted"]) == "present"
    assert checked(html, inv["declined"]) == "excused"
    assert checked(html, inv["delegating"]) == "excused"
    assert checked(html, inv["silent"]) == "absent"
    assert checked(html, inv["maybe"]) == "absent"
    assert checked(html, inv["substitute"]) == "present"
    # The substitute accepted: the one they stand in for starts as represented by them.
    assert selected_representative(html, inv["delegating"]) == str(day["people"]["substitute"].pk)
    assert f'name="represented_by-{inv["accepted"].pk}"' not in html  # nobody to choose for the others
    # Each person's radio group is a fieldset with a legend naming them.
    assert html.count('<fieldset class="radio-row"') == 6
    assert f"Attendance of {day['people']['maybe'].user.name}" in html


def test_secretariat_records_attendance_and_saving_again_updates(client, secretariat, day):
    client.force_login(secretariat.user)

    response = client.post(url(day["meeting"]), form_data(day, maybe=Status.PRESENT), follow=True)

    assert "Attendance saved (6 changes)." in response.content.decode()
    rows = {a.invitation_id: a for a in Attendance.objects.all()}
    inv = day["inv"]
    assert len(rows) == 6
    assert rows[inv["maybe"].pk].status == Status.PRESENT
    assert rows[inv["delegating"].pk].represented_by == day["people"]["substitute"]
    assert rows[inv["silent"].pk].recorded_by == secretariat

    response = client.post(url(day["meeting"]), form_data(day, maybe=Status.ABSENT), follow=True)

    assert "Attendance saved (1 change)." in response.content.decode()
    assert Attendance.objects.count() == 6
    assert Attendance.objects.get(invitation=inv["maybe"]).status == Status.ABSENT
    # The sheet now shows what was recorded, not the answers.
    html = client.get(url(day["meeting"])).content.decode()
    assert checked(html, inv["maybe"]) == "absent"


def test_unknown_status_is_refused_and_nothing_is_saved(client, secretariat, day):
    client.force_login(secretariat.user)
    data = form_data(day)
    data[f"status-{day['inv']['silent'].pk}"] = "asleep"

    response = client.post(url(day["meeting"]), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert f'id="id_status-{day["inv"]["silent"].pk}_error"' in html  # the error is tied to that person
    assert not Attendance.objects.exists()


def test_invitation_of_another_meeting_is_refused_and_nothing_is_saved(client, secretariat, group, day):
    other = make_meeting(group, secretariat, starts_at=timezone.now() - timedelta(minutes=30))
    stranger = invited(other, make_member(group), rsvp=Rsvp.ACCEPTED)
    client.force_login(secretariat.user)
    data = form_data(day)
    data[f"status-{stranger.pk}"] = Status.PRESENT

    response = client.post(url(day["meeting"]), data)

    assert (
        "Someone in the list is not invited to this meeting. Nothing was saved." in response.content.decode()
    )
    assert not Attendance.objects.exists()


def test_service_refuses_another_meetings_invitation(secretariat, group, day):
    other = make_meeting(group, secretariat, starts_at=timezone.now() - timedelta(minutes=30))
    stranger = invited(other, make_member(group))
    rows = [(day["inv"]["accepted"].pk, Status.PRESENT, None), (stranger.pk, Status.PRESENT, None)]

    with pytest.raises(Exception, match="not invited to this meeting"):
        record_attendance(meeting=day["meeting"], by=secretariat, rows=rows)
    assert not Attendance.objects.exists()


def test_a_member_of_another_administration_cannot_represent_an_invitee(client, secretariat, day):
    client.force_login(secretariat.user)
    data = form_data(day)
    data[f"represented_by-{day['inv']['delegating'].pk}"] = str(day["people"]["accepted"].pk)

    response = client.post(url(day["meeting"]), data)

    delegating = day["people"]["delegating"]
    expected = (
        f"{day['people']['accepted'].user.name} is not a member of {delegating.administration.acronym}: "
        f"only a colleague from the same administration, or a guest by name, can represent {delegating.user.name}."
    )
    assert html_text(response).count(expected) == 1
    assert not Attendance.objects.exists()
    with pytest.raises(Exception, match="is not a member of"):
        record_attendance(
            meeting=day["meeting"],
            by=secretariat,
            rows=[(day["inv"]["accepted"].pk, Status.ABSENT, day["people"]["substitute"].pk)],
        )
    assert not Attendance.objects.exists()


def test_present_invitee_cannot_also_be_represented(client, secretariat, day):
    client.force_login(secretariat.user)

    response = client.post(url(day["meeting"]), form_data(day, delegating=Status.PRESENT))

    assert "Someone who was present is not also represented." in response.content.decode()
    assert not Attendance.objects.exists()


def test_absent_substitute_cannot_represent_anyone(client, secretariat, day):
    client.force_login(secretariat.user)

    response = client.post(url(day["meeting"]), form_data(day, substitute=Status.ABSENT))

    name = day["people"]["substitute"].user.name
    assert f"{name} was not present and cannot represent anyone." in html_text(response)
    assert not Attendance.objects.exists()


def test_attendance_cannot_be_recorded_before_the_day_of_the_meeting(client, secretariat, group):
    speaks(secretariat, "en")
    meeting = make_meeting(group, secretariat, starts_at=in_days(3))
    invitation = invited(meeting, make_member(group), rsvp=Rsvp.ACCEPTED)
    client.force_login(secretariat.user)

    response = client.post(url(meeting), {f"status-{invitation.pk}": Status.PRESENT})

    assert "Attendance can be recorded from the day of the meeting." in response.content.decode()
    assert not Attendance.objects.exists()


def test_print_list_has_every_invitee_a_signature_column_and_a_print_stylesheet(client, secretariat, day):
    client.force_login(secretariat.user)

    response = client.get(url(day["meeting"], "meetings:attendance-print"))

    html = response.content.decode()
    assert response.status_code == 200
    for member in day["people"].values():
        assert member.user.name in html
    assert ">Signature</th>" in html
    assert html.count('<td class="signature">') == 6
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print\.css" media="print">', html)
    assert "style=" not in html and "<script" not in html
    assert "stands in for" in html  # the substitute's line says for whom


def test_attendance_exports_give_recorded_status_and_representative(client, secretariat, day):
    import openpyxl

    client.force_login(secretariat.user)
    client.post(url(day["meeting"]), form_data(day))

    response = client.get(url(day["meeting"]), {"_export": "csv"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Name", "Email address", "Administration", "Level", "Answer", "Attendance"]
    by_name = {row[0]: row for row in rows[1:]}
    delegating = by_name[day["people"]["delegating"].user.name]
    assert delegating[5:7] == ["Excused", day["people"]["substitute"].user.name]
    assert by_name[day["people"]["substitute"].user.name][7] == day["people"]["delegating"].user.name
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(url(day["meeting"]), {"_export": "xlsx"}).content)
    )
    assert len(list(workbook.active.iter_rows(values_only=True))) == 7


@pytest.mark.parametrize("name", ["meetings:attendance", "meetings:attendance-print"])
def test_focal_point_and_observer_cannot_see_attendance(client, focal_point, observer, day, name):
    for person in (focal_point, observer):
        client.force_login(person.user)
        assert client.get(url(day["meeting"], name)).status_code == 403
    assert client.post(url(day["meeting"]), form_data(day)).status_code == 403
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("name", ["meetings:attendance", "meetings:attendance-print"])
def test_outsider_cannot_learn_the_meeting_exists(client, outsider, day, name):
    client.force_login(outsider.user)

    assert client.get(url(day["meeting"], name)).status_code == 404
    assert client.get(url(day["meeting"], name), {"_export": "csv"}).status_code == 404


@pytest.mark.parametrize("invitees", [5, 300])
def test_attendance_queries_do_not_grow(client, group, chair, django_assert_num_queries, invitees):
    meeting = make_meeting(group, chair, starts_at=timezone.now() - timedelta(minutes=30))
    invitations = invite_many(meeting, invitees)
    Attendance.objects.bulk_create(
        [Attendance(invitation=i, status=Status.PRESENT) for i in invitations[: invitees // 2]]
    )
    client.force_login(chair.user)

    # session, user, member, meeting, roles, invitations, the invitees' colleagues
    with django_assert_num_queries(7):
        response = client.get(url(meeting))
    assert response.content.decode().count('class="radio-row"') == invitees
    with django_assert_num_queries(6):  # no colleagues to choose from
        client.get(url(meeting, "meetings:attendance-print"))
    with django_assert_num_queries(6):
        client.get(url(meeting), {"_export": "csv"})


# --- Represented by a colleague or a guest ------------------------------------------------------


@pytest.fixture
def office(group, secretariat):
    """A meeting held today. Anna (FEDZ) excused herself; FEDZ also has Carl (not invited), Ivo
    (deactivated) and Bea (invited, present). Otto is of another administration. Rik (REGZ) sent a
    guest substitute, Greta, who accepted."""
    speaks(secretariat, "en")
    fedz = administration(acronym="FEDZ", name_en="Federal Z")
    regz = administration(acronym="REGZ", name_en="Regional Z")
    meeting = make_meeting(
        group,
        secretariat,
        starts_at=timezone.now() - timedelta(minutes=30),
        hours=1,
        invite_whole_group=False,
    )
    people = {name: make_member(administration=fedz) for name in ("anna", "carl", "ivo", "bea")}
    people["otto"] = make_member(group)
    people["rik"] = make_member(administration=regz)
    people["ivo"].deactivated_at = timezone.now()
    people["ivo"].save(update_fields=["deactivated_at"])
    greta = invited(
        meeting,
        email="greta@example.org",
        name="Greta Guest",
        source=Invitation.Source.SUBSTITUTE,
        rsvp=Rsvp.ACCEPTED,
    )
    inv = {
        "anna": invited(meeting, people["anna"], rsvp=Rsvp.DECLINED),
        "bea": invited(meeting, people["bea"], rsvp=Rsvp.ACCEPTED),
        "otto": invited(meeting, people["otto"], rsvp=Rsvp.ACCEPTED),
        "rik": invited(meeting, people["rik"], rsvp=Rsvp.DELEGATED, delegated_to=greta),
        "greta": greta,
    }
    return {"meeting": meeting, "people": people, "inv": inv}


def office_data(office, **changes) -> dict:
    inv = office["inv"]
    data = {
        f"status-{inv['anna'].pk}": Status.EXCUSED,
        f"status-{inv['bea'].pk}": Status.PRESENT,
        f"status-{inv['otto'].pk}": Status.PRESENT,
        f"status-{inv['rik'].pk}": Status.EXCUSED,
        f"status-{inv['greta'].pk}": Status.PRESENT,
        f"represented_by_name-{inv['rik'].pk}": "Greta Guest",
    }
    data.update(changes)
    return data


def options(html: str, invitation: Invitation) -> list[str]:
    select = re.search(rf'<select name="represented_by-{invitation.pk}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\d+)"', select)


def test_sheet_offers_the_invitees_active_colleagues_and_prefills_a_guest_substitute(
    client, secretariat, office
):
    client.force_login(secretariat.user)

    html = client.get(url(office["meeting"])).content.decode()

    people, inv = office["people"], office["inv"]
    assert sorted(options(html, inv["anna"])) == sorted([str(people["carl"].pk), str(people["bea"].pk)])
    name_field = re.search(rf'<input[^>]*name="represented_by_name-{inv["rik"].pk}"[^>]*>', html).group(0)
    assert 'value="Greta Guest"' in name_field
    assert f'for="id_represented_by_name-{inv["rik"].pk}"' in html  # every field has a label
    assert f'name="represented_by-{inv["greta"].pk}"' not in html  # she stands in for Rik


def test_a_colleague_who_was_not_invited_can_represent_an_invitee(client, secretariat, office):
    people, inv = office["people"], office["inv"]
    client.force_login(secretariat.user)

    data = office_data(office, **{f"represented_by-{inv['anna'].pk}": str(people["carl"].pk)})
    response = client.post(url(office["meeting"]), data, follow=True)

    assert "Attendance saved (5 changes)." in response.content.decode()
    anna = Attendance.objects.get(invitation=inv["anna"])
    assert (anna.status, anna.represented_by, anna.represented_by_name) == (
        Status.EXCUSED,
        people["carl"],
        "",
    )
    rik = Attendance.objects.get(invitation=inv["rik"])
    assert (rik.represented_by, rik.represented_by_name) == (None, "Greta Guest")
    printed = client.get(url(office["meeting"], "meetings:attendance-print")).content.decode()
    assert f"(represented by {html.escape(people['carl'].user.name)})" in printed
    assert "(represented by Greta Guest)" in printed
    rows = list(
        csv.reader(
            io.StringIO(client.get(url(office["meeting"]), {"_export": "csv"}).content.decode("utf-8-sig"))
        )
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[people["anna"].user.name][6] == people["carl"].user.name
    assert by_name[people["rik"].user.name][6] == "Greta Guest"
    # The guest substitute is listed under the administration she stands in for.
    assert by_name["Greta Guest"][2] == "REGZ"


def test_a_guest_by_name_can_represent_an_invitee(client, secretariat, office):
    inv = office["inv"]
    client.force_login(secretariat.user)

    data = office_data(office, **{f"represented_by_name-{inv['anna'].pk}": "  Paul   Peeters "})
    client.post(url(office["meeting"]), data)

    anna = Attendance.objects.get(invitation=inv["anna"])
    assert (anna.represented_by, anna.represented_by_name) == (None, "Paul Peeters")
    html = client.get(url(office["meeting"])).content.decode()
    assert re.search(
        rf'<input[^>]*name="represented_by_name-{inv["anna"].pk}"[^>]*value="Paul Peeters"', html
    )


@pytest.mark.parametrize("who", ["otto", "ivo", "anna"])
def test_only_an_active_colleague_can_be_chosen_and_a_refusal_saves_nothing(client, secretariat, office, who):
    people, inv = office["people"], office["inv"]
    client.force_login(secretariat.user)

    data = office_data(office, **{f"represented_by-{inv['anna'].pk}": str(people[who].pk)})
    response = client.post(url(office["meeting"]), data)

    text = html_text(response)
    expected = {
        "otto": f"{people['otto'].user.name} is not a member of FEDZ",
        "ivo": f"{people['ivo'].user.name} is no longer an active member",
        "anna": f"{people['anna'].user.name} cannot represent themselves.",
    }[who]
    assert expected in text
    assert not Attendance.objects.exists()


def test_a_colleague_and_a_guest_name_together_are_refused(client, secretariat, office):
    people, inv = office["people"], office["inv"]
    client.force_login(secretariat.user)

    data = office_data(
        office,
        **{
            f"represented_by-{inv['anna'].pk}": str(people["carl"].pk),
            f"represented_by_name-{inv['anna'].pk}": "Paul Peeters",
        },
    )
    response = client.post(url(office["meeting"]), data)

    assert (
        f"Choose a colleague or write a guest's name for {people['anna'].user.name}, not both."
        in html_text(response)
    )
    assert not Attendance.objects.exists()


def test_a_colleague_marked_absent_cannot_represent_anyone(client, secretariat, office):
    people, inv = office["people"], office["inv"]
    client.force_login(secretariat.user)

    data = office_data(
        office,
        **{
            f"represented_by-{inv['anna'].pk}": str(people["bea"].pk),
            f"status-{inv['bea'].pk}": Status.ABSENT,
        },
    )
    response = client.post(url(office["meeting"]), data)

    assert f"{people['bea'].user.name} was not present and cannot represent anyone." in html_text(response)
    assert not Attendance.objects.exists()


def offered(page: str, invitation: Invitation) -> tuple[list[str], list[str]]:
    """(the names offered in this invitee's colleague list, in order, "Nobody" first; the selected ones)."""
    select = re.search(rf'<select name="represented_by-{invitation.pk}".*?</select>', page, re.S).group(0)
    found = re.findall(r'<option value="\d*"( selected)?>([^<]*)</option>', select)
    return [html.unescape(name) for _, name in found], [html.unescape(name) for chosen, name in found if chosen]


def test_each_row_offers_its_own_colleagues_substitute_first_and_marks_only_its_choice(
    client, group, secretariat
):
    """Rows of one administration share its list of colleagues: each still leaves out the invitee
    and lists their substitute first, once, and only the row's own choice is selected."""
    speaks(secretariat, "en")
    fedz = administration(acronym="FEDZ", name_en="Federal Z")
    meeting = make_meeting(
        group, secretariat, starts_at=timezone.now() - timedelta(minutes=30), invite_whole_group=False
    )
    people = {}
    for name in ("Ann", "Bob", "Cas", "Dirk D'Hondt", "Eve"):
        people[name] = make_member(administration=fedz)
        people[name].user.name = name
        people[name].user.save(update_fields=["name"])
    cas = invited(meeting, people["Cas"], rsvp=Rsvp.ACCEPTED, source=Invitation.Source.SUBSTITUTE)
    inv = {
        "Ann": invited(meeting, people["Ann"], rsvp=Rsvp.DECLINED),
        "Bob": invited(meeting, people["Bob"], rsvp=Rsvp.DELEGATED, delegated_to=cas),
        "Dirk": invited(meeting, people["Dirk D'Hondt"], rsvp=Rsvp.ACCEPTED),
    }
    Attendance.objects.create(
        invitation=inv["Ann"], status=Status.EXCUSED, represented_by=people["Dirk D'Hondt"]
    )
    client.force_login(secretariat.user)

    page = client.get(url(meeting)).content.decode()

    assert offered(page, inv["Ann"]) == (
        ["Nobody", "Bob", "Cas", "Dirk D'Hondt", "Eve"],
        ["Dirk D'Hondt"],
    )
    # Bob's substitute, Cas, comes first and only once; Bob's row starts with Cas chosen.
    assert offered(page, inv["Bob"]) == (["Nobody", "Cas", "Ann", "Dirk D'Hondt", "Eve"], ["Cas"])
    assert offered(page, inv["Dirk"]) == (["Nobody", "Ann", "Bob", "Cas", "Eve"], ["Nobody"])
    assert f'name="represented_by-{cas.pk}"' not in page  # Cas stands in for Bob

    # A refused choice shows again as chosen in its own row only, with the error beside it.
    data = {
        f"status-{inv['Ann'].pk}": Status.EXCUSED,
        f"status-{inv['Bob'].pk}": Status.EXCUSED,
        f"status-{inv['Dirk'].pk}": Status.PRESENT,
        f"status-{cas.pk}": Status.PRESENT,
        f"represented_by-{inv['Ann'].pk}": "",
        f"represented_by-{inv['Bob'].pk}": str(people["Eve"].pk),
        f"represented_by-{inv['Dirk'].pk}": str(people["Dirk D'Hondt"].pk),
    }
    page = client.post(url(meeting), data).content.decode()

    assert offered(page, inv["Ann"])[1] == ["Nobody"]
    assert offered(page, inv["Bob"])[1] == ["Eve"]
    # Dirk cannot choose himself: he is not offered, so nothing in his list is selected.
    assert offered(page, inv["Dirk"]) == (["Nobody", "Ann", "Bob", "Cas", "Eve"], [])
    assert "Dirk D&#x27;Hondt cannot represent themselves." in page
    assert Attendance.objects.get(invitation=inv["Ann"]).represented_by == people["Dirk D'Hondt"]
