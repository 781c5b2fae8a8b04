"""The signed-in home page is the member's start page: what is coming, what waits for an answer,
what is new since the last visit and, for the chair and secretariat, what needs them."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from coordination import rounds, services
from coordination.models import ReportingRound
from meetings.models import DocumentFile, Invitation, Meeting
from members.models import Membership
from members.outbox import Kind, OutboundMessage
from tests.coordination.factories import make_commitment, make_plan
from tests.factories import make_member
from tests.meetings.factories import in_days, make_document, make_meeting, speaks

pytestmark = pytest.mark.django_db
Rsvp = Invitation.Rsvp
HOME = reverse("home")


def titled(group, title: str, **fields) -> Meeting:
    return make_meeting(group, None, title_en=title, title_nl="", title_fr="", **fields)


def invited(meeting, member, **fields) -> Invitation:
    return Invitation.objects.create(meeting=meeting, member=member, **fields)


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def uploaded(document, when, by=None) -> None:
    DocumentFile.objects.filter(document=document).update(uploaded_at=when, uploaded_by=by)


def test_signed_out_home_page_stays_the_public_welcome(client):
    page = client.get(HOME)
    assert page.status_code == 200
    assert reverse("account_login") in page.text
    assert "Membership is by invitation" in page.text
    assert "Coming up" not in page.text


def test_member_sees_upcoming_meetings_with_their_answer(client, group, focal_point):
    speaks(focal_point, "en")
    invited(titled(group, "Workshop on due diligence", starts_at=in_days(3)), focal_point, rsvp=Rsvp.ACCEPTED)
    invited(titled(group, "Draft meeting", status=Meeting.Status.DRAFT), focal_point)
    invited(titled(group, "Cancelled meeting", status=Meeting.Status.CANCELLED), focal_point)
    invited(titled(group, "Past meeting", starts_at=in_days(-3)), focal_point)
    invited(titled(group, "Removed from", starts_at=in_days(4)), focal_point, removed_at=timezone.now())
    invited(titled(group, "Someone else's", starts_at=in_days(5)), make_member(group))
    client.force_login(focal_point.user)

    upcoming = section(client.get(HOME).text, "upcoming-heading")

    assert "Workshop on due diligence" in upcoming
    assert "Accepted" in upcoming
    for hidden in ("Draft meeting", "Cancelled meeting", "Past meeting", "Removed from", "Someone else"):
        assert hidden not in upcoming


def test_member_changes_an_answer_from_the_start_page_in_one_click(client, group, focal_point):
    speaks(focal_point, "en")
    meeting = titled(group, "Plenary", starts_at=in_days(6))
    invitation = invited(meeting, focal_point)
    client.force_login(focal_point.user)
    page = client.get(HOME).text
    answer_url = reverse("meetings:answer-web", args=[meeting.pk])
    # A real form with a real button: keyboard users press it like anyone else.
    form = re.search(rf'<form method="post" action="{answer_url}"[^>]*>(.*?)</form>', page, re.S).group(1)
    assert 'name="answer" value="accepted"' in form
    assert f'name="next" value="{HOME}"' in form
    assert '<button type="submit"' in form

    response = client.post(answer_url, {"answer": "accepted", "next": HOME})

    assert response.status_code == 302 and response["Location"] == HOME
    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.ACCEPTED
    after = client.get(HOME).text
    assert "Your answer is saved" in after
    assert "Plenary" not in section(after, "waiting-heading")


def test_invitations_waiting_for_an_answer_include_answers_to_confirm(client, group, focal_point):
    speaks(focal_point, "en")
    invited(titled(group, "Not answered", starts_at=in_days(3)), focal_point)
    invited(
        titled(group, "Moved meeting", starts_at=in_days(4)),
        focal_point,
        rsvp=Rsvp.DECLINED,
        rsvp_to_confirm=True,
    )
    invited(titled(group, "Answered", starts_at=in_days(5)), focal_point, rsvp=Rsvp.ACCEPTED)
    client.force_login(focal_point.user)

    waiting = section(client.get(HOME).text, "waiting-heading")

    assert "Not answered" in waiting
    assert "Moved meeting" in waiting and "to confirm for the new time" in waiting
    assert "Confirm: Decline" in waiting  # one click keeps the answer for the new time
    assert "Answered" not in waiting


def test_confirming_an_answer_for_the_new_time_takes_it_off_the_waiting_list(client, group, focal_point):
    speaks(focal_point, "en")
    meeting = titled(group, "Moved meeting", starts_at=in_days(4))
    invitation = invited(meeting, focal_point, rsvp=Rsvp.DECLINED, rsvp_to_confirm=True)
    client.force_login(focal_point.user)
    form = re.search(r"<form[^>]*>(?:(?!</form>).)*Confirm: Decline.*?</form>", client.get(HOME).text, re.S)
    assert 'name="answer" value="declined"' in form.group(0)

    client.post(reverse("meetings:answer-web", args=[meeting.pk]), {"answer": "declined", "next": HOME})

    invitation.refresh_from_db()
    assert invitation.rsvp == Rsvp.DECLINED and not invitation.rsvp_to_confirm
    assert "Moved meeting" not in section(client.get(HOME).text, "waiting-heading")


def test_no_answer_buttons_after_the_deadline(client, group, focal_point):
    speaks(focal_point, "en")
    late = titled(group, "Late", starts_at=in_days(3), rsvp_deadline=timezone.now() - timedelta(hours=1))
    invitation = invited(late, focal_point)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=10))
    client.force_login(focal_point.user)

    waiting = section(client.get(HOME).text, "waiting-heading")

    assert "Answers were due by" in waiting
    assert reverse("meetings:answer-web", args=[late.pk]) not in waiting


def test_documents_added_since_the_last_visit(client, group, focal_point, other_group):
    speaks(focal_point, "en")
    now = timezone.now()
    focal_point.last_seen_at = now - timedelta(hours=3)
    focal_point.previous_visit_at = now - timedelta(days=2)
    focal_point.save(update_fields=["last_seen_at", "previous_visit_at"])
    meeting = titled(group, "Plenary", starts_at=in_days(10))
    uploaded(make_document(meeting, title="Progress report"), now - timedelta(hours=1))
    uploaded(make_document(meeting, title="Old agenda"), now - timedelta(hours=5))
    uploaded(make_document(meeting, title="My own note"), now - timedelta(hours=1), by=focal_point)
    secret = titled(other_group, "Other group's meeting")
    uploaded(make_document(secret, title="Not for you"), now - timedelta(hours=1))
    draft = titled(group, "Draft meeting", status=Meeting.Status.DRAFT)
    uploaded(make_document(draft, title="Draft paper"), now - timedelta(hours=1))
    client.force_login(focal_point.user)

    documents = section(client.get(HOME).text, "documents-heading")

    assert "Progress report" in documents
    assert f"{reverse('meetings:detail', args=[meeting.pk])}#documents" in documents
    for hidden in ("Old agenda", "My own note", "Not for you", "Draft paper"):
        assert hidden not in documents


def test_during_a_visit_new_documents_are_counted_from_the_previous_one(client, group, focal_point):
    speaks(focal_point, "en")
    now = timezone.now()
    focal_point.last_seen_at = now - timedelta(minutes=2)
    focal_point.previous_visit_at = now - timedelta(days=2)
    focal_point.save(update_fields=["last_seen_at", "previous_visit_at"])
    meeting = titled(group, "Plenary", starts_at=in_days(10))
    uploaded(make_document(meeting, title="Yesterday's report"), now - timedelta(days=1))
    client.force_login(focal_point.user)

    documents = section(client.get(HOME).text, "documents-heading")

    assert "Yesterday's report" in documents.replace("&#x27;", "'")


def test_a_first_visit_shows_the_documents_of_the_last_two_weeks(client, group, focal_point):
    speaks(focal_point, "en")
    meeting = titled(group, "Plenary", starts_at=in_days(10))
    uploaded(make_document(meeting, title="Recent paper"), timezone.now() - timedelta(days=3))
    uploaded(make_document(meeting, title="Ancient paper"), timezone.now() - timedelta(days=30))
    client.force_login(focal_point.user)

    documents = section(client.get(HOME).text, "documents-heading")

    assert "Added in the last 14 days." in documents
    assert "Recent paper" in documents and "Ancient paper" not in documents


def outbox_row(sender, status, batch="meeting-1-agenda", **fields) -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind=Kind.MEETING_INVITATION,
        batch=batch,
        batch_title="Invitation: Plenary",
        to_email="someone@example.org",
        language="en",
        subject="Invitation",
        body_text="…",
        status=status,
        created_by=sender,
        **fields,
    )


@pytest.fixture
def chores(group, chair, other_group):
    """What needs the chair of `group`, and look-alikes that are none of their business."""
    speaks(chair, "en")
    circulated = titled(group, "Circulated plenary", starts_at=in_days(8), circulated_at=timezone.now())
    invited(circulated, make_member(group))
    invited(circulated, make_member(group), rsvp=Rsvp.ACCEPTED, rsvp_to_confirm=True)
    invited(circulated, make_member(group), rsvp=Rsvp.ACCEPTED)
    everyone_answered = titled(group, "All answered", starts_at=in_days(9), circulated_at=timezone.now())
    invited(everyone_answered, make_member(group), rsvp=Rsvp.DECLINED)
    draft = titled(group, "Draft workshop", starts_at=in_days(20), status=Meeting.Status.DRAFT)
    not_sent = titled(group, "Scheduled, not sent", starts_at=in_days(21))
    titled(other_group, "Another group's draft", status=Meeting.Status.DRAFT)
    outbox_row(chair, OutboundMessage.Status.BOUNCED)
    outbox_row(chair, OutboundMessage.Status.DELIVERED)
    outbox_row(make_member(group), OutboundMessage.Status.FAILED, batch="someone-elses")
    bouncing = make_member(group, email="bouncing@example.org")
    bouncing.email_bounced_at = timezone.now()
    bouncing.save(update_fields=["email_bounced_at"])
    stranger = make_member(other_group, email="stranger@example.org")
    stranger.email_bounced_at = timezone.now()
    stranger.save(update_fields=["email_bounced_at"])
    return {"circulated": circulated, "draft": draft, "not_sent": not_sent}


def test_chair_sees_what_needs_them_with_a_link_to_act(client, chair, chores):
    client.force_login(chair.user)

    duties = section(client.get(HOME).text, "duties-heading")

    assert "Circulated plenary" in duties
    assert "1 invitee has not answered" in duties and "1 answer to confirm for the new time" in duties
    assert reverse("meetings:answers", args=[chores["circulated"].pk]) in duties
    assert "All answered" not in duties
    for meeting in (chores["draft"], chores["not_sent"]):
        assert meeting.title in duties
        assert reverse("meetings:circulate", args=[meeting.pk]) in duties
    assert "Another group" not in duties
    assert reverse("members:outbox-batch", args=["meeting-1-agenda"]) in duties
    assert "1 message failed or bounced" in duties
    assert "someone-elses" not in duties
    assert "bouncing@example.org" in duties and "stranger@example.org" not in duties


def test_ordinary_members_see_no_chair_section(client, focal_point, chores):
    client.force_login(focal_point.user)
    assert 'id="duties-heading"' not in client.get(HOME).text


def test_a_secretariat_with_nothing_to_do_is_told_so(client, secretariat):
    speaks(secretariat, "en")
    client.force_login(secretariat.user)
    assert "Nothing needs you at the moment." in section(client.get(HOME).text, "duties-heading")


@pytest.mark.parametrize("count", [1, 20])
def test_start_page_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    speaks(chair, "en")
    for index in range(count):
        meeting = titled(
            group, f"Meeting {index}", starts_at=in_days(3 + index), circulated_at=timezone.now()
        )
        invited(
            meeting, chair, rsvp=Rsvp.ACCEPTED if index % 2 else Rsvp.NONE, rsvp_to_confirm=index % 3 == 0
        )
        invited(meeting, make_member(group))
        make_document(meeting, title=f"Paper {index}", files=[("nl", 1), ("fr", 1)])
        titled(group, f"Draft {index}", starts_at=in_days(3 + index), status=Meeting.Status.DRAFT)
        outbox_row(chair, OutboundMessage.Status.BOUNCED, batch=f"batch-{index}")
        bouncing = make_member(group)
        bouncing.email_bounced_at = timezone.now()
        bouncing.save(update_fields=["email_bounced_at"])
    client.force_login(chair.user)

    # session, user, member, roles, upcoming, waiting, documents, parts to report, then the chair's
    # four lists
    with django_assert_max_num_queries(12):
        page = client.get(HOME)

    assert page.status_code == 200
    assert "Meeting 0" in page.text and f"Paper {count - 1}" in page.text


@pytest.mark.parametrize("count", [1, 20])
def test_start_page_queries_for_a_member_do_not_grow(
    client, group, focal_point, count, django_assert_max_num_queries
):
    _plan, edition = make_plan(group)
    for index in range(count):
        meeting = titled(group, f"Meeting {index}", starts_at=in_days(3 + index))
        invited(meeting, focal_point)
        make_document(meeting, title=f"Paper {index}")
        make_commitment(
            edition, lead=focal_point.administration, focal_points={focal_point.administration: [focal_point]}
        )
    ReportingRound.objects.create(edition=edition, deadline=timezone.localdate() + timedelta(days=9))
    client.force_login(focal_point.user)

    # session, user, member, roles, upcoming, waiting, documents, parts to report
    with django_assert_max_num_queries(8):
        assert client.get(HOME).status_code == 200


def test_a_signed_in_account_without_a_member_sees_a_plain_welcome(client, user):
    client.force_login(user)
    page = client.get(HOME)
    assert page.status_code == 200
    assert f"Welcome, {user.name}" in page.text.replace("&#x27;", "'")
    assert 'id="upcoming-heading"' not in page.text


def test_membership_roles_are_read_from_current_memberships_only(client, group, focal_point):
    """A former chair no longer sees the chair's section."""
    Membership.objects.filter(member=focal_point).update(role=Membership.Role.CHAIR, end=timezone.localdate())
    client.force_login(focal_point.user)
    assert 'id="duties-heading"' not in client.get(HOME).text


def test_a_focal_point_sees_the_parts_to_report_on_and_the_round_deadline(client, group, chair, focal_point):
    speaks(focal_point, "en")
    _plan, edition = make_plan(group)
    own = focal_point.administration
    waiting = make_commitment(edition, lead=own, focal_points={own: [focal_point]}, title_en="Waiting part")
    reported = make_commitment(edition, lead=own, focal_points={own: [focal_point]}, title_en="Reported part")
    done = make_commitment(edition, lead=own, focal_points={own: [focal_point]}, title_en="Finished part")
    done.parts.update(status="done", progress=100)
    make_commitment(edition, lead=own, title_en="Someone else's part")
    deadline = timezone.localdate() + timedelta(days=10)
    round_ = rounds.open_round(edition=edition, deadline=deadline, by=chair)
    services.record_progress(part=reported.parts.get(), by=focal_point, progress=20)
    client.force_login(focal_point.user)

    reporting = section(client.get(HOME).text, "reporting-heading")

    assert "Waiting part" in reporting and "Reported part" in reporting
    assert "Finished part" not in reporting and "Someone else" not in reporting
    # What the round waits for comes first.
    assert reporting.index("Waiting part") < reporting.index("Reported part")
    assert f"Report by {date_format(deadline, 'DATE_FORMAT')}" in reporting
    assert reverse("rounds:detail", args=[round_.pk]) in reporting
    waiting_part = waiting.parts.get()
    assert reverse("coordination:update-create", args=[waiting_part.pk]) in reporting
    assert reverse("rounds:no-change", args=[waiting_part.pk]) in reporting

    response = client.post(reverse("rounds:no-change", args=[waiting_part.pk]), {"next": HOME})

    assert response["Location"] == HOME
    assert waiting_part.updates.get().round == round_


def test_members_who_report_on_nothing_see_no_reporting_section(client, focal_point):
    client.force_login(focal_point.user)
    assert 'id="reporting-heading"' not in client.get(HOME).text
