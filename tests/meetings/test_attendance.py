"""Attendance on the day: pre-filled from the answers, saved and re-saved, substitutes, bad input,
the printable list, the exports, permissions and the query budget."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.attendance import record_attendance
from meetings.models import Attendance, Invitation, Meeting
from tests.factories import make_member
from tests.meetings.factories import in_days, invite_many, make_meeting, speaks

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


def test_only_the_invitees_substitute_can_represent_them(client, secretariat, day):
    client.force_login(secretariat.user)
    data = form_data(day)
    data[f"represented_by-{day['inv']['delegating'].pk}"] = str(day["people"]["accepted"].pk)

    response = client.post(url(day["meeting"]), data)

    assert "Select a valid choice" in response.content.decode()
    assert not Attendance.objects.exists()
    with pytest.raises(Exception, match="own substitute"):
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

    assert "A substitute who was not present cannot represent anyone." in response.content.decode()
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

    with django_assert_num_queries(6):  # session, user, member, meeting, roles, invitations
        response = client.get(url(meeting))
    assert response.content.decode().count('class="radio-row"') == invitees
    with django_assert_num_queries(6):
        client.get(url(meeting, "meetings:attendance-print"))
    with django_assert_num_queries(6):
        client.get(url(meeting), {"_export": "csv"})
