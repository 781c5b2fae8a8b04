import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from members import services
from members.models import Administration, Group, Member, Membership, User, new_feed_token
from tests.factories import AdministrationFactory, GroupFactory, MembershipFactory, make_member

pytestmark = pytest.mark.django_db

Role = Membership.Role
URL = reverse("members:directory")


def shown(response) -> set[str]:
    """Names of the members on the page's table."""
    return {row.record.user.name for row in response.context["table"].paginated_rows}


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def bulk_members(count: int, *, group, administrations, prefix: str = "Bulk") -> list[Member]:
    """`count` members spread over the administrations, each a member of the group (fast)."""
    users = User.objects.bulk_create(
        User(email=f"{prefix.lower()}{i}@example.org", name=f"{prefix} Person {i:04d}") for i in range(count)
    )
    members = Member.objects.bulk_create(
        Member(
            user=user,
            administration=administrations[i % len(administrations)],
            job_title="Analyst",
            phone="+32 2 000 00 00",
            feed_token=new_feed_token(),
        )
        for i, user in enumerate(users)
    )
    Membership.objects.bulk_create(Membership(member=m, group=group, role=Role.MEMBER) for m in members)
    return members


@pytest.fixture
def people(group, other_group):
    """Members at every level, with roles in two groups (both with a published page, so anyone may know of them)."""
    Group.objects.filter(pk__in=[group.pk, other_group.pk]).update(is_public=True)
    fps = AdministrationFactory(
        acronym="FPS-E", name_en="FPS Economy", name_fr="SPF Économie", name_nl="FOD Economie"
    )
    flemish = AdministrationFactory(
        acronym="DKBUZA",
        name_nl="Departement Kanselarij en Buitenlandse Zaken",
        name_en="Department of Chancellery and Foreign Affairs",
        name_fr="",
        level=Administration.Level.REGIONAL,
        entity=Administration.Entity.FLEMISH,
    )
    ngo = AdministrationFactory(
        acronym="NGO-X", name_en="Fair Trade NGO", level=Administration.Level.STAKEHOLDER, entity=""
    )
    amelie = make_member(group, Role.CHAIR, administration=fps, job_title="Head of unit")
    amelie.user.name = "Amélie Dupré"
    amelie.user.save()
    MembershipFactory(member=amelie, group=other_group, role=Role.MEMBER)
    jan = make_member(group, Role.MEMBER, administration=flemish, job_title="Beleidsmedewerker")
    jan.user.name = "Jan Peeters"
    jan.user.save()
    MembershipFactory(member=jan, group=other_group, role=Role.CHAIR)
    zoe = make_member(other_group, Role.OBSERVER, administration=ngo, job_title="Campaigner")
    zoe.user.name = "Zoë Leroy"
    zoe.user.save()
    return {"amelie": amelie, "jan": jan, "zoe": zoe, "fps": fps, "flemish": flemish, "ngo": ngo}


@pytest.fixture
def viewer(client, people):
    """A signed-in member with no group of their own, so the tests only see `people`."""
    member = make_member(administration=people["ngo"])
    member.user.name = "Viewer Self"
    member.user.save()
    client.force_login(member.user)
    return member


# --- Who may see it ---------------------------------------------------------------------


def test_anonymous_visitor_cannot_see_directory_and_is_sent_to_sign_in(client, people):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_anonymous_visitor_cannot_download_the_directory(client, people):
    response = client.get(URL, {"_export": "csv"})
    assert response.status_code == 302
    assert "text/csv" not in response.get("Content-Type", "")


def test_deactivated_member_cannot_see_directory(client, focal_point):
    focal_point.deactivated_at = timezone.now()
    focal_point.save()
    client.force_login(focal_point.user)
    assert client.get(URL).status_code == 403


def test_member_can_see_names_administrations_and_current_roles(client, viewer, people, group):
    response = client.get(URL)
    assert response.status_code == 200
    assert shown(response) == {"Amélie Dupré", "Jan Peeters", "Zoë Leroy", "Viewer Self"}
    html = response.text
    assert f'<a href="mailto:{people["amelie"].user.email}">' in html
    detail = reverse("members:administration-detail", args=[people["fps"].pk])
    assert f'<a href="{detail}"><abbr title="FPS Economy">FPS-E</abbr></a>' in html
    assert f"{group.name}: Chair" in html
    assert "4 members found." in html


def test_ended_memberships_are_not_shown_as_current_roles(client, viewer, people, group):
    membership = people["jan"].memberships.get(group=group)
    services.end_membership(membership=membership, by=people["amelie"], on=timezone.localdate())
    response = client.get(URL)
    jan = next(r.record for r in response.context["table"].paginated_rows if r.record == people["jan"])
    assert [m.group for m in jan.current_memberships] == [
        people["jan"].memberships.get(role=Role.CHAIR).group
    ]
    assert f"{group.name}: Member" not in response.text


def test_deactivated_and_anonymised_members_are_not_in_the_directory(client, viewer, people):
    services.deactivate_member(member=people["jan"])
    services.deactivate_member(member=people["zoe"])
    services.anonymise_member(member=people["zoe"])
    left_unflagged = make_member()
    left_unflagged.deactivated_at = timezone.now()
    left_unflagged.save()

    response = client.get(URL)

    assert shown(response) == {"Amélie Dupré", "Viewer Self"}
    assert "Jan Peeters" not in response.text
    assert "Former member" not in response.text
    csv_rows = read_csv(client.get(URL, {"_export": "csv"}))
    assert {row[0] for row in csv_rows[1:]} == {"Amélie Dupré", "Viewer Self"}


def test_page_is_in_the_members_language(client, people):
    reader = make_member(language="fr")
    client.force_login(reader.user)
    response = client.get(URL)
    assert '<html lang="fr">' in response.text


# --- Bounced addresses --------------------------------------------------------------------


def test_bounced_address_is_flagged_with_a_text_badge(client, viewer, people):
    people["jan"].email_bounced_at = timezone.now()
    people["jan"].save()
    response = client.get(URL)
    assert response.text.count('class="badge badge-warning"') == 1
    assert "Address bounced</span>" in response.text


def test_bounced_address_is_marked_in_the_export(client, viewer, people):
    bounced_at = timezone.now() - timedelta(days=3)
    people["jan"].email_bounced_at = bounced_at
    people["jan"].save()
    rows = read_csv(client.get(URL, {"_export": "csv"}))
    column = rows[0].index("Address bounced on")
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Jan Peeters"][column] == timezone.localtime(bounced_at).date().isoformat()
    assert by_name["Amélie Dupré"][column] == ""


# --- Filters and search ---------------------------------------------------------------------


def test_group_filter_shows_current_members_of_the_group(client, viewer, people, group):
    assert shown(client.get(URL, {"group": group.pk})) == {"Amélie Dupré", "Jan Peeters"}


def test_role_filter_shows_members_with_that_role_in_any_group(client, viewer, people):
    assert shown(client.get(URL, {"role": Role.CHAIR})) == {"Amélie Dupré", "Jan Peeters"}
    assert shown(client.get(URL, {"role": Role.OBSERVER})) == {"Zoë Leroy"}


def test_role_with_group_means_the_role_in_that_group(client, viewer, people, group, other_group):
    # Jan chairs other_group and is a plain member of group: he is not a chair *of group*.
    assert shown(client.get(URL, {"group": group.pk, "role": Role.CHAIR})) == {"Amélie Dupré"}
    assert shown(client.get(URL, {"group": other_group.pk, "role": Role.CHAIR})) == {"Jan Peeters"}
    response = client.get(URL, {"group": other_group.pk, "role": Role.SECRETARIAT})
    assert shown(response) == set()
    assert "No member matches these criteria." in response.text


def test_administration_level_and_entity_filters(client, viewer, people):
    assert shown(client.get(URL, {"administration": people["fps"].pk})) == {"Amélie Dupré"}
    assert shown(client.get(URL, {"level": "regional"})) == {"Jan Peeters"}
    assert shown(client.get(URL, {"level": "stakeholder"})) == {"Zoë Leroy", "Viewer Self"}
    assert shown(client.get(URL, {"entity": "flemish"})) == {"Jan Peeters"}
    assert shown(client.get(URL, {"entity": "federal"})) == {"Amélie Dupré"}


def test_filters_combine(client, viewer, people, other_group):
    response = client.get(URL, {"group": other_group.pk, "level": "stakeholder"})
    assert shown(response) == {"Zoë Leroy"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amélie", {"Amélie Dupré"}),  # name, with accents, any case
        ("PEETERS", {"Jan Peeters"}),
        ("beleids", {"Jan Peeters"}),  # job title
        ("dkbuza", {"Jan Peeters"}),  # administration acronym
        ("kanselarij", {"Jan Peeters"}),  # administration name in Dutch
        ("spf Économie", {"Amélie Dupré"}),  # administration name in French
        ("fair trade", {"Zoë Leroy", "Viewer Self"}),  # every word must match
        ("fair economy", set()),
        ("nobody-like-this", set()),
    ],
)
def test_search_box_finds_members(client, viewer, people, query, expected):
    assert shown(client.get(URL, {"q": query})) == expected


def test_search_by_email_address(client, viewer, people):
    email = people["zoe"].user.email
    assert shown(client.get(URL, {"q": email})) == {"Zoë Leroy"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"administration": "not-a-number"}, "administration"),
        ({"administration": "999999"}, "administration"),
        ({"group": "999999"}, "group"),
        ({"role": "emperor"}, "role"),
        ({"level": "galactic"}, "level"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_invalid_filter_shows_an_error_not_a_list(client, viewer, people, params, field):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert "Some filters are not valid" in response.text
    assert response.context["filterset"].form.errors[field]
    # The error is tied to its field, and no list the person did not ask for is shown.
    assert f'id="id_{field}_error"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert response.context["table"] is None
    assert "<table" not in response.text


def test_invalid_filter_does_not_download_everything(client, viewer, people):
    response = client.get(URL, {"role": "emperor", "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_unknown_export_format_shows_the_page(client, viewer, people):
    response = client.get(URL, {"_export": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# --- Sorting and pagination -------------------------------------------------------------------


def test_directory_is_sorted_by_name_by_default_and_says_so(client, viewer, people):
    response = client.get(URL)
    names = [row.record.user.name for row in response.context["table"].paginated_rows]
    assert names == ["Amélie Dupré", "Jan Peeters", "Viewer Self", "Zoë Leroy"]
    assert 'aria-sort="ascending"' in response.text


def test_member_can_sort_by_a_column_either_way(client, viewer, people):
    response = client.get(URL, {"sort": "-name"})
    names = [row.record.user.name for row in response.context["table"].paginated_rows]
    assert names == ["Zoë Leroy", "Viewer Self", "Jan Peeters", "Amélie Dupré"]
    assert 'aria-sort="descending"' in response.text

    response = client.get(URL, {"sort": "administration"})
    acronyms = [row.record.administration.acronym for row in response.context["table"].paginated_rows]
    assert acronyms == sorted(acronyms)
    assert acronyms[0] == "DKBUZA"


def test_sort_links_keep_the_filters_and_say_what_they_do(client, viewer, people, group):
    response = client.get(URL, {"group": group.pk})
    assert f'href="?group={group.pk}&amp;sort=-name">Name' in response.text
    assert "(sort in descending order)" in response.text
    assert "(sort in ascending order)" in response.text


def test_unknown_sort_column_is_ignored(client, viewer, people):
    response = client.get(URL, {"sort": "password"})
    assert response.status_code == 200
    assert len(shown(response)) == 4


def test_directory_is_paginated_with_labelled_page_links(client, viewer, people, group):
    administration = people["fps"]
    bulk_members(60, group=group, administrations=[administration])  # 64 members in all
    first = client.get(URL)
    assert len(shown(first)) == 50
    assert "64 members found." in first.text
    assert '<nav class="pagination" aria-label="Pages">' in first.text
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in first.text

    second = client.get(URL, {"page": 2})
    assert len(shown(second)) == 14
    assert shown(first).isdisjoint(shown(second))


@pytest.mark.parametrize(("page", "expected_page"), [("abc", 1), ("-3", 1), ("99", 2)])
def test_a_page_number_out_of_range_shows_the_nearest_page(
    client, viewer, people, group, page, expected_page
):
    bulk_members(60, group=group, administrations=[people["fps"]])
    response = client.get(URL, {"page": page})
    assert response.status_code == 200
    assert response.context["table"].page.number == expected_page


def test_page_size_cannot_be_changed_from_the_address(client, viewer, people, group):
    bulk_members(60, group=group, administrations=[people["fps"]])
    for per_page in ("1000", "0", "-1"):
        response = client.get(URL, {"per_page": per_page})
        assert response.status_code == 200
        assert len(shown(response)) == 50


# --- Exports ----------------------------------------------------------------------------------


def test_member_can_download_the_directory_as_csv(client, viewer, people, group):
    response = client.get(URL, {"_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="concerto-directory-{today}.csv"'
    assert response.content.startswith("\ufeff".encode())  # so that Excel reads UTF-8

    rows = read_csv(response)
    assert rows[0] == [
        "Name",
        "Email address",
        "Address bounced on",
        "Administration",
        "Administration (full name)",
        "Level",
        "Job title",
        "Phone",
        "Groups and roles",
    ]
    assert len(rows) == 5
    amelie = next(row for row in rows if row[0] == "Amélie Dupré")
    assert amelie[1] == people["amelie"].user.email
    assert amelie[3:7] == ["FPS-E", "FPS Economy", "Federal", "Head of unit"]
    assert group.name + ": Chair" in amelie[8]
    assert "<" not in response.content.decode()  # no HTML from the page cells


def test_csv_export_keeps_accents_and_respects_the_filter_and_sort(client, viewer, people):
    rows = read_csv(client.get(URL, {"_export": "csv", "role": Role.CHAIR, "sort": "-name"}))
    assert [row[0] for row in rows[1:]] == ["Jan Peeters", "Amélie Dupré"]
    rows = read_csv(client.get(URL, {"_export": "csv", "q": "zoë"}))
    assert [row[0] for row in rows[1:]] == ["Zoë Leroy"]


def test_csv_export_is_not_paginated(client, viewer, people, group):
    bulk_members(60, group=group, administrations=[people["fps"]])
    rows = read_csv(client.get(URL, {"_export": "csv", "page": 2}))
    assert len(rows) == 1 + 64


def test_member_can_download_the_directory_as_xlsx(client, viewer, people):
    response = client.get(URL, {"_export": "xlsx", "entity": "flemish"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith(
        f'concerto-directory-{timezone.localdate():%Y-%m-%d}.xlsx"'
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["Name", "Email address", "Address bounced on", "Administration"]
    assert len(rows) == 2
    assert rows[1][0] == "Jan Peeters"
    assert rows[1][4] == "Department of Chancellery and Foreign Affairs"


def test_exported_cells_cannot_run_as_spreadsheet_formulas(client, viewer, people):
    people["jan"].job_title = '=HYPERLINK("http://evil.example","Click")'
    people["jan"].save()
    people["jan"].user.name = "@SUM(1+1)"
    people["jan"].user.save()

    rows = read_csv(client.get(URL, {"_export": "csv", "q": "dkbuza"}))
    assert rows[1][0] == "'@SUM(1+1)"
    assert rows[1][6] == '\'=HYPERLINK("http://evil.example","Click")'
    assert rows[1][7] == ""  # no phone: nothing added

    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(URL, {"_export": "xlsx", "q": "dkbuza"}).content)
    ).active
    cell = sheet.cell(row=2, column=7)
    assert cell.data_type == "s"
    assert cell.value.startswith("'=")


def test_phone_numbers_starting_with_plus_are_exported_as_text(client, viewer, people, group):
    # Excel reads a cell starting with "+" as a formula: the apostrophe keeps the number as written.
    bulk_members(1, group=group, administrations=[people["fps"]])
    rows = read_csv(client.get(URL, {"_export": "csv", "q": "bulk"}))
    assert rows[1][7] == "'+32 2 000 00 00"


# --- Query budget -----------------------------------------------------------------------------


def _many_members(count: int, group) -> None:
    administrations = [AdministrationFactory() for _ in range(4)]
    other = GroupFactory()
    members = bulk_members(count, group=group, administrations=administrations)
    # A second, ended membership each, and a bounce now and then: none may cost a query.
    ended = timezone.localdate() - timedelta(days=1)
    Membership.objects.bulk_create(
        Membership(member=m, group=other, role=Role.OBSERVER, start=ended - timedelta(days=30), end=ended)
        for m in members
    )
    Member.objects.filter(pk__in=[m.pk for m in members[::7]]).update(email_bounced_at=timezone.now())


# session, user, request.member, group choices, administration choices, count, page rows,
# prefetched memberships
DIRECTORY_QUERIES = 9  # includes the reader's own groups


@pytest.mark.parametrize("count", [10, 500])
def test_directory_queries_do_not_grow(client, focal_point, group, django_assert_num_queries, count):
    _many_members(count, group)
    client.force_login(focal_point.user)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = client.get(URL, {"sort": "administration"})
    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 500])
def test_filtered_directory_queries_do_not_grow(client, focal_point, group, django_assert_num_queries, count):
    _many_members(count, group)
    client.force_login(focal_point.user)
    # + the chosen group, checked when the filter is validated
    with django_assert_num_queries(DIRECTORY_QUERIES + 1):
        response = client.get(URL, {"group": group.pk, "role": Role.MEMBER, "q": "bulk"})
    assert response.context["table"].paginator.count == count


@pytest.mark.parametrize("count", [10, 500])
def test_directory_export_queries_do_not_grow(client, focal_point, group, django_assert_num_queries, count):
    _many_members(count, group)
    client.force_login(focal_point.user)
    # session, user, request.member, all rows, prefetched memberships
    with django_assert_num_queries(6):  # + the reader's groups
        response = client.get(URL, {"_export": "csv"})
    assert len(read_csv(response)) == 1 + count + 1  # header, the bulk members, focal_point


def test_groups_the_reader_may_not_know_of_stay_hidden(client, viewer, people):
    secret = GroupFactory(name_en="Secret task force")
    make_member(secret, Membership.Role.CHAIR)
    page = client.get(reverse("members:directory"))
    assert "Secret task force" not in page.text
    response = client.get(reverse("members:directory"), {"group": secret.pk})
    assert "errorlist" in response.text  # not a valid choice for this reader


def test_role_filter_ignores_roles_in_groups_the_reader_may_not_know_of(client, viewer, people):
    secret = GroupFactory(name_en="Hidden sanctions task force")
    insider = make_member(secret, Membership.Role.OBSERVER)
    response = client.get(reverse("members:directory"), {"role": Membership.Role.OBSERVER})
    assert insider.user.name not in response.text


def test_administration_history_hides_groups_the_reader_may_not_know_of(client, viewer, people):
    secret = GroupFactory(name_en="Hidden sanctions task force")
    insider = make_member(secret, Membership.Role.CHAIR)
    page = client.get(reverse("members:administration-detail", args=[insider.administration_id]))
    assert page.status_code == 200
    assert "Hidden sanctions task force" not in page.text
