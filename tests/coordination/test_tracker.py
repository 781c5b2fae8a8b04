"""The commitment tracker: what a member sees, the filters and search, sorting, the CSV and XLSX
exports read back by the csv module and openpyxl, odd filters, and a query budget that does
not grow with the number of commitments."""

import csv
import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from coordination.models import Commitment, CommitmentPart, Status
from members.models import Administration, Membership
from tests.coordination.factories import make_commitment, make_many, make_plan
from tests.factories import AdministrationFactory

pytestmark = pytest.mark.django_db
TRACKER = "/commitments/tracker/"


@pytest.fixture
def federal():
    return AdministrationFactory(acronym="ECO", level=Administration.Level.FEDERAL)


@pytest.fixture
def flanders():
    return AdministrationFactory(
        acronym="EWI", level=Administration.Level.REGIONAL, entity=Administration.Entity.FLEMISH
    )


@pytest.fixture
def plan_data(group, other_group, federal, flanders):
    _plan, edition = make_plan(group, slug="csr")
    today = timezone.localdate()
    shared = make_commitment(
        edition,
        lead=federal,
        others=[flanders],
        reference="2.1",
        title_en="Sustainable public procurement",
        title_fr="Marchés publics durables",
        title_nl="Duurzame overheidsopdrachten",
        due_date=today - timedelta(days=10),
        status=Status.IN_PROGRESS,
        progress=40,
    )
    federal_only = make_commitment(
        edition,
        lead=federal,
        reference="3.1",
        title_en="Due diligence helpdesk",
        due_date=today + timedelta(days=100),
        status=Status.DONE,
        progress=100,
    )
    _other_plan, other_edition = make_plan(other_group, slug="secret-plan")
    hidden = make_commitment(other_edition, lead=federal, reference="9.9", title_en="Hidden commitment")
    return {"shared": shared, "federal_only": federal_only, "hidden": hidden}


def _sign_in(client, member, language: str = "en") -> None:
    """Sign in `member`, reading pages in `language` (a member's pages follow their own language)."""
    member.user.language = language
    member.user.save(update_fields=["language"])
    client.force_login(member.user)


def _header(text: str, language: str) -> str:
    with translation.override(language):
        return gettext(text)


def _rows(response) -> str:
    return response.text.split("<tbody")[1].split("</tbody>")[0]


def test_member_sees_their_groups_commitments_and_not_others(client, chair, plan_data):
    _sign_in(client, chair)
    response = client.get(TRACKER)
    assert response.status_code == 200
    assert "Sustainable public procurement" in response.text
    assert "Due diligence helpdesk" in response.text
    assert "Hidden commitment" not in response.text
    assert "secret-plan" not in response.text  # not even as a choice of the plan filter


def test_outsider_sees_none_of_the_groups_commitments(client, outsider, plan_data):
    _sign_in(client, outsider)
    response = client.get(TRACKER)
    assert "Sustainable public procurement" not in response.text
    assert "Hidden commitment" in response.text


def test_anonymous_visitor_is_sent_to_sign_in(client, plan_data):
    response = client.get(TRACKER)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"administration": "flanders"}, {"2.1"}),  # owner of a part, not the lead
        ({"level": "regional"}, {"2.1"}),
        ({"level": "federal"}, {"2.1", "3.1"}),
        ({"status": "done"}, {"3.1"}),
        ({"overdue": "on"}, {"2.1"}),
        ({"q": "marchés"}, {"2.1"}),  # the French title, on an English page
        ({"q": "3.1"}, {"3.1"}),
        ({"q": "duurzame overheids"}, {"2.1"}),
        ({"due_after": "DAY+1"}, {"3.1"}),
        ({"due_before": "DAY+1"}, {"2.1"}),
    ],
)
def test_filters_and_search_choose_the_rows(client, chair, plan_data, flanders, query, expected):
    today = timezone.localdate()
    query = dict(query)
    if query.get("administration") == "flanders":
        query["administration"] = flanders.pk
    for key in ("due_after", "due_before"):
        if query.get(key) == "DAY+1":
            query[key] = (today + timedelta(days=1)).isoformat()
    _sign_in(client, chair)
    response = client.get(TRACKER, query)
    assert response.status_code == 200
    rows = _rows(response)
    shown = {reference for reference in ("2.1", "3.1") if f">{reference}<" in rows}
    assert shown == expected


@pytest.mark.parametrize("query", ["marches publics", "MARCHES durables", "Marchés"])
def test_a_french_title_is_found_without_its_accent(client, chair, plan_data, query):
    """The same accent-blind match as the decisions register (meetings.search.contains_all_words),
    on SQLite and on PostgreSQL."""
    _sign_in(client, chair)
    rows = _rows(client.get(TRACKER, {"q": query}))
    assert ">2.1<" in rows and ">3.1<" not in rows


def test_a_title_written_without_accents_is_found_with_them(client, chair, group, federal):
    _plan, edition = make_plan(group, slug="plain")
    make_commitment(edition, lead=federal, reference="7.2", title_en="", title_fr="Cooperation regionale")
    _sign_in(client, chair)
    assert ">7.2<" in _rows(client.get(TRACKER, {"q": "coopération régionale"}))


def test_plan_edition_and_chapter_filters(client, chair, plan_data):
    shared = plan_data["shared"]
    _sign_in(client, chair)
    response = client.get(TRACKER, {"plan": shared.edition.plan_id, "edition": shared.edition_id})
    assert ">2.1<" in _rows(response) and ">3.1<" in _rows(response)
    # A plan the member may not see is not a valid choice: the filter says so, nothing is listed.
    hidden = plan_data["hidden"]
    response = client.get(TRACKER, {"plan": hidden.edition.plan_id})
    assert response.status_code == 200
    assert "Hidden commitment" not in response.text and 'id="filter-errors"' in response.text


def test_sorting_by_progress(client, chair, plan_data):
    _sign_in(client, chair)
    ascending = _rows(client.get(TRACKER, {"sort": "progress"}))
    descending = _rows(client.get(TRACKER, {"sort": "-progress"}))
    assert ascending.index(">2.1<") < ascending.index(">3.1<")
    assert descending.index(">3.1<") < descending.index(">2.1<")


def test_sorting_by_title_in_the_readers_language(client, chair, plan_data):
    _sign_in(client, chair, "fr")
    rows = _rows(client.get(TRACKER, {"sort": "title"}))
    # "Marchés publics durables" (its French title) before "Promouvoir…" (3.1 has a French title
    # from the factory); in English, "Due diligence…" would come before "Sustainable…".
    assert rows.index(">2.1<") < rows.index(">3.1<")
    _sign_in(client, chair, "en")
    rows = _rows(client.get(TRACKER, {"sort": "title"}))
    assert rows.index(">3.1<") < rows.index(">2.1<")


def test_csv_export_has_the_filtered_rows(client, chair, plan_data):
    _sign_in(client, chair)
    response = client.get(TRACKER, {"level": "regional", "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["Reference"] == "2.1"
    assert row["Commitment"] == "Sustainable public procurement"
    assert row["Parts"] == "ECO, EWI"
    assert row["Status"] == "In progress"
    assert row["Progress (%)"] == "40"
    assert row["Due"] == plan_data["shared"].due_date.isoformat()


def test_xlsx_export_reads_back_with_openpyxl_in_the_readers_language(client, chair, plan_data):
    _sign_in(client, chair, "fr")
    response = client.get(TRACKER, {"_export": "xlsx", "sort": "reference"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header, rows = values[0], values[1:]
    assert len(header) == 11  # the hidden start date is exported too
    assert [row[0] for row in rows] == ["2.1", "3.1"]
    # Titles in the reader's language, where the commitment has one.
    assert rows[0][1] == "Marchés publics durables"
    assert rows[0][header.index(_header("Due", "fr"))] == plan_data["shared"].due_date.isoformat()


def test_export_cannot_carry_a_formula(client, chair, group, federal):
    _plan, edition = make_plan(group, slug="formula")
    make_commitment(edition, lead=federal, reference="=1+1", title_en='=HYPERLINK("http://x")')
    _sign_in(client, chair)
    text = client.get(TRACKER, {"_export": "csv"}).content.decode("utf-8-sig")
    assert "'=1+1" in text and "'=HYPERLINK" in text


odd_filters = hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FILTER_KEYS = [
    "q",
    "plan",
    "edition",
    "chapter",
    "administration",
    "level",
    "status",
    "completion",
    "due_after",
    "due_before",
    "overdue",
    "sort",
    "page",
    "_export",
]
ODD = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "9" * 30,
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "\x00",
            "a\x00b",
            "x" * 500,
            "csv",
        ]
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20),
)


@odd_filters
@given(query=st.dictionaries(st.sampled_from(FILTER_KEYS), ODD, max_size=5))
def test_odd_filters_never_give_a_server_error(client, chair, plan_data, query):
    _sign_in(client, chair)
    response = client.get(f"{TRACKER}?{urlencode(query)}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("count", [10, 5000])
def test_tracker_queries_do_not_grow(
    client, chair, group, federal, flanders, django_assert_max_num_queries, count
):
    _plan, edition = make_plan(group, slug="big")
    make_many(edition, count, [federal, flanders], updates=0)
    _sign_in(client, chair)
    # Session, user, member, the filter's choices (plans, editions, chapters, administrations),
    # the count, the page's rows and their parts: 10 whatever the number of commitments.
    with django_assert_max_num_queries(10):
        response = client.get(TRACKER, {"level": "regional", "sort": "-due_date", "q": "Commitment"})
    assert response.status_code == 200
    assert f"{count} commitments found" in response.text


def test_tracker_export_queries_do_not_grow(
    client, chair, group, federal, flanders, django_assert_max_num_queries
):
    _plan, edition = make_plan(group, slug="big")
    make_many(edition, 300, [federal, flanders], updates=0)
    _sign_in(client, chair)
    with django_assert_max_num_queries(5):  # session, user, member, the rows, their parts
        response = client.get(TRACKER, {"_export": "csv"})
    assert len(response.content.decode("utf-8-sig").splitlines()) == 301


def test_observer_sees_the_tracker(client, observer, plan_data):
    assert Membership.objects.filter(member=observer).exists()
    _sign_in(client, observer)
    assert "Sustainable public procurement" in client.get(TRACKER).text


def test_parts_are_not_counted_twice(client, chair, plan_data, federal, flanders):
    # A commitment with two matching parts stays one row.
    assert CommitmentPart.objects.filter(commitment=plan_data["shared"]).count() == 2
    _sign_in(client, chair)
    response = client.get(TRACKER, {"level": "federal"})
    assert "2 commitments found" in response.text
    assert Commitment.objects.count() == 3
