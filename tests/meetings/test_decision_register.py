"""The decisions register: who sees which decisions, the filters and the accent-blind search, the
links to meetings and minutes items, the CSV and XLSX exports read back by the csv module and
openpyxl, odd query strings, and a query budget that does not grow with the number of minutes."""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from meetings.models import Decision, Minutes
from meetings.tables import minutes_item_url
from tests.meetings.factories import speaks
from tests.meetings.minutes_factories import held_meeting, make_minutes

pytestmark = pytest.mark.django_db
URL = "/decisions/"
Status = Minutes.Status


def _sign_in(client, member, language: str = "en") -> None:
    speaks(member, language)
    client.force_login(member.user)


def _rows(response) -> str:
    return response.text.split("<tbody")[1].split("</tbody>")[0]


def _options(response, name: str) -> set[str]:
    """The values offered by the filter `name` (its empty choice left out)."""
    select = response.text.split(f'name="{name}"')[1].split("</select>")[0]
    return {part.split('"')[0] for part in select.split('<option value="')[1:]} - {""}


def _numbers(response) -> set[str]:
    """The decision numbers shown on the page."""
    return {d.number for d in Decision.objects.all() if f">{d.number}<" in _rows(response)}


def _minutes(group, chair, status=Status.PUBLISHED, days_ago=3, **fields) -> Minutes:
    meeting = held_meeting(group, chair, days_ago=days_ago)
    return make_minutes(meeting, status=status, chair=chair, items=2, **fields)


def _numbers_of(*minutes: Minutes) -> set[str]:
    return set(Decision.objects.filter(minutes__in=minutes).values_list("number", flat=True))


@pytest.fixture
def register(group, chair):
    """Minutes of the group at each step, one decision per item (two items each)."""
    return {status: _minutes(group, chair, status, days_ago=3 + n) for n, status in enumerate(Status.values)}


def test_the_register_answers_at_its_url_name():
    assert reverse("decisions:register") == URL


def test_anonymous_visitor_is_sent_to_sign_in(client, register):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"] or "login" in response["Location"]


def test_member_of_another_group_sees_nothing(client, outsider, register, group):
    _sign_in(client, outsider)
    response = client.get(URL)
    assert response.status_code == 200
    assert "0 decisions found" in response.text
    assert not _numbers(response)
    # The filters do not reveal the group or its meetings either.
    assert str(group.pk) not in _options(response, "group")
    assert not _options(response, "meeting")
    assert not _options(response, "year")


def test_observer_sees_published_decisions_only(client, observer, register):
    _sign_in(client, observer)
    response = client.get(URL)
    assert _numbers(response) == _numbers_of(register[Status.PUBLISHED])
    assert "2 decisions found" in response.text


def test_chair_sees_the_decisions_of_every_step(client, chair, register):
    _sign_in(client, chair)
    assert _numbers(client.get(URL)) == _numbers_of(*register.values())


def test_invitee_from_another_group_sees_the_published_decisions_of_that_meeting(client, outsider, register):
    published = register[Status.PUBLISHED]
    published.meeting.invitations.create(member=outsider, language="en")
    draft = register[Status.DRAFT]
    draft.meeting.invitations.create(member=outsider, language="en")
    _sign_in(client, outsider)
    assert _numbers(client.get(URL)) == _numbers_of(published)


def test_rows_link_to_the_meeting_and_the_item_of_the_minutes(client, focal_point, register):
    minutes = register[Status.PUBLISHED]
    decision = minutes.decisions.select_related("item").first()
    _sign_in(client, focal_point)
    rows = _rows(client.get(URL))
    assert f'href="{reverse("meetings:detail", args=[minutes.meeting.pk])}"' in rows
    assert f'href="{minutes_item_url(minutes.meeting.pk, decision.item.pk)}"' in rows
    assert minutes_item_url(7, 9).endswith("/meetings/7/minutes/#item-9")


def test_text_in_another_language_is_marked_with_its_language(client, observer, register):
    _sign_in(client, observer, "de")  # the decisions are written in English and French only
    rows = _rows(client.get(URL))
    assert '<span lang="en">The group approves proposal 1.1.</span>' in rows


def test_text_in_the_readers_language_carries_no_lang(client, focal_point, register):
    _sign_in(client, focal_point, "fr")
    rows = _rows(client.get(URL))
    assert "Le groupe approuve la proposition 1.1." in rows
    assert '<span lang="fr">' not in rows


def test_group_filter_offers_only_the_readers_groups(client, chair, group, other_group, register):
    other = _minutes(other_group, None)
    _sign_in(client, chair)
    assert _options(client.get(URL), "group") == {str(group.pk)}
    assert _numbers(client.get(URL, {"group": group.pk})) == _numbers_of(*register.values())
    # A group the reader is not in is not a valid choice: an error, no rows.
    response = client.get(URL, {"group": other_group.pk})
    assert response.status_code == 200
    assert 'id="filter-errors"' in response.text
    assert "<tbody" not in response.text
    assert other.decisions.exists()


def test_year_and_meeting_filters(client, chair, group):
    last_year = _minutes(group, chair, days_ago=400)
    this_year = _minutes(group, chair, days_ago=2)
    _sign_in(client, chair)
    year = this_year.meeting.starts_at.year
    old_year = last_year.meeting.starts_at.year
    assert year != old_year  # 400 days apart
    assert _options(client.get(URL), "year") == {str(year), str(old_year)}
    assert _numbers(client.get(URL, {"year": year})) == _numbers_of(this_year)
    assert _numbers(client.get(URL, {"year": old_year})) == _numbers_of(last_year)
    assert _numbers(client.get(URL, {"meeting": last_year.meeting.pk})) == _numbers_of(last_year)
    both = {"meeting": this_year.meeting.pk, "year": year}
    assert _numbers(client.get(URL, both)) == _numbers_of(this_year)
    assert not _numbers(client.get(URL, {"meeting": this_year.meeting.pk, "year": old_year}))
    response = client.get(URL, {"year": 1999})
    assert 'id="filter-errors"' in response.text  # not a year with decisions


def test_meeting_filter_offers_only_visible_meetings(client, observer, register):
    _sign_in(client, observer)
    assert _options(client.get(URL), "meeting") == {str(register[Status.PUBLISHED].meeting.pk)}
    response = client.get(URL, {"meeting": register[Status.DRAFT].meeting.pk})
    assert 'id="filter-errors"' in response.text
    assert "<tbody" not in response.text


@pytest.fixture
def french_decision(group, chair):
    minutes = _minutes(group, chair)
    decision = minutes.decisions.first()
    decision.text_en = ""
    decision.text_fr = "Le groupe approuve la création d'un réseau de Réunions régionales."
    decision.number = "2026/77-1"
    decision.save()
    return decision


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("reseau", True),  # without its accent
        ("réseau", True),
        ("REUNIONS regionales", True),  # capitals, every word, accents left out
        ("creation", True),
        ("Création", True),
        ("2026/77", True),  # the number
        ("reseau absent", False),  # every word must match
        ("d’un", True),  # a typographic apostrophe finds a straight one
        ("%", False),  # LIKE's wildcards are plain signs
        ("_", False),
        ("network", False),
    ],
)
def test_text_search_finds_a_french_decision_without_its_accents(
    client, focal_point, french_decision, query, found
):
    _sign_in(client, focal_point)
    response = client.get(URL, {"q": query})
    assert ("2026/77-1" in _numbers(response)) is found


def test_search_with_an_accent_finds_a_text_written_without(client, focal_point, group, chair):
    minutes = _minutes(group, chair)
    minutes.decisions.filter(pk=minutes.decisions.first().pk).update(
        text_fr="Elle approuve le plan de cooperation.", number="X-1"
    )
    _sign_in(client, focal_point)
    assert "X-1" in _numbers(client.get(URL, {"q": "coopération"}))


def test_csv_export_has_the_filtered_rows(client, focal_point, register, group):
    published = register[Status.PUBLISHED]
    _sign_in(client, focal_point)
    response = client.get(URL, {"meeting": published.meeting.pk, "_export": "csv", "sort": "number"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "concerto-decisions-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Number"] for row in rows] == sorted(_numbers_of(published))
    first = rows[0]
    assert first["Decision"] == "The group approves proposal 1.1."
    assert first["Meeting"] == published.meeting.title_en
    assert first["Item"] == published.items.order_by("position").first().title_en
    assert first["Group"] == group.name_en
    assert first["Date"] == published.meeting.starts_at.date().isoformat()


def test_xlsx_export_reads_back_with_openpyxl_in_the_readers_language(client, focal_point, register):
    _sign_in(client, focal_point, "fr")
    response = client.get(URL, {"_export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header, rows = values[0], values[1:]
    assert len(header) == 6
    assert len(rows) == 2  # a member reads the published minutes only
    assert {row[1] for row in rows} == {
        "Le groupe approuve la proposition 1.1.",
        "Le groupe approuve la proposition 2.1.",
    }


def test_export_cannot_carry_a_formula(client, chair, group):
    minutes = _minutes(group, chair)
    minutes.decisions.filter(pk=minutes.decisions.first().pk).update(
        text_en='=HYPERLINK("http://x")', number="=1+1"
    )
    _sign_in(client, chair)
    text = client.get(URL, {"_export": "csv"}).content.decode("utf-8-sig")
    assert "'=1+1" in text and "'=HYPERLINK" in text


odd_filters = hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FILTER_KEYS = ["q", "group", "year", "meeting", "sort", "page", "_export"]
ODD = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "9" * 30,
            "2026",
            "1e3",
            "\x00",
            "a\x00b",
            "%",
            "_",
            "x" * 500,
            "csv",
            "xlsx",
            "-date",
        ]
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20),
)


@odd_filters
@given(query=st.dictionaries(st.sampled_from(FILTER_KEYS), ODD, max_size=5))
def test_odd_query_strings_never_give_a_server_error(client, chair, register, query):
    _sign_in(client, chair)
    response = client.get(f"{URL}?{urlencode(query)}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("count", [3, 40])
def test_register_queries_do_not_grow(client, chair, group, django_assert_max_num_queries, count):
    for n in range(count):
        _minutes(group, chair, days_ago=2 + n)
    _sign_in(client, chair)
    # Session, user, member, the member's roles, the filter's choices (years, groups, meetings),
    # the count and the page's rows: the same whatever the number of minutes.
    with django_assert_max_num_queries(9):
        response = client.get(URL, {"q": "approves", "sort": "-date"})
    assert response.status_code == 200
    assert f"{count * 2} decisions found" in response.text


@pytest.mark.parametrize("count", [3, 40])
def test_register_export_queries_do_not_grow(client, chair, group, django_assert_max_num_queries, count):
    for n in range(count):
        _minutes(group, chair, days_ago=2 + n)
    _sign_in(client, chair)
    # Session, user, member, the member's roles, the filter's year choices, the rows.
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"_export": "csv"})
    assert len(response.content.decode("utf-8-sig").splitlines()) == count * 2 + 1


def _shown_numbers_in_order(response) -> list[str]:
    rows = _rows(response)
    numbers = Decision.objects.values_list("number", flat=True)
    return sorted((n for n in numbers if f">{n}<" in rows), key=lambda n: rows.index(f">{n}<"))


@pytest.mark.parametrize("sort", ["date", "-date", "meeting", "-meeting", "group", "-group", None])
def test_inside_a_meeting_decisions_keep_the_order_of_the_minutes(client, chair, group, sort):
    older = _minutes(group, chair, days_ago=10)
    newer = _minutes(group, chair, days_ago=2)
    newer.meeting.title_en = "Another plenary"
    newer.meeting.save(update_fields=["title_en"])
    _sign_in(client, chair)
    shown = _shown_numbers_in_order(client.get(URL, {"sort": sort} if sort else {}))
    in_minutes = {
        minutes.pk: list(
            minutes.decisions.order_by("item__position", "position").values_list("number", flat=True)
        )
        for minutes in (older, newer)
    }
    newest_first = sort in (None, "-date", "group", "-group", "meeting")  # "Another" < "Plenary"
    expected = in_minutes[newer.pk] + in_minutes[older.pk]
    if not newest_first:
        expected = in_minutes[older.pk] + in_minutes[newer.pk]
    assert shown == expected
