"""A plan's public page: only public commitments of public plans, no personal data, four
languages, the same filters and an export, linked from the owner group's public page."""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from coordination import services
from coordination.models import ActionPlan, Commitment
from members.models import Administration, Group, Membership
from tests.coordination.factories import make_commitment, make_many, make_plan
from tests.factories import AdministrationFactory, make_member

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def federal():
    return AdministrationFactory(acronym="ECO", level=Administration.Level.FEDERAL)


@pytest.fixture
def flanders():
    return AdministrationFactory(
        acronym="EWI", level=Administration.Level.REGIONAL, entity=Administration.Entity.FLEMISH
    )


@pytest.fixture
def public_plan(group, chair, federal, flanders):
    Group.objects.filter(pk=group.pk).update(is_public=True)
    plan, edition = make_plan(group, slug="csr", is_public=True)
    point = make_member(group, Role.MEMBER, administration=flanders)
    point.user.name = "Pieter Focal"
    point.user.save(update_fields=["name"])
    commitment = make_commitment(
        edition,
        lead=federal,
        others=[flanders],
        reference="2.1",
        title_en="Sustainable public procurement",
        title_nl="Duurzame overheidsopdrachten",
        title_fr="Marchés publics durables",
        title_de="Nachhaltige öffentliche Beschaffung",
        is_public=True,
        focal_points={flanders: [point]},
    )
    services.record_progress(
        part=commitment.parts.get(administration=flanders),
        by=point,
        text="Circular sent to every contracting authority by Pieter.",
        status="in_progress",
        progress=50,
    )
    make_commitment(edition, lead=federal, reference="2.2", title_en="Internal note", is_public=False)
    return plan


def test_anyone_reads_the_public_commitments_of_a_public_plan(client, public_plan):
    response = client.get("/plans/csr/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "Sustainable public procurement" in response.text
    assert "Internal note" not in response.text  # not marked public
    assert "25 %" in response.text  # the roll-up: (0 + 50) / 2


def test_public_page_has_no_personal_data(client, public_plan, chair):
    text = client.get("/plans/csr/").text
    assert "Pieter" not in text
    assert "@" not in text.split("<main")[1].split("</main>")[0]
    assert chair.user.name not in text
    assert "Circular sent" not in text  # update texts may name people: not shown
    exported = client.get("/plans/csr/?_export=csv").content.decode("utf-8-sig")
    assert "Pieter" not in exported and "@" not in exported


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("nl", "Duurzame overheidsopdrachten"),
        ("fr", "Marchés publics durables"),
        ("de", "Nachhaltige öffentliche Beschaffung"),
        ("en", "Sustainable public procurement"),
    ],
)
def test_public_page_in_four_languages(client, public_plan, language, title):
    client.cookies["django_language"] = language
    response = client.get("/plans/csr/")
    assert f'<html lang="{language}"' in response.text
    assert title in response.text


def test_a_plan_not_public_is_not_found(client, public_plan):
    ActionPlan.objects.filter(pk=public_plan.pk).update(is_public=False)
    assert client.get("/plans/csr/").status_code == 404
    assert client.get("/plans/csr/?_export=csv").status_code == 404


def test_filters_and_export(client, public_plan, flanders):
    response = client.get("/plans/csr/", {"administration": flanders.pk, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == "2.1"
    response = client.get("/plans/csr/", {"status": "done"})
    assert "0 commitments found" in response.text
    # The plan filter is not offered: the page is one plan.
    assert 'name="plan"' not in response.text


def test_owner_group_public_page_links_to_a_public_plan(client, public_plan, group):
    assert "/plans/csr/" in client.get(f"/groups/{group.slug}/").text
    ActionPlan.objects.filter(pk=public_plan.pk).update(is_public=False)
    assert "/plans/csr/" not in client.get(f"/groups/{group.slug}/").text


@pytest.mark.parametrize("count", [10, 5000])
def test_public_page_queries_do_not_grow(
    client, group, federal, flanders, django_assert_max_num_queries, count
):
    _plan, edition = make_plan(group, slug="big", is_public=True)
    make_many(edition, count, [federal, flanders], updates=0)
    Commitment.objects.update(is_public=True, due_date=timezone.localdate())
    # The plan, the filter's choices (editions, chapters, administrations), the count, the page's
    # rows and their parts: 7 whatever the number of commitments.
    with django_assert_max_num_queries(7):
        response = client.get("/plans/big/", {"level": "regional"})
    assert f"{count} commitments found" in response.text


odd_filters = hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = [
    "q",
    "edition",
    "chapter",
    "administration",
    "level",
    "status",
    "due_after",
    "overdue",
    "sort",
    "page",
]
ODD = st.one_of(
    st.sampled_from(["", "-1", "9" * 30, "0001-01-01", "9999-12-31", "\x00", "x" * 500, "xlsx"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=20),
)


@odd_filters
@given(query=st.dictionaries(st.sampled_from([*KEYS, "_export"]), ODD, max_size=4))
def test_odd_filters_on_the_public_page_never_give_a_server_error(client, public_plan, query):
    response = client.get("/plans/csr/?" + urlencode(query))
    assert response.status_code in (200, 400)
