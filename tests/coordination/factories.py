"""Plans, editions, commitments and parts for the tests of the commitment pages and services.

Rows are made with the ORM (bulk_create where there are many), so that tests of a service do
not depend on that same service.
"""

import factory

from coordination.models import ActionPlan, Chapter, Commitment, CommitmentPart, PlanEdition, ProgressUpdate
from members.models import Administration, Group, Member
from tests.factories import AdministrationFactory, GroupFactory


class ActionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionPlan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    title_en = factory.Sequence(lambda n: f"Federal CSR Action Plan {n}")
    title_nl = factory.Sequence(lambda n: f"Federaal MVO-actieplan {n}")
    title_fr = factory.Sequence(lambda n: f"Plan d'action fédéral RSE {n}")
    owner_group = factory.SubFactory(GroupFactory)


class PlanEditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanEdition

    plan = factory.SubFactory(ActionPlanFactory)
    label = factory.Sequence(lambda n: f"20{21 + n % 70}–20{24 + n % 70}")
    starts_on = factory.Faker("date_between", start_date="-2y", end_date="-1y")


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter

    edition = factory.SubFactory(PlanEditionFactory)
    code = factory.Sequence(lambda n: str(n + 1))
    title_en = factory.Sequence(lambda n: f"Chapter {n}")
    position = factory.Sequence(lambda n: n)


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment
        skip_postgeneration_save = True

    edition = factory.SubFactory(PlanEditionFactory)
    owner_group = factory.LazyAttribute(lambda o: o.edition.plan.owner_group)
    reference = factory.Sequence(lambda n: f"1.{n}")
    position = factory.Sequence(lambda n: n)
    title_en = factory.Sequence(lambda n: f"Promote due diligence in supply chains {n}")
    title_fr = factory.Sequence(lambda n: f"Promouvoir le devoir de vigilance {n}")
    lead_administration = factory.SubFactory(AdministrationFactory)

    @factory.post_generation
    def lead_part(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            CommitmentPart.objects.get_or_create(commitment=obj, administration=obj.lead_administration)


def make_plan(group: Group, **fields) -> tuple[ActionPlan, PlanEdition]:
    plan = ActionPlanFactory(owner_group=group, **fields)
    return plan, PlanEditionFactory(plan=plan, label="2021–2024")


def make_commitment(
    edition: PlanEdition,
    *,
    lead: Administration,
    others: list[Administration] = (),
    focal_points: dict[Administration, list[Member]] | None = None,
    **fields,
) -> Commitment:
    """A commitment led by `lead` with a part for it and for each of `others`, and their focal points."""
    commitment = CommitmentFactory(edition=edition, lead_administration=lead, **fields)
    for administration in others:
        CommitmentPart.objects.create(commitment=commitment, administration=administration)
    for administration, members in (focal_points or {}).items():
        commitment.parts.get(administration=administration).focal_points.add(*members)
    return commitment


def make_many(
    edition: PlanEdition, count: int, administrations: list[Administration], *, updates: int = 1
) -> None:
    """`count` commitments, each with a part per administration and `updates` updates per part."""
    commitments = Commitment.objects.bulk_create(
        [
            Commitment(
                edition=edition,
                owner_group=edition.plan.owner_group,
                reference=f"9.{i}",
                position=1000 + i,
                title_en=f"Commitment {i}",
                lead_administration=administrations[0],
            )
            for i in range(count)
        ]
    )
    parts = CommitmentPart.objects.bulk_create(
        [
            CommitmentPart(commitment=commitment, administration=administration, progress=10)
            for commitment in commitments
            for administration in administrations
        ]
    )
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
            for part in parts
            for n in range(updates)
        ]
    )
