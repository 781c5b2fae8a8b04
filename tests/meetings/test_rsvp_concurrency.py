"""Many answers at once, against PostgreSQL: none is lost, the last one committed is the answer.

Run it with DATABASE_URL=postgres://… (pytest-django creates the test database); on SQLite,
which takes one writer at a time anyway, it is skipped.
"""

import random
import threading
from collections import Counter

import pytest
from django.db import connection

from meetings import rsvp
from meetings.models import Invitation, RsvpAnswer
from tests.meetings.factories import bulk_members, invite, make_meeting

Rsvp = Invitation.Rsvp
THREADS = 12
ANSWERS_PER_THREAD = 15
CHOICES = [Rsvp.ACCEPTED, Rsvp.TENTATIVE, Rsvp.DECLINED]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


def test_concurrent_answers_lose_nothing_and_the_last_one_wins(group, chair):
    meeting = make_meeting(group, chair, format="hybrid", online_url="https://meet.example.org/x")
    members = bulk_members(4, group=group)
    invitations = invite(meeting, members)
    # Half the threads hammer one invitation; the others spread over all of them.
    contested = invitations[0]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def answer(worker: int) -> None:
        chooser = random.Random(worker)
        try:
            start.wait()
            for number in range(ANSWERS_PER_THREAD):
                invitation = contested if worker % 2 == 0 else chooser.choice(invitations)
                rsvp.record_rsvp(
                    invitation=invitation,
                    answer=chooser.choice(CHOICES),
                    channel=RsvpAnswer.Channel.EMAIL_LINK,
                    comment=f"worker {worker} answer {number}",
                    attendance_mode=chooser.choice(["", "on_site", "online"]),
                )
        except BaseException as error:  # reported below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(worker,)) for worker in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert RsvpAnswer.objects.filter(invitation__meeting=meeting).count() == THREADS * ANSWERS_PER_THREAD
    per_invitation = Counter(RsvpAnswer.objects.values_list("invitation_id", flat=True))
    assert per_invitation[contested.pk] >= (THREADS // 2) * ANSWERS_PER_THREAD
    for invitation in Invitation.objects.filter(meeting=meeting):
        history = list(invitation.answers.order_by("created_at", "pk"))
        if not history:
            assert invitation.rsvp == Rsvp.NONE
            continue
        last = history[-1]
        assert [a.pk for a in history] == sorted(a.pk for a in history)  # time order is commit order
        assert (invitation.rsvp, invitation.rsvp_comment, invitation.attendance_mode) == (
            last.answer,
            last.comment,
            last.attendance_mode,
        )
        assert invitation.rsvp_at == last.created_at
