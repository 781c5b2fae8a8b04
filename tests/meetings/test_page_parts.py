"""The meeting page's kept parts (meetings/page_parts.py): a kept page is the page a fresh
render gives, every change shows on the next visit, and each reader still sees only what is
theirs (language, time zone, documents, a manager's links and history)."""

import re

import pytest
from django.urls import reverse

from core.fragments import FragmentCache
from meetings import rsvp, services
from meetings.models import AgendaItem, Invitation
from meetings.page_parts import parts_cache
from members.models import Administration, Membership
from members.versions import directory_version
from tests.meetings.factories import invite, invite_many, make_document, make_items, make_meeting, upload

pytestmark = pytest.mark.django_db
Role = Membership.Role


def page(client, meeting) -> str:
    response = client.get(reverse("meetings:detail", args=[meeting.pk]))
    assert response.status_code == 200
    # CSRF tokens are masked anew for every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.fixture
def meeting(group, chair, focal_point):
    meeting = make_meeting(group, chair)
    invite_many(meeting, 6)
    invite(meeting, [focal_point])
    items = make_items(meeting, 3)
    make_document(meeting, item=items[0], title="Draft action plan", files=[("en", 1), ("fr", 1)])
    return meeting


def test_a_kept_page_is_the_page_a_fresh_render_gives(client, chair, meeting):
    client.force_login(chair.user)
    first = page(client, meeting)
    kept = page(client, meeting)
    parts_cache.clear()
    fresh = page(client, meeting)
    assert kept == first == fresh
    assert "Draft action plan" in kept and 'id="history"' in kept


def test_every_change_shows_on_the_next_visit(client, chair, focal_point, meeting):
    client.force_login(chair.user)
    page(client, meeting)
    item = meeting.agenda_items.order_by("position").first()

    services.update_agenda_item(item=item, by=chair, title_nl="Nieuwe titel van het eerste punt")
    assert "Nieuwe titel van het eerste punt" in page(client, meeting)

    services.add_document(
        meeting=meeting,
        by=chair,
        upload=upload("annex.pdf", b"%PDF-1.4\n%%EOF\n"),
        title="Annex on budgets",
        agenda_item=item,
    )
    assert "Annex on budgets" in page(client, meeting)

    invitation = Invitation.objects.get(meeting=meeting, member=focal_point)
    before = page(client, meeting).count('answer-accepted"')
    rsvp.record_rsvp(invitation=invitation, answer=Invitation.Rsvp.ACCEPTED, by=focal_point, channel="web")
    assert page(client, meeting).count('answer-accepted"') == before + 1

    focal_point.user.name = "Renamed Focal Point"
    focal_point.user.save()
    assert "Renamed Focal Point" in page(client, meeting)

    administration = focal_point.administration
    administration.acronym = "NEWACR"
    administration.save()
    assert "(NEWACR)" in page(client, meeting)

    guest = services.add_guest(meeting=meeting, email="speaker@example.org", name="Guest Speaker", by=chair)
    assert "<td>Guest Speaker</td>" in page(client, meeting)  # a row of the invitee table
    services.remove_invitation(invitation=guest, by=chair)
    assert "<td>Guest Speaker</td>" not in page(client, meeting)  # (the history still tells)


def test_rows_written_without_history_still_show(client, chair, meeting):
    """Bulk inserts outside the services (imports, data fixes) leave no history row: the
    validator's counts still see them."""
    client.force_login(chair.user)
    assert page(client, meeting).count('class="agenda-item"') == 3
    AgendaItem.objects.bulk_create(
        [
            AgendaItem(
                meeting=meeting,
                position=4,
                title_en="Added in bulk",
                title_nl="In bulk toegevoegd",
                duration_minutes=10,
            )
        ]
    )
    assert page(client, meeting).count('class="agenda-item"') == 4


def test_invited_administrations_show_when_they_change(client, chair, meeting):
    extra = Administration.objects.create(acronym="XTRA", name_en="Extra administration", name_nl="Extra")
    client.force_login(chair.user)
    assert "XTRA" not in page(client, meeting)
    meeting.invited_administrations.add(extra)  # the meeting row itself does not change
    assert "XTRA" in page(client, meeting)


def test_a_moved_meeting_shows_its_new_times(client, chair, meeting):
    client.force_login(chair.user)
    before = page(client, meeting)
    services.update_meeting(
        meeting=meeting,
        by=chair,
        starts_at=meeting.starts_at.replace(hour=15),
        ends_at=meeting.ends_at.replace(hour=17),
    )
    after = page(client, meeting)
    assert after != before
    assert "15:00" in after and "15:15" in after  # the first two agenda items' times


def test_each_reader_sees_only_their_own(client, chair, focal_point, observer, meeting):
    """The chair's page is kept first; a member then sees no history and no answer links, in
    their own language; a reader in another zone sees times in it."""
    client.force_login(chair.user)  # reads Dutch
    chair_page = page(client, meeting)
    assert 'id="history"' in chair_page and "Plenaire over het MVO-actieplan" in chair_page
    answer_for = re.compile(r"/meetings/\d+/invitations/\d+/answer/")
    assert answer_for.search(chair_page)

    client.force_login(focal_point.user)  # reads English
    member_page = page(client, meeting)
    assert 'id="history"' not in member_page
    assert not answer_for.search(member_page)
    assert "Item 1" in member_page and "Plenary on the CSR action plan" in member_page

    focal_point.timezone = "America/New_York"
    focal_point.save(update_fields=["timezone"])
    client.force_login(focal_point.user)  # the zone is the member's own from sign-in on
    elsewhere = page(client, meeting)
    assert "America/New_York" in elsewhere
    # 10:00 in Brussels is 04:00 in New York: the kept agenda is the reader's zone's.
    assert "04:00" in elsewhere and "04:00" not in member_page


def test_the_cache_keeps_within_its_size():
    cache = FragmentCache(max_chars=100)
    cache.put("a", {"x": "1" * 60})
    cache.put("b", {"x": "2" * 30})
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.put("c", {"x": "3" * 30})  # 120 characters: the least recently used ("b") goes
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    cache.put("huge", {"x": "4" * 101})  # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.size <= 100


def test_signing_in_keeps_the_directory_version_but_a_rename_raises_it(client, focal_point):
    """Signing in or a remembered time zone saves the user and member without changing what
    pages show of them: the kept parts of every meeting page stay; a new name does not."""
    before = directory_version()
    client.force_login(focal_point.user)  # saves last_login
    focal_point.timezone = "Europe/Paris"
    focal_point.save(update_fields=["timezone"])
    assert directory_version() == before
    focal_point.user.name = "Another Name"
    focal_point.user.save(update_fields=["name"])
    assert directory_version() == before + 1


def test_who_sent_a_substitute_reads_who_attends_in_their_place(client, focal_point, meeting):
    invitation = Invitation.objects.get(meeting=meeting, member=focal_point)
    rsvp.delegate(invitation=invitation, by=focal_point, email="deputy@example.org", name="Dana Deputy")
    client.force_login(focal_point.user)
    assert "Dana Deputy attends in your place." in page(client, meeting)
