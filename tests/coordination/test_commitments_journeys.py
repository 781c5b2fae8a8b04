"""Commitments end to end: a chair creates a plan and a commitment carried by the federal level
and a region, each administration's focal point reports its part, the commitment rolls them up."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination import services
from coordination.models import (
    ActionPlan,
    Commitment,
    CommitmentPart,
    Completion,
    Evidence,
    PlanEdition,
    ProgressUpdate,
    ReportingRound,
    Status,
    roll_up,
)
from members.models import Administration, Membership
from tests.coordination.factories import make_commitment, make_plan
from tests.factories import AdministrationFactory, make_member
from tests.meetings.factories import PDF

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def federal():
    return AdministrationFactory(acronym="FIDO", level=Administration.Level.FEDERAL)


@pytest.fixture
def flanders():
    return AdministrationFactory(
        acronym="DKB", level=Administration.Level.REGIONAL, entity=Administration.Entity.FLEMISH
    )


@pytest.fixture
def federal_point(group, federal):
    return make_member(group, Role.MEMBER, administration=federal)


@pytest.fixture
def flemish_point(group, flanders):
    return make_member(group, Role.MEMBER, administration=flanders, language="nl")


def test_chair_creates_a_plan_and_a_shared_commitment_and_focal_points_report_their_parts(
    client, group, chair, federal, flanders, federal_point, flemish_point
):
    client.force_login(chair.user)
    response = client.post(
        reverse("coordination:plan-create"),
        {
            "title_en": "Federal CSR Action Plan",
            "title_nl": "Federaal MVO-actieplan",
            "owner_group": group.pk,
        },
    )
    plan = ActionPlan.objects.get()
    assert (
        response.status_code == 302 and plan.slug == "federaal-mvo-actieplan"
    )  # from the chair's (nl) title
    client.post(
        reverse("coordination:edition-create", args=[plan.slug]),
        {"label": "2021–2024", "starts_on": "2021-01-01", "ends_on": "2024-12-31"},
    )
    edition = PlanEdition.objects.get()
    response = client.post(
        reverse("coordination:commitment-create", args=[plan.slug, edition.pk]),
        {
            "reference": "2.4",
            "title_en": "Promote due diligence",
            "source": "action_plan",
            "lead_administration": federal.pk,
            "administrations": [flanders.pk],
            "start_date": "2022-01-01",
            "due_date": "2024-06-30",
            "is_public": "on",
        },
    )
    commitment = Commitment.objects.get()
    assert response.status_code == 302
    assert sorted(commitment.parts.values_list("administration__acronym", flat=True)) == ["DKB", "FIDO"]
    federal_part = commitment.parts.get(administration=federal)
    flemish_part = commitment.parts.get(administration=flanders)
    client.post(
        reverse("coordination:part-edit", args=[federal_part.pk]),
        {"weight": 3, "focal_points": [federal_point.pk]},
    )
    client.post(
        reverse("coordination:part-edit", args=[flemish_part.pk]),
        {"weight": 1, "focal_points": [flemish_point.pk]},
    )

    client.force_login(flemish_point.user)
    response = client.post(
        reverse("coordination:update-create", args=[flemish_part.pk]),
        {
            "text": "Guide published.",
            "status": "done",
            "completion": "completed",
            "progress": 100,
            "links": "https://example.org/guide",
            "files": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    client.force_login(federal_point.user)
    client.post(
        reverse("coordination:update-create", args=[federal_part.pk]),
        {"text": "Law drafted.", "status": "in_progress", "completion": "limited", "progress": 40},
    )

    commitment.refresh_from_db()
    assert (commitment.status, commitment.completion, commitment.progress) == ("in_progress", "limited", 55)
    assert Evidence.objects.filter(update__part=flemish_part).count() == 2
    page = client.get(reverse("coordination:commitment-detail", args=[commitment.pk]))
    text = page.content.decode()
    assert "Guide published." in text and "Law drafted." in text and "report.pdf" in text
    assert "55 %" in text and "100 %" in text and "40 %" in text
    document = Evidence.objects.get(update__part=flemish_part, url="")
    download = client.get(reverse("coordination:evidence-download", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    plan_page = client.get(reverse("coordination:plan-detail", args=[plan.slug]))
    assert "Promote due diligence" in plan_page.content.decode()


def test_each_update_keeps_the_values_before_and_after_and_nothing_earlier_changes(group, chair, federal):
    _plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=federal)
    part = commitment.parts.get()
    first = services.record_progress(part=part, by=chair, text="Started", status="in_progress", progress=20)
    services.record_progress(part=part, by=chair, no_change=True)
    services.record_progress(part=part, by=chair, progress=60, completion="substantial")
    rows = list(
        ProgressUpdate.objects.order_by("created_at", "pk").values_list(
            "previous_progress", "progress", "no_change"
        )
    )
    assert rows == [(0, 20, False), (20, 20, True), (20, 60, False)]
    first.refresh_from_db()
    assert (first.text, first.status, first.progress) == ("Started", "in_progress", 20)


def test_an_update_during_an_open_round_belongs_to_it(group, chair, federal):
    _plan, edition = make_plan(group)
    part = make_commitment(edition, lead=federal).parts.get()
    round_ = ReportingRound.objects.create(edition=edition, deadline="2030-01-01", opened_by=chair)
    update = services.record_progress(part=part, by=chair, no_change=True)
    assert update.round == round_


def test_a_new_edition_carries_open_commitments_over_linked_to_their_predecessors(
    group, chair, federal, flanders, flemish_point
):
    plan, edition = make_plan(group)
    open_one = make_commitment(
        edition, lead=federal, others=[flanders], focal_points={flanders: [flemish_point]}
    )
    done_one = make_commitment(edition, lead=federal)
    services.record_progress(
        part=done_one.parts.get(), by=chair, status="done", progress=100, completion="completed"
    )
    services.record_progress(part=open_one.parts.get(administration=flanders), by=chair, progress=30)

    new = services.create_edition(
        plan=plan,
        by=chair,
        label="2025–2028",
        starts_on=edition.starts_on.replace(year=edition.starts_on.year + 4),
    )

    carried = Commitment.objects.get(edition=new)
    assert carried.predecessor == open_one and carried.reference == open_one.reference
    assert list(carried.parts.get(administration=flanders).focal_points.all()) == [flemish_point]
    assert carried.parts.get(administration=flanders).progress == 30
    assert (
        open_one.parts.get(administration=flanders).updates.count() == 1
    )  # history stays with the old edition
    assert not Commitment.objects.filter(edition=new, predecessor=done_one).exists()


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], ("planned", "not_started", 0)),
        ([("done", "completed", 100, 1), ("done", "completed", 100, 2)], ("done", "completed", 100)),
        ([("done", "completed", 100, 1), ("delayed", "limited", 10, 1)], ("delayed", "limited", 55)),
        ([("planned", "not_started", 0, 1), ("planned", "not_started", 0, 1)], ("planned", "not_started", 0)),
        ([("done", "completed", 100, 3), ("in_progress", "limited", 40, 1)], ("in_progress", "limited", 85)),
        ([("done", "completed", 100, 1), ("dropped", "not_started", 0, 5)], ("done", "completed", 100)),
        ([("dropped", "limited", 20, 1), ("dropped", "not_started", 0, 1)], ("dropped", "not_started", 10)),
    ],
)
def test_roll_up_rule(parts, expected):
    result = roll_up(parts)
    assert (result.status, result.completion, result.progress) == expected


def test_service_rules_raise_validation_errors_and_change_nothing(group, chair, federal, flanders):
    _plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=federal, others=[flanders])
    part = commitment.parts.get(administration=federal)
    for bad in (
        {"progress": 150},
        {"progress": -1},
        {"status": "finished"},
        {"status": "done", "progress": 50},
        {"no_change": True, "progress": 10},
        {},
        {"links": ["javascript:alert(1)"]},
    ):
        with pytest.raises(ValidationError):
            services.record_progress(part=part, by=chair, **bad)
    assert ProgressUpdate.objects.count() == 0
    part.refresh_from_db()
    assert (part.status, part.progress) == (Status.PLANNED, 0)
    with pytest.raises(ValidationError):
        services.create_commitment(
            by=chair,
            edition=edition,
            texts={"title_en": "x"},
            lead_administration=federal,
            start_date=edition.starts_on,
            due_date=edition.starts_on.replace(year=edition.starts_on.year - 1),
        )
    with pytest.raises(ValidationError):
        services.create_commitment(
            by=chair, edition=edition, texts={"title_en": ""}, lead_administration=federal
        )
    with pytest.raises(ValidationError):
        services.create_commitment(
            by=chair,
            edition=edition,
            texts={"title_en": "Same"},
            lead_administration=federal,
            reference=commitment.reference,
        )
    with pytest.raises(ValidationError):
        services.add_part(commitment=commitment, by=chair, administration=flanders)
    with pytest.raises(ValidationError):
        services.remove_part(part=part, by=chair)  # the lead's part
    assert Commitment.objects.count() == 1 and CommitmentPart.objects.count() == 2


def test_a_part_with_reports_cannot_be_removed_but_an_unused_one_can(group, chair, federal, flanders):
    _plan, edition = make_plan(group)
    commitment = make_commitment(edition, lead=federal, others=[flanders])
    regional = commitment.parts.get(administration=flanders)
    services.record_progress(part=regional, by=chair, progress=10)
    with pytest.raises(ValidationError):
        services.remove_part(part=regional, by=chair)
    other = services.add_part(commitment=commitment, by=chair, administration=AdministrationFactory())
    services.remove_part(part=other, by=chair)
    assert commitment.parts.count() == 2


def test_focal_points_must_belong_to_the_parts_administration(group, chair, federal, flemish_point):
    _plan, edition = make_plan(group)
    part = make_commitment(edition, lead=federal).parts.get()
    with pytest.raises(ValidationError):
        services.update_part(part=part, by=chair, focal_points=[flemish_point])
    assert not part.focal_points.exists()


def test_completion_scale_is_in_ogp_order():
    assert list(Completion.values) == ["not_started", "limited", "substantial", "completed"]


def test_a_commitment_outside_any_plan_can_be_edited_and_reported_on(group, chair, federal):
    # No edition: the row locks must not reach the empty side of the join (PostgreSQL refuses that).
    commitment = services.create_commitment(
        by=chair,
        texts={"title_en": "Publish the reference framework"},
        lead_administration=federal,
        owner_group=group,
    )
    assert commitment.edition is None

    services.update_commitment(
        commitment=commitment, by=chair, texts={"title_fr": "Publier le cadre de référence"}
    )
    part = commitment.parts.get()
    services.record_progress(part=part, by=chair, text="Drafted.", progress=30)

    commitment.refresh_from_db()
    assert commitment.title_fr == "Publier le cadre de référence"
    assert commitment.progress == 30


def test_a_focal_point_finds_their_updates_and_parts_in_their_data_download(
    client, group, chair, federal, federal_point
):
    _plan, edition = make_plan(group)
    commitment = make_commitment(
        edition, lead=federal, focal_points={federal: [federal_point]}, reference="3.1"
    )
    part = commitment.parts.get()
    services.record_progress(
        part=part, by=federal_point, text="Guide published.", progress=60, links=["https://example.org/guide"]
    )

    client.force_login(federal_point.user)
    data = json.loads(client.get(reverse("my-data")).content)

    [update] = data["progress_updates_you_posted"]
    assert update["text"] == "Guide published." and update["progress"] == 60
    assert update["reference"] == "3.1" and update["administration"] == "FIDO"
    assert update["evidence"] == ["https://example.org/guide"]
    assert data["commitments_you_report_on"] == [
        {"commitment": commitment.title, "reference": "3.1", "administration": "FIDO"}
    ]


@pytest.mark.parametrize("count", [1, 20])
def test_data_download_queries_do_not_grow_with_progress_updates(
    client, group, federal, federal_point, count, django_assert_max_num_queries
):
    _plan, edition = make_plan(group)
    for number in range(count):
        commitment = make_commitment(edition, lead=federal, focal_points={federal: [federal_point]})
        services.record_progress(
            part=commitment.parts.get(),
            by=federal_point,
            progress=10,
            links=[f"https://example.org/{number}"],
        )
    client.force_login(federal_point.user)
    # As in tests/members/test_profile.py (measured: 16 at 1 and at 20): the progress updates,
    # their evidence and the parts are one query each, however many there are; the history about
    # the member is read from the membership and invitation history tables.
    with django_assert_max_num_queries(16):
        data = json.loads(client.get(reverse("my-data")).content)
    assert len(data["progress_updates_you_posted"]) == len(data["commitments_you_report_on"]) == count
