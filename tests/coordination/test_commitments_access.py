"""Who may see and change commitments: 404 for what the reader may not see, 403 for what they
may see but not change, the sign-in page for anonymous visitors; bad input changes nothing;
the plan and commitment pages keep a fixed number of queries."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from coordination.models import Commitment, CommitmentPart, Evidence, Indicator, Milestone, ProgressUpdate
from members.models import Administration, Membership
from tests.coordination.factories import PlanEditionFactory, make_commitment, make_many, make_plan
from tests.factories import AdministrationFactory, make_member
from tests.meetings.factories import EXE, PDF

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def federal():
    return AdministrationFactory(acronym="FIDO", level=Administration.Level.FEDERAL)


@pytest.fixture
def wallonia():
    return AdministrationFactory(acronym="SPW", level=Administration.Level.REGIONAL, entity="walloon")


@pytest.fixture
def setup(group, federal, wallonia):
    plan, edition = make_plan(group)
    federal_point = make_member(group, Role.MEMBER, administration=federal)
    walloon_point = make_member(None, administration=wallonia)  # a focal point outside the owner group
    commitment = make_commitment(
        edition,
        lead=federal,
        others=[wallonia],
        focal_points={federal: [federal_point], wallonia: [walloon_point]},
    )
    return {
        "plan": plan,
        "edition": edition,
        "commitment": commitment,
        "federal_part": commitment.parts.get(administration=federal),
        "walloon_part": commitment.parts.get(administration=wallonia),
        "federal_point": federal_point,
        "walloon_point": walloon_point,
    }


def update_data(**fields):
    return {"text": "Progress", "status": "in_progress", "completion": "limited", "progress": 30, **fields}


def test_anonymous_visitors_are_sent_to_sign_in(client, setup):
    for url in (
        reverse("coordination:plan-list"),
        reverse("coordination:plan-detail", args=[setup["plan"].slug]),
        reverse("coordination:commitment-detail", args=[setup["commitment"].pk]),
        reverse("coordination:update-create", args=[setup["federal_part"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_groups_member_gets_404_everywhere(client, setup, outsider):
    client.force_login(outsider.user)
    commitment = setup["commitment"]
    for url in (
        reverse("coordination:plan-detail", args=[setup["plan"].slug]),
        reverse("coordination:plan-edit", args=[setup["plan"].slug]),
        reverse("coordination:commitment-detail", args=[commitment.pk]),
        reverse("coordination:commitment-edit", args=[commitment.pk]),
        reverse("coordination:update-create", args=[setup["federal_part"].pk]),
        reverse("coordination:part-edit", args=[setup["federal_part"].pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("coordination:update-create", args=[setup["federal_part"].pk]), update_data()
        ).status_code
        == 404
    )
    assert "Federal CSR" not in client.get(reverse("coordination:plan-list")).content.decode()
    assert ProgressUpdate.objects.count() == 0


def test_a_focal_point_cannot_report_on_another_administrations_part(client, setup):
    client.force_login(setup["federal_point"].user)
    url = reverse("coordination:update-create", args=[setup["walloon_part"].pk])
    assert client.get(url).status_code == 403
    assert client.post(url, update_data()).status_code == 403
    assert ProgressUpdate.objects.count() == 0


def test_a_focal_point_outside_the_group_sees_the_commitment_and_reports_only_its_part(client, setup):
    client.force_login(setup["walloon_point"].user)
    commitment = setup["commitment"]
    assert client.get(reverse("coordination:commitment-detail", args=[commitment.pk])).status_code == 200
    assert client.get(reverse("coordination:plan-detail", args=[setup["plan"].slug])).status_code == 200
    response = client.post(
        reverse("coordination:update-create", args=[setup["walloon_part"].pk]), update_data()
    )
    assert response.status_code == 302
    assert (
        client.get(reverse("coordination:update-create", args=[setup["federal_part"].pk])).status_code == 403
    )
    assert client.get(reverse("coordination:commitment-edit", args=[commitment.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["observer", "focal_point"])
def test_group_members_who_are_not_focal_points_read_but_do_not_change(client, setup, persona, request):
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    commitment, plan = setup["commitment"], setup["plan"]
    assert client.get(reverse("coordination:commitment-detail", args=[commitment.pk])).status_code == 200
    for url in (
        reverse("coordination:update-create", args=[setup["federal_part"].pk]),
        reverse("coordination:commitment-edit", args=[commitment.pk]),
        reverse("coordination:part-create", args=[commitment.pk]),
        reverse("coordination:plan-edit", args=[plan.slug]),
        reverse("coordination:commitment-create", args=[plan.slug, setup["edition"].pk]),
        reverse("coordination:plan-create"),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("persona", ["chair", "secretariat"])
def test_chair_and_secretariat_may_report_on_any_part(client, setup, persona, request):
    client.force_login(request.getfixturevalue(persona).user)
    response = client.post(
        reverse("coordination:update-create", args=[setup["walloon_part"].pk]), update_data()
    )
    assert response.status_code == 302
    assert ProgressUpdate.objects.get().author == request.getfixturevalue(persona)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"progress": 150}, "100"),
        ({"progress": -5}, "0"),
        ({"status": "done", "progress": 80}, "100 %"),
        ({"links": "javascript:alert(1)"}, "not a web address"),
        ({"files": SimpleUploadedFile("report.pdf", EXE)}, "type of file"),
        ({"files": SimpleUploadedFile("report.txt", PDF)}, "does not match"),
    ],
)
def test_bad_updates_are_refused_with_a_message_and_change_nothing(client, setup, fields, message):
    client.force_login(setup["federal_point"].user)
    response = client.post(
        reverse("coordination:update-create", args=[setup["federal_part"].pk]), update_data(**fields)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ProgressUpdate.objects.count() == 0 and Evidence.objects.count() == 0
    part = CommitmentPart.objects.get(pk=setup["federal_part"].pk)
    assert (part.status, part.progress) == ("planned", 0)


def test_an_oversized_evidence_document_is_refused(client, setup, settings):
    settings.DOCUMENT_MAX_BYTES = 20
    client.force_login(setup["federal_point"].user)
    response = client.post(
        reverse("coordination:update-create", args=[setup["federal_part"].pk]),
        update_data(files=SimpleUploadedFile("report.pdf", PDF)),
    )
    assert response.status_code == 200 and "too large" in response.content.decode()
    assert ProgressUpdate.objects.count() == 0


def test_a_commitment_due_before_its_start_is_refused(client, setup, chair, federal):
    client.force_login(chair.user)
    response = client.post(
        reverse("coordination:commitment-create", args=[setup["plan"].slug, setup["edition"].pk]),
        {
            "title_en": "Late",
            "source": "action_plan",
            "lead_administration": federal.pk,
            "start_date": "2024-01-01",
            "due_date": "2023-01-01",
        },
    )
    assert response.status_code == 200
    assert "De streefdatum kan niet vóór de begindatum liggen." in response.content.decode()  # in Dutch
    assert Commitment.objects.count() == 1


text_or_junk = st.one_of(st.text(max_size=30), st.sampled_from(["", "100", "-1", "1e3", "done", "\u202e"]))


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.text(max_size=200).filter(lambda t: "\x00" not in t),
    status=text_or_junk,
    completion=text_or_junk,
    progress=st.one_of(st.integers(min_value=-1000, max_value=1000).map(str), text_or_junk),
    no_change=st.sampled_from(["", "on"]),
    links=text_or_junk,
)
def test_the_update_form_never_fails_and_a_refusal_changes_nothing(
    client, setup, text, status, completion, progress, no_change, links
):
    client.force_login(setup["federal_point"].user)
    part = CommitmentPart.objects.get(pk=setup["federal_part"].pk)
    before = (part.status, part.completion, part.progress, ProgressUpdate.objects.count())
    data = {"text": text, "status": status, "completion": completion, "progress": progress, "links": links}
    if no_change:
        data["no_change"] = no_change
    response = client.post(reverse("coordination:update-create", args=[part.pk]), data)
    # 400: a null character, refused before any view (coordination.null_characters).
    assert response.status_code in (200, 302, 400)
    part.refresh_from_db()
    after = (part.status, part.completion, part.progress, ProgressUpdate.objects.count())
    if response.status_code != 302:
        assert after == before
    else:
        assert after[3] == before[3] + 1 and 0 <= part.progress <= 100


@pytest.mark.parametrize("count", [3, 60])
def test_plan_page_queries_do_not_grow(
    client, setup, chair, django_assert_max_num_queries, count, federal, wallonia
):
    make_many(setup["edition"], count, [federal, wallonia])
    client.force_login(chair.user)
    with django_assert_max_num_queries(PLAN_PAGE_QUERIES):
        response = client.get(reverse("coordination:plan-detail", args=[setup["plan"].slug]))
    assert response.content.decode().count('<th scope="row">') == count + 1


@pytest.mark.parametrize("count", [3, 60])
def test_commitment_page_queries_do_not_grow(client, setup, chair, django_assert_max_num_queries, count):
    part = setup["federal_part"]
    ProgressUpdate.objects.bulk_create(
        [
            ProgressUpdate(
                part=part,
                text=f"Step {n}",
                previous_status="planned",
                previous_completion="not_started",
                previous_progress=0,
                status="in_progress",
                completion="limited",
                progress=10,
            )
            for n in range(count)
        ]
    )
    Evidence.objects.bulk_create(
        [Evidence(update=update, url="https://example.org") for update in ProgressUpdate.objects.all()]
    )
    client.force_login(chair.user)
    with django_assert_max_num_queries(COMMITMENT_PAGE_QUERIES):
        response = client.get(reverse("coordination:commitment-detail", args=[setup["commitment"].pk]))
    assert response.content.decode().count('class="card update"') == count


# session, user, member, plan, roles, editions, commitments, their parts, chapters (measured: 9 at 3 and at 60)
PLAN_PAGE_QUERIES = 9
# session, user, member, commitment, parts, focal points, updates, evidence, milestones, indicators, roles
# (measured: 11 at 3 and at 60 updates); for a manager, the history of the commitment and its parts
COMMITMENT_PAGE_QUERIES = 13


def test_managers_mark_a_milestone_done_and_record_an_indicators_value(client, setup, chair, outsider):
    commitment = setup["commitment"]
    milestone = Milestone.objects.create(
        commitment=commitment, title_en="Guide published", due_date=datetime.date(2026, 6, 30)
    )
    indicator = Indicator.objects.create(
        commitment=commitment, name_en="Companies reached", unit="#", baseline=0, target=500
    )
    milestone_url = reverse("coordination:milestone-edit", args=[milestone.pk])
    indicator_url = reverse("coordination:indicator-edit", args=[indicator.pk])

    # Those who may not change the commitment: 403 if they see it, 404 if they do not.
    client.force_login(setup["federal_point"].user)
    assert client.get(milestone_url).status_code == 403
    assert client.post(indicator_url, {"name_en": "Changed", "current_value": "1"}).status_code == 403
    client.force_login(outsider.user)
    assert client.get(indicator_url).status_code == 404

    client.force_login(chair.user)
    page = client.get(reverse("coordination:commitment-detail", args=[commitment.pk])).text
    assert milestone_url in page and indicator_url in page
    form = client.get(milestone_url).text
    assert 'value="Guide published"' in form and 'value="2026-06-30"' in form  # the form starts from the row
    response = client.post(
        milestone_url, {"title_en": "Guide published", "due_date": "2026-06-30", "done_on": "2026-06-25"}
    )
    assert response.status_code == 302
    response = client.post(
        indicator_url,
        {
            "name_en": "Companies reached",
            "unit": "#",
            "baseline": "0",
            "target": "500",
            "current_value": "320",
        },
    )
    assert response.status_code == 302

    milestone.refresh_from_db()
    indicator.refresh_from_db()
    assert milestone.done_on == datetime.date(2026, 6, 25)
    assert indicator.current_value == 320 and indicator.measured_on == timezone.localdate()
    assert Indicator.objects.get(pk=indicator.pk).name_en == "Companies reached"


def test_an_indicator_without_a_name_is_refused_and_keeps_its_value(client, setup, chair):
    indicator = Indicator.objects.create(
        commitment=setup["commitment"], name_en="Companies reached", current_value=10
    )
    client.force_login(chair.user)
    response = client.post(
        reverse("coordination:indicator-edit", args=[indicator.pk]), {"current_value": "99"}
    )
    assert response.status_code == 200
    indicator.refresh_from_db()
    assert indicator.current_value == 10 and indicator.name_en == "Companies reached"


def test_the_edit_form_offers_the_dates_as_date_pickers_read_them_in_every_language(client, setup, chair):
    commitment = setup["commitment"]
    Commitment.objects.filter(pk=commitment.pk).update(
        start_date=datetime.date(2026, 1, 15), due_date=datetime.date(2027, 6, 30)
    )
    client.force_login(chair.user)  # reads Dutch, whose dates are written 30/06/2027
    form = client.get(reverse("coordination:commitment-edit", args=[commitment.pk])).text
    # A date picker shows an empty field for anything but ISO 8601, and saving would erase the date.
    assert 'type="date" name="start_date" value="2026-01-15"' in form
    assert 'type="date" name="due_date" value="2027-06-30"' in form


@pytest.mark.parametrize("count", [1, 20])
def test_plan_list_queries_do_not_grow(client, group, chair, django_assert_max_num_queries, count):
    for number in range(count):
        plan, _edition = make_plan(group, slug=f"plan-{number}")
        PlanEditionFactory(plan=plan, label="2025–2028")
    client.force_login(chair.user)
    with django_assert_max_num_queries(PLAN_LIST_QUERIES):
        response = client.get(reverse("coordination:plan-list"))
    assert response.content.decode().count('<li class="card">') == count


# session, user, member, roles, "may create a plan", plans, their editions (measured: 7 at 1 and at 20)
PLAN_LIST_QUERIES = 7
