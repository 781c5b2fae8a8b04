"""Reporting rounds: opening sends each focal point one email in their language listing exactly their
parts; updates during the round count in it; the dashboard says who reported; closing freezes a
snapshot that later updates leave alone; two rounds compare side by side."""

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from coordination import rounds, services
from coordination.models import ProgressUpdate, ReminderLog, ReportingRound, RoundSnapshot
from members.models import Administration, Membership
from members.outbox import Kind, OutboundMessage
from tests.coordination.factories import make_commitment, make_many, make_plan
from tests.factories import AdministrationFactory, make_member

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def federal():
    return AdministrationFactory(acronym="FIDO", level=Administration.Level.FEDERAL)


@pytest.fixture
def flanders():
    return AdministrationFactory(acronym="DKB", level=Administration.Level.REGIONAL, entity="flemish")


@pytest.fixture
def wallonia():
    return AdministrationFactory(acronym="SPW", level=Administration.Level.REGIONAL, entity="walloon")


@pytest.fixture
def plan_setup(group, chair, federal, flanders, wallonia):
    """A plan with three commitments; the Flemish focal point reports for two administrations' parts."""
    plan, edition = make_plan(group)
    fido_point = make_member(group, Role.MEMBER, administration=federal, language="fr")
    dkb_point = make_member(None, administration=flanders, language="nl")  # not in the owner group
    spw_point = make_member(None, administration=wallonia, language="de")
    first = make_commitment(
        edition,
        lead=federal,
        others=[flanders, wallonia],
        focal_points={federal: [fido_point], flanders: [dkb_point], wallonia: [spw_point]},
        title_en="Due diligence",
        title_nl="Gepaste zorgvuldigheid",
        title_fr="Devoir de vigilance",
        reference="1.1",
    )
    second = make_commitment(
        edition,
        lead=flanders,
        focal_points={flanders: [dkb_point]},
        title_en="Public procurement",
        title_nl="Overheidsopdrachten",
        title_fr="Marchés publics",
        reference="1.2",
    )
    done = make_commitment(edition, lead=flanders, focal_points={flanders: [dkb_point]}, reference="1.3")
    done.parts.update(status="done", progress=100)
    return {
        "plan": plan,
        "edition": edition,
        "first": first,
        "second": second,
        "done": done,
        "fido_point": fido_point,
        "dkb_point": dkb_point,
        "spw_point": spw_point,
        "chair": chair,
    }


def part(commitment, administration):
    return commitment.parts.get(administration=administration)


def open_via_page(client, plan, deadline, **fields):
    data = {
        "deadline": deadline.isoformat(),
        "remind_days_before": 7,
        "label": "Spring",
        "note": "",
        **fields,
    }
    return client.post(reverse("rounds:open", args=[plan.slug]), data)


def test_a_round_from_opening_to_comparison(
    client, mailoutbox, plan_setup, federal, flanders, wallonia, django_capture_on_commit_callbacks
):
    s = plan_setup
    client.force_login(s["chair"].user)
    deadline = timezone.localdate() + timedelta(days=21)

    with django_capture_on_commit_callbacks(execute=True):
        response = open_via_page(client, s["plan"], deadline)

    round_ = ReportingRound.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rounds:detail", args=[round_.pk])
    messages = {m.to_email: m for m in OutboundMessage.objects.filter(batch=f"round-{round_.pk}-opened")}
    # One email per focal point, each in their language, listing exactly their open parts.
    assert set(messages) == {s["fido_point"].user.email, s["dkb_point"].user.email, s["spw_point"].user.email}
    dkb = messages[s["dkb_point"].user.email]
    assert dkb.language == "nl"
    assert "Gepaste zorgvuldigheid" in dkb.body_text and "Overheidsopdrachten" in dkb.body_text
    assert "Due diligence" not in dkb.body_text
    update_links = set(re.findall(r"/commitments/parts/(\d+)/update/", dkb.body_text))
    assert update_links == {str(part(s["first"], flanders).pk), str(part(s["second"], flanders).pk)}
    assert "1.3" not in dkb.body_text  # a done part is not asked for
    assert dkb.body_html and "Gepaste zorgvuldigheid" in dkb.body_html
    fido = messages[s["fido_point"].user.email]
    assert fido.language == "fr" and "Devoir de vigilance" in fido.body_text
    assert set(re.findall(r"/parts/(\d+)/update/", fido.body_text)) == {str(part(s["first"], federal).pk)}
    spw = messages[s["spw_point"].user.email]
    assert spw.language == "de"
    assert set(re.findall(r"/parts/(\d+)/update/", spw.body_text)) == {str(part(s["first"], wallonia).pk)}
    # Sent, and read back by the standard parser: one recipient, a text and an HTML part.
    assert all(m.status == OutboundMessage.Status.SENT for m in messages.values())
    sent = [message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in mailoutbox]
    dkb_mail = next(m for m in sent if m["To"] == s["dkb_point"].user.email)
    assert dkb_mail["Content-Language"] == "nl"
    assert "Overheidsopdrachten" in dkb_mail.get_body(("plain",)).get_content()
    assert "Overheidsopdrachten" in dkb_mail.get_body(("html",)).get_content()
    assert ReminderLog.objects.filter(round=round_, kind=ReminderLog.Kind.ROUND_OPENED).count() == 3

    # The Flemish focal point reports on one part, "no change" on the other in one click.
    client.force_login(s["dkb_point"].user)
    services.record_progress(
        part=part(s["first"], flanders), by=s["dkb_point"], status="in_progress", progress=40, text="Started"
    )
    response = client.post(reverse("rounds:no-change", args=[part(s["second"], flanders).pk]))
    assert response.status_code == 302
    assert ProgressUpdate.objects.filter(round=round_).count() == 2
    assert ProgressUpdate.objects.get(part=part(s["second"], flanders)).no_change

    # The dashboard says who reported, who said no change, who has not.
    client.force_login(s["chair"].user)
    dashboard = reverse("rounds:detail", args=[round_.pk])
    page = client.get(dashboard).text
    summary = page.split('id="administrations-caption"')[1].split("</table>")[0]
    # Per administration: reported, no change, not reported yet.
    assert re.search(r">DKB</abbr></a></th>\s*<td>1</td>\s*<td>1</td>\s*<td>0</td>", summary)
    assert re.search(r">SPW</abbr></a></th>\s*<td>0</td>\s*<td>0</td>\s*<td><a", summary)
    dkb_rows = client.get(dashboard, {"administration": flanders.pk}).text.split('id="parts-caption"')[1]
    assert "Geen wijziging" in dkb_rows and "Gerapporteerd" in dkb_rows and "SPW" not in dkb_rows
    assert f"door {s['dkb_point'].user.name}" in dkb_rows.replace("&#x27;", "'")
    missing = client.get(dashboard, {"state": "missing"}).text.split('id="parts-caption"')[1]
    assert "SPW" in missing and "FIDO" in missing and "DKB" not in missing
    assert deadline.strftime("%Y") in page

    # Closing freezes a snapshot per part.
    response = client.post(reverse("rounds:close", args=[round_.pk]))
    assert response.status_code == 302
    round_.refresh_from_db()
    assert not round_.is_open
    frozen = RoundSnapshot.objects.get(round=round_, part=part(s["first"], flanders))
    assert (frozen.status, frozen.progress, frozen.reported, frozen.no_change) == (
        "in_progress",
        40,
        True,
        False,
    )
    assert RoundSnapshot.objects.get(round=round_, part=part(s["second"], flanders)).no_change
    assert not RoundSnapshot.objects.get(round=round_, part=part(s["first"], wallonia)).reported
    assert RoundSnapshot.objects.filter(round=round_).count() == 5

    # A later update is outside the round and leaves its snapshot as it was.
    later = services.record_progress(part=part(s["first"], flanders), by=s["dkb_point"], progress=70)
    assert later.round is None
    frozen_again = RoundSnapshot.objects.get(pk=frozen.pk)
    assert (frozen_again.status, frozen_again.progress) == ("in_progress", 40)

    # The next round compares with the closed one: what moved, what is late.
    with django_capture_on_commit_callbacks(execute=True):
        second_round = rounds.open_round(plan=s["plan"], deadline=deadline, by=s["chair"])
    comparison = rounds.compare_rounds(rounds.previous_round(second_round), second_round)
    moved = {(row.part.pk, row.before.progress, row.after.progress) for row in comparison.moved}
    assert moved == {(part(s["first"], flanders).pk, 40, 70)}
    page = client.get(reverse("rounds:compare", args=[second_round.pk])).text
    assert "Vergelijking van rondes" in page and "gewijzigd" in page and "+30 %" in page
    # By default only what moved or is late; on request every part, or those not reported.
    assert "Overheidsopdrachten" not in page.split('id="compare-caption"')[1]
    every = client.get(reverse("rounds:compare", args=[second_round.pk]), {"show": "all"}).text
    assert "Overheidsopdrachten" in every.split('id="compare-caption"')[1]


def test_a_focal_point_of_several_administrations_gets_one_email_listing_all(
    plan_setup, federal, flanders, django_capture_on_commit_callbacks
):
    s = plan_setup
    part(s["first"], federal).focal_points.add(s["dkb_point"])  # also reports for the federal part
    with django_capture_on_commit_callbacks(execute=True):
        round_ = rounds.open_round(
            edition=s["edition"], deadline=timezone.localdate() + timedelta(days=5), by=s["chair"]
        )
    rows = OutboundMessage.objects.filter(
        batch=f"round-{round_.pk}-opened", to_email=s["dkb_point"].user.email
    )
    assert rows.count() == 1
    assert set(re.findall(r"/parts/(\d+)/update/", rows.get().body_text)) == {
        str(part(s["first"], federal).pk),
        str(part(s["first"], flanders).pk),
        str(part(s["second"], flanders).pk),
    }


def test_the_request_to_report_reaches_a_focal_point_who_muted_reminders(
    plan_setup, django_capture_on_commit_callbacks
):
    s = plan_setup
    s["dkb_point"].muted_kinds = [Kind.COMMITMENT_REMINDER]
    s["dkb_point"].save(update_fields=["muted_kinds"])
    with django_capture_on_commit_callbacks(execute=True):
        round_ = rounds.open_round(
            edition=s["edition"], deadline=timezone.localdate() + timedelta(days=5), by=s["chair"]
        )
    row = OutboundMessage.objects.get(batch=f"round-{round_.pk}-opened", to_email=s["dkb_point"].user.email)
    assert row.kind == Kind.REPORTING_REQUEST
    assert row.status != OutboundMessage.Status.SUPPRESSED


def test_only_one_open_round_per_edition(plan_setup):
    s = plan_setup
    deadline = timezone.localdate() + timedelta(days=5)
    rounds.open_round(edition=s["edition"], deadline=deadline, by=s["chair"])
    with pytest.raises(ValidationError):
        rounds.open_round(edition=s["edition"], deadline=deadline, by=s["chair"])
    assert ReportingRound.objects.count() == 1


def test_a_deadline_in_the_past_is_refused_and_nothing_is_sent(client, plan_setup):
    client.force_login(plan_setup["chair"].user)
    response = open_via_page(client, plan_setup["plan"], timezone.localdate() - timedelta(days=1))
    assert response.status_code == 200
    assert "De uiterste datum kan niet in het verleden liggen." in response.text
    assert not ReportingRound.objects.exists() and not OutboundMessage.objects.exists()


def test_a_closed_round_cannot_be_closed_again(plan_setup):
    round_ = rounds.open_round(
        edition=plan_setup["edition"], deadline=timezone.localdate(), by=plan_setup["chair"]
    )
    rounds.close_round(round=round_, by=plan_setup["chair"])
    with pytest.raises(ValidationError):
        rounds.close_round(round=round_, by=plan_setup["chair"])
    assert RoundSnapshot.objects.filter(round=round_).count() == 5


# --- Permissions -------------------------------------------------------------------------------


def test_members_who_cannot_see_the_plan_get_404(client, plan_setup, outsider):
    round_ = rounds.open_round(
        edition=plan_setup["edition"], deadline=timezone.localdate(), by=plan_setup["chair"]
    )
    client.force_login(outsider.user)
    for name, method in [
        ("rounds:detail", "get"),
        ("rounds:compare", "get"),
        ("rounds:close", "get"),
        ("rounds:close", "post"),
        ("rounds:follow-up", "post"),
    ]:
        assert getattr(client, method)(reverse(name, args=[round_.pk])).status_code == 404, name
    assert client.get(reverse("rounds:open", args=[plan_setup["plan"].slug])).status_code == 404
    first_part = plan_setup["first"].parts.first()
    assert client.post(reverse("rounds:no-change", args=[first_part.pk])).status_code == 404
    assert not ProgressUpdate.objects.exists()


def test_readers_and_focal_points_get_403_on_what_they_may_not_do(
    client, plan_setup, observer, wallonia, flanders
):
    s = plan_setup
    round_ = rounds.open_round(edition=s["edition"], deadline=timezone.localdate(), by=s["chair"])
    for reader in (observer, s["spw_point"]):
        client.force_login(reader.user)
        assert client.get(reverse("rounds:detail", args=[round_.pk])).status_code == 200
        assert client.get(reverse("rounds:open", args=[s["plan"].slug])).status_code == 403
        assert client.post(reverse("rounds:close", args=[round_.pk])).status_code == 403
        assert client.post(reverse("rounds:follow-up", args=[round_.pk])).status_code == 403
    # A focal point reports "no change" on their own part only.
    client.force_login(s["spw_point"].user)
    assert client.post(reverse("rounds:no-change", args=[part(s["first"], flanders).pk])).status_code == 403
    assert client.post(reverse("rounds:no-change", args=[part(s["first"], wallonia).pk])).status_code == 302
    client.force_login(observer.user)
    assert client.post(reverse("rounds:no-change", args=[part(s["first"], wallonia).pk])).status_code == 403
    round_.refresh_from_db()
    assert round_.is_open and ProgressUpdate.objects.count() == 1


def test_a_focal_point_outside_the_group_sees_only_their_commitments_on_the_dashboard(client, plan_setup):
    s = plan_setup
    round_ = rounds.open_round(edition=s["edition"], deadline=timezone.localdate(), by=s["chair"])
    client.force_login(s["spw_point"].user)
    page = client.get(reverse("rounds:detail", args=[round_.pk])).text
    assert "Due diligence" in page and "Public procurement" not in page
    assert "Keine Änderung melden" in page  # the Walloon focal point reads German


def test_the_no_change_button_goes_back_only_to_this_site(client, plan_setup, wallonia):
    s = plan_setup
    round_ = rounds.open_round(edition=s["edition"], deadline=timezone.localdate(), by=s["chair"])
    client.force_login(s["spw_point"].user)
    response = client.post(
        reverse("rounds:no-change", args=[part(s["first"], wallonia).pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("rounds:detail", args=[round_.pk])


# --- Query budgets ---------------------------------------------------------------------------------


def _big_round(group, chair, count):
    plan, edition = make_plan(group)
    administrations = [AdministrationFactory() for _ in range(5)]
    make_many(edition, count // 5, administrations)
    for index, one in enumerate(edition.commitments.all()[:3]):
        one.parts.first().focal_points.add(make_member(None, administration=administrations[0]))
        if index == 0:
            one.due_date = timezone.localdate() - timedelta(days=3)
            one.save()
    round_ = rounds.open_round(edition=edition, deadline=timezone.localdate(), by=chair)
    for one in list(edition.commitments.all())[: count // 10]:
        services.record_progress(part=one.parts.first(), by=chair, progress=50)
    return plan, edition, round_


@pytest.mark.parametrize("count", [5, 200, 500])
def test_round_dashboard_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    _plan, _edition, round_ = _big_round(group, chair, count)
    client.force_login(chair.user)
    # session, user, member, round, roles, counts per administration, the administrations, the
    # number of parts shown, the page of parts, their focal points
    with django_assert_max_num_queries(10):
        response = client.get(reverse("rounds:detail", args=[round_.pk]))
    assert response.status_code == 200 and "Nog niet gerapporteerd" in response.text
    # At most 200 parts a page; the counts cover them all.
    assert response.text.count("Geen wijziging melden") == min(count, 200) - count // 10
    if count > 200:
        assert response.text.count('<tr id="part-') == 200
        last = client.get(reverse("rounds:detail", args=[round_.pk]), {"page": 3})
        assert last.text.count('<tr id="part-') == count - 400


@pytest.mark.parametrize("count", [5, 200])
def test_round_comparison_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    _plan, edition, round_ = _big_round(group, chair, count)
    rounds.close_round(round=round_, by=chair)
    for one in list(edition.commitments.all())[: count // 5]:
        services.record_progress(part=one.parts.first(), by=chair, progress=80)
    current = rounds.open_round(edition=edition, deadline=timezone.localdate(), by=chair)
    client.force_login(chair.user)
    # session, user, member, round, roles, previous round, its snapshots, the parts now, the
    # other rounds, the next meeting
    with django_assert_max_num_queries(10):
        response = client.get(reverse("rounds:compare", args=[current.pk]))
    assert response.status_code == 200 and "gewijzigd" in response.text


@pytest.mark.parametrize("count", [1, 10])
def test_round_list_queries_do_not_grow(client, group, chair, count, django_assert_max_num_queries):
    plan, edition = make_plan(group)
    for _ in range(count):
        round_ = rounds.open_round(edition=edition, deadline=timezone.localdate(), by=chair)
        rounds.close_round(round=round_, by=chair)
    client.force_login(chair.user)
    # session, user, member, plan, rounds with their edition, roles
    with django_assert_max_num_queries(6):
        response = client.get(reverse("rounds:list", args=[plan.slug]))
    assert response.status_code == 200
    assert response.text.count(reverse("rounds:compare", args=[edition.reporting_rounds.first().pk])) == 1


def test_the_plan_page_leads_to_its_rounds_and_the_plan_list_to_the_overdue_parts(
    client, plan_setup, observer
):
    s = plan_setup
    round_ = rounds.open_round(
        edition=s["edition"], deadline=timezone.localdate(), label="Spring", by=s["chair"]
    )
    client.force_login(observer.user)
    assert reverse("rounds:overdue") in client.get(reverse("coordination:plan-list")).text
    rounds_url = reverse("rounds:list", args=[s["plan"].slug])
    assert rounds_url in client.get(reverse("coordination:plan-detail", args=[s["plan"].slug])).text

    page = client.get(rounds_url).text

    assert "Spring" in page and reverse("rounds:detail", args=[round_.pk]) in page
    assert reverse("rounds:open", args=[s["plan"].slug]) not in page  # readers do not open rounds
    client.force_login(s["chair"].user)
    assert reverse("rounds:open", args=[s["plan"].slug]) in client.get(rounds_url).text


@pytest.mark.parametrize("target", ["0", "99999999999999999999999999", "//evil.example/", "rounds:overdue"])
def test_a_return_address_that_is_not_a_path_on_this_site_is_ignored(client, plan_setup, wallonia, target):
    s = plan_setup
    round_ = rounds.open_round(edition=s["edition"], deadline=timezone.localdate(), by=s["chair"])
    client.force_login(s["spw_point"].user)
    response = client.post(
        reverse("rounds:no-change", args=[part(s["first"], wallonia).pk]), {"next": target}
    )
    assert response.status_code == 302 and response["Location"] == reverse("rounds:detail", args=[round_.pk])


@pytest.mark.parametrize("value", ["²", "٣", "1e3", "999999999999999999", "99999999999999999999999"])
def test_odd_numbers_in_the_address_change_nothing_and_fail_nothing(client, plan_setup, value):
    round_ = rounds.open_round(
        edition=plan_setup["edition"], deadline=timezone.localdate(), by=plan_setup["chair"]
    )
    client.force_login(plan_setup["chair"].user)
    assert (
        client.get(reverse("rounds:detail", args=[round_.pk]), {"administration": value}).status_code == 200
    )
    assert client.get(reverse("rounds:compare", args=[round_.pk]), {"with": value}).status_code == 404
