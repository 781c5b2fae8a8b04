"""Dashboards of a plan and of an administration: the counts, the charts (inline SVG with a title,
a description and a data table), what a member may see, and a query budget that does not grow."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from coordination import charts
from coordination.models import Commitment, CommitmentPart, Completion, Status
from members.models import Administration
from tests.coordination.factories import make_commitment, make_many, make_plan
from tests.factories import AdministrationFactory

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def federal():
    return AdministrationFactory(acronym="ECO", level=Administration.Level.FEDERAL)


@pytest.fixture
def wallonia():
    return AdministrationFactory(
        acronym="SPW", level=Administration.Level.REGIONAL, entity=Administration.Entity.WALLOON
    )


@pytest.fixture
def plan(group, federal, wallonia):
    plan, edition = make_plan(group, slug="csr")
    today = timezone.localdate()
    late = make_commitment(
        edition, lead=federal, others=[wallonia], reference="1", due_date=today - timedelta(days=3)
    )
    CommitmentPart.objects.filter(commitment=late, administration=wallonia).update(
        progress=60, status=Status.DELAYED
    )
    Commitment.objects.filter(pk=late.pk).update(
        status=Status.DELAYED, progress=30, completion=Completion.LIMITED
    )
    done = make_commitment(edition, lead=federal, reference="2")
    CommitmentPart.objects.filter(commitment=done).update(progress=100, status=Status.DONE)
    Commitment.objects.filter(pk=done.pk).update(
        status=Status.DONE, progress=100, completion=Completion.COMPLETED
    )
    make_commitment(edition, lead=wallonia, reference="3")
    return plan


def _sign_in(client, member) -> None:
    member.user.language = "en"
    member.user.save(update_fields=["language"])
    client.force_login(member.user)


def _table(html: str, caption: str) -> dict[str, str]:
    """{row heading: first value} of the data table whose caption starts with `caption`."""
    table = html.split(f"{caption}: the data</caption>")[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">([^<]*)</th>\s*<td class="numeric">([^<]*)</td>', table)
    return dict(rows)


def test_plan_dashboard_counts_by_status_and_completion(client, chair, plan):
    _sign_in(client, chair)
    response = client.get(f"/commitments/plans/{plan.slug}/dashboard/")
    assert response.status_code == 200
    html = response.text
    by_status = _table(html, "Commitments by status")
    assert by_status == {"Planned": "1", "In progress": "0", "Done": "1", "Delayed": "1", "Dropped": "0"}
    by_completion = _table(html, "Commitments by completion level")
    assert by_completion["Completed"] == "1" and by_completion["Limited"] == "1"
    assert by_completion["Not started"] == "1"
    # Average progress of the commitments: (30 + 100 + 0) / 3.
    assert "<dd>43 %</dd>" in html
    by_owner = _table(html, "Average progress of each owner administration&#x27;s parts")
    assert by_owner == {"ECO": "50 %", "SPW": "30 %"}


def test_charts_are_accessible_svg_with_title_description_and_no_script(client, chair, plan):
    _sign_in(client, chair)
    html = client.get(f"/commitments/plans/{plan.slug}/dashboard/").text
    assert "<script" not in html.split("<main")[1]
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 3
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 - our own page: checks that the SVG is well-formed XML
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title.text and desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        # Every bar is labelled with text: colour is never the only cue.
        labels = [text.text for text in root.iter(f"{SVG}text")]
        assert len(labels) >= 2 and all(labels)
    assert "Delayed: 1" in svgs[0]  # the description says the numbers too


def test_administration_dashboard_counts_its_parts(client, chair, plan, wallonia):
    _sign_in(client, chair)
    response = client.get(f"/commitments/administrations/{wallonia.pk}/dashboard/")
    assert response.status_code == 200
    by_status = _table(response.text, "Parts by status")
    assert by_status["Delayed"] == "1" and by_status["Planned"] == "1"
    assert "<dd>30 %</dd>" in response.text  # (60 + 0) / 2
    assert "<dt>Overdue</dt><dd>1</dd>" in response.text


def test_dashboards_show_nothing_of_plans_the_member_cannot_see(client, outsider, plan, wallonia):
    _sign_in(client, outsider)
    assert client.get(f"/commitments/plans/{plan.slug}/dashboard/").status_code == 404
    response = client.get(f"/commitments/administrations/{wallonia.pk}/dashboard/")
    assert response.status_code == 200
    assert _table(response.text, "Parts by status")["Planned"] == "0"


def test_unknown_edition_is_not_found(client, chair, plan):
    _sign_in(client, chair)
    assert client.get(f"/commitments/plans/{plan.slug}/dashboard/?edition=abc").status_code == 404


@pytest.mark.parametrize("count", [10, 5000])
def test_dashboard_queries_do_not_grow(
    client, chair, group, federal, wallonia, django_assert_max_num_queries, count
):
    plan, edition = make_plan(group, slug="big")
    make_many(edition, count, [federal, wallonia], updates=0)
    _sign_in(client, chair)
    # Session, user, member, the plan, its editions, the counts, the parts by administration.
    with django_assert_max_num_queries(7):
        assert client.get(f"/commitments/plans/{plan.slug}/dashboard/").status_code == 200
    # Session, user, member, the administration, the counts, the parts by plan, the plans' titles.
    with django_assert_max_num_queries(7):
        response = client.get(f"/commitments/administrations/{wallonia.pk}/dashboard/")
    assert response.status_code == 200
    assert f"<dd>{count}</dd>" in response.text


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_bar_colour_contrasts_with_the_page_and_the_track_and_has_a_distinct_pattern():
    # WCAG 1.4.11: graphical objects at least 3:1 against what is next to them.
    for styles in (charts._STATUS_STYLES, charts._COMPLETION_STYLES):
        for colour, _pattern in styles.values():
            assert _contrast(colour, "#ffffff") >= 4.5, colour
            assert _contrast(colour, "#eef1f4") >= 3, colour
        # Not colour alone: no two categories of a chart share a pattern.
        patterns = [pattern for _colour, pattern in styles.values()]
        assert len(set(patterns)) == len(patterns)
