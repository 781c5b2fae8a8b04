"""Reminders on commitments go once, however often the periodic job runs: the reporting round's
reminder to focal points who have not reported, and due-date reminders before and after the date,
each in the recipient's language."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from coordination import reminders, rounds, services
from coordination.models import ReminderLog, ReportingRound
from members.models import Administration
from members.outbox import Kind, OutboundMessage
from tests.coordination.factories import make_commitment, make_plan
from tests.factories import AdministrationFactory, make_member

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def flanders():
    return AdministrationFactory(acronym="DKB", level=Administration.Level.REGIONAL, entity="flemish")


@pytest.fixture
def wallonia():
    return AdministrationFactory(acronym="SPW", level=Administration.Level.REGIONAL, entity="walloon")


@pytest.fixture
def people(flanders, wallonia):
    return {
        "dkb": make_member(None, administration=flanders, language="nl"),
        "spw": make_member(None, administration=wallonia, language="fr"),
    }


@pytest.fixture
def open_round(group, chair, flanders, wallonia, people):
    """A round opened ten days ago, due in five, reminding seven days before: its reminder is due."""
    _plan, edition = make_plan(group)
    commitment = make_commitment(
        edition,
        lead=flanders,
        others=[wallonia],
        focal_points={flanders: [people["dkb"]], wallonia: [people["spw"]]},
        title_nl="Gepaste zorgvuldigheid",
        title_fr="Devoir de vigilance",
    )
    round_ = rounds.open_round(edition=edition, deadline=TODAY + timedelta(days=5), by=chair)
    ReportingRound.objects.filter(pk=round_.pk).update(opened_at=timezone.now() - timedelta(days=10))
    round_.refresh_from_db()
    return round_, commitment


def reminder_rows(batch_end: str):
    return OutboundMessage.objects.filter(batch__endswith=batch_end)


def test_the_round_reminder_goes_once_to_those_who_have_not_reported(open_round, people, flanders, chair):
    round_, commitment = open_round
    services.record_progress(
        part=commitment.parts.get(administration=flanders), by=people["dkb"], progress=10
    )

    assert reminders.send_round_reminders() == 1
    assert reminders.send_round_reminders() == 0  # a second run sends nothing

    rows = list(reminder_rows("-reminder"))
    assert [row.to_email for row in rows] == [people["spw"].user.email]
    assert rows[0].language == "fr" and "Devoir de vigilance" in rows[0].body_text
    assert rows[0].kind == Kind.COMMITMENT_REMINDER
    round_.refresh_from_db()
    assert round_.reminder_sent_at is not None


def test_two_runs_that_read_the_same_list_still_remind_once(open_round, people):
    """The claim is the database's unique constraint, not the read: a run that computed its list
    before another run sent the reminders sends nothing."""
    round_, _commitment = open_round
    stale = reminders.rounds_to_remind(TODAY)
    assert reminders.send_round_reminders() == 2
    ReportingRound.objects.filter(pk=round_.pk).update(reminder_sent_at=None)  # as if read before it was set

    assert sum(rounds.send_round_emails(r, kind=ReminderLog.Kind.ROUND_REMINDER) for r in stale) == 0
    assert reminder_rows("-reminder").count() == 2
    assert ReminderLog.objects.filter(kind=ReminderLog.Kind.ROUND_REMINDER).count() == 2


def test_no_reminder_before_its_day_nor_for_a_round_opened_after_it(group, chair, flanders, people):
    _plan, edition = make_plan(group)
    make_commitment(edition, lead=flanders, focal_points={flanders: [people["dkb"]]})
    early = rounds.open_round(edition=edition, deadline=TODAY + timedelta(days=20), by=chair)
    assert reminders.send_round_reminders() == 0
    rounds.close_round(round=early, by=chair)
    rounds.open_round(
        edition=edition, deadline=TODAY + timedelta(days=3), by=chair
    )  # opened inside the window
    assert reminders.send_round_reminders() == 0
    assert not reminder_rows("-reminder").exists()


def test_the_periodic_command_does_both_kinds_once(open_round, people, flanders):
    _round, commitment = open_round
    commitment.due_date = TODAY - timedelta(days=1)
    commitment.save()
    out = StringIO()

    call_command("send_commitment_reminders", stdout=out)
    call_command("send_commitment_reminders", stdout=out)

    assert "Queued 2 reporting round reminder(s) and 2 due-date reminder(s)." in out.getvalue()
    assert "Queued 0 reporting round reminder(s) and 0 due-date reminder(s)." in out.getvalue()
    assert reminder_rows("-reminder").count() == 2
    assert OutboundMessage.objects.filter(batch__startswith="commitments-due-").count() == 2


# --- Due dates -----------------------------------------------------------------------------------


@pytest.fixture
def due_setup(group, flanders, wallonia, people):
    _plan, edition = make_plan(group)
    soon = make_commitment(
        edition,
        lead=flanders,
        focal_points={flanders: [people["dkb"]]},
        title_nl="Binnenkort",
        title_en="Soon",
        due_date=TODAY + timedelta(days=3),
    )
    passed = make_commitment(
        edition,
        lead=flanders,
        others=[wallonia],
        focal_points={flanders: [people["dkb"]], wallonia: [people["spw"]]},
        title_nl="Te laat",
        title_fr="En retard",
        due_date=TODAY - timedelta(days=2),
    )
    far = make_commitment(
        edition, lead=flanders, focal_points={flanders: [people["dkb"]]}, due_date=TODAY + timedelta(days=60)
    )
    done = make_commitment(
        edition, lead=flanders, focal_points={flanders: [people["dkb"]]}, due_date=TODAY - timedelta(days=1)
    )
    done.parts.update(status="done", progress=100)
    return {"soon": soon, "passed": passed, "far": far, "done": done}


def test_due_date_reminders_go_once_in_the_recipients_language(due_setup, people, settings):
    settings.COMMITMENT_DUE_REMINDER_DAYS = 7

    assert reminders.send_due_date_reminders() == 2
    assert reminders.send_due_date_reminders() == 0

    rows = {row.to_email: row for row in OutboundMessage.objects.filter(batch__startswith="commitments-due-")}
    dkb = rows[people["dkb"].user.email]
    assert dkb.language == "nl"
    assert "Binnenkort" in dkb.body_text and "Te laat" in dkb.body_text
    linked = set(re.findall(r"/parts/(\d+)/update/", dkb.body_text))
    expected = {
        str(due_setup["soon"].parts.get().pk),
        str(due_setup["passed"].parts.get(administration__acronym="DKB").pk),
    }
    assert linked == expected  # not the far one, not the done one
    spw = rows[people["spw"].user.email]
    assert spw.language == "fr" and "En retard" in spw.body_text and "Binnenkort" not in spw.body_text
    kinds = set(ReminderLog.objects.values_list("kind", flat=True))
    assert kinds == {ReminderLog.Kind.DUE_SOON, ReminderLog.Kind.OVERDUE}


def test_a_due_soon_part_is_reminded_again_when_it_passes_and_when_its_date_moves(due_setup, people):
    assert reminders.send_due_date_reminders() == 2
    later = timezone.now() + timedelta(days=4)  # the "soon" one has now passed

    assert reminders.send_due_date_reminders(now=later) == 1
    assert reminders.send_due_date_reminders(now=later) == 0

    soon = due_setup["soon"]
    soon.due_date = TODAY + timedelta(days=30)
    soon.save()
    assert reminders.send_due_date_reminders(now=later + timedelta(days=25)) == 1  # the new date, once


def test_due_date_reminders_read_earlier_by_a_concurrent_run_send_nothing(due_setup):
    stale = reminders.due_reminders(TODAY)
    assert reminders.send_due_date_reminders() == 2

    assert reminders.send_due_date_reminders(reminders=stale) == 0
    assert OutboundMessage.objects.filter(batch__startswith="commitments-due-").count() == 2


def test_a_part_without_focal_points_is_not_marked_as_reminded(group, flanders, people):
    _plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=flanders, due_date=TODAY + timedelta(days=2))
    assert reminders.send_due_date_reminders() == 0
    assert not ReminderLog.objects.exists()
    commitment.parts.get().focal_points.add(people["dkb"])
    assert reminders.send_due_date_reminders() == 1


def _at_once(job) -> list[int]:
    """Run `job` twice at the same time, each on its own database connection."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("an in-memory SQLite database is not shared between threads")

    def run(_n):
        try:
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, range(2)))


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_on_threads_remind_once(due_setup):
    """Two runs at the same time, each on its own connection: one reminder per focal point."""
    results = _at_once(reminders.send_due_date_reminders)
    assert sorted(results) == [0, 2]  # one run claimed both parts; the other found them claimed
    assert OutboundMessage.objects.filter(batch__startswith="commitments-due-").count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_round_reminder_runs_remind_each_focal_point_once(open_round, people):
    results = _at_once(reminders.send_round_reminders)

    assert sorted(results) == [0, 2]
    assert sorted(reminder_rows("-reminder").values_list("to_email", flat=True)) == sorted(
        [people["dkb"].user.email, people["spw"].user.email]
    )


def test_the_command_loops_every_hour_when_no_interval_is_given(monkeypatch, db):
    naps = []

    def sleep(duration):
        naps.append(duration)
        raise KeyboardInterrupt

    monkeypatch.setattr("core.periodic.time.sleep", sleep)
    out = StringIO()
    call_command("send_commitment_reminders", "--loop", stdout=out)
    assert naps == [3600]
    assert "Stopped." in out.getvalue()
