"""The pages the browser checks visit (accessibility, reflow), for each kind of visitor."""

from coordination.demo import CSR_SLUG, NAP_SLUG
from coordination.models import Commitment, ReportingRound
from meetings.models import Meeting, Minutes, MinutesVersion
from members.demo import DEMO_PASSWORD
from members.models import Member

PUBLIC_PATHS = [
    "/",
    "/accounts/login/",
    "/accounts/login/code/",
    "/accounts/password/reset/",
    "/groups/mvo-platform/",
    f"/plans/{CSR_SLUG}/",
    f"/plans/{CSR_SLUG}/?level=regional&status=in_progress",
]

# A chair sees every page; a member of a regional administration the pages open to everyone signed in.
MEMBER_EMAILS = ["chair@example.org", "member.wallonia@example.org"]


def member_paths(email: str, demo: Meeting) -> list[str]:
    """The pages the demo account `email` visits, around the upcoming demo plenary `demo`."""
    published = Minutes.objects.select_related("meeting").get(status=Minutes.Status.PUBLISHED)
    held = published.meeting  # the held plenary
    # The versions every reader of the published minutes sees: the approved and published ones.
    shown = MinutesVersion.objects.filter(
        minutes=published, status__in=[Minutes.Status.APPROVED, Minutes.Status.PUBLISHED]
    ).order_by("number")
    first_shown, last_shown = shown.first().number, shown.last().number
    # A working group's minutes, out for comments: the chair edits and approves them.
    out_for_comments = Minutes.objects.get(status=Minutes.Status.FOR_COMMENTS)
    draft_item = out_for_comments.items.order_by("position", "pk").first()
    starts = demo.starts_at
    # A demo commitment carried by the federal level and each region.
    shared = Commitment.objects.get(edition__plan__slug=CSR_SLUG, reference="1.6")
    administration_id = Member.objects.get(user__email=email).administration_id
    # The demo plan's open reporting round, and the last one closed before it.
    rounds = ReportingRound.objects.filter(edition__plan__slug=CSR_SLUG).order_by("-opened_at", "-pk")
    open_round = rounds.filter(closed_at__isnull=True).first()
    closed_round = rounds.filter(closed_at__isnull=False, edition=open_round.edition).first()
    paths = [
        "/",
        "/members/groups/",
        "/members/groups/mvo-platform/",
        "/members/directory/",
        "/members/administrations/",
        f"/members/administrations/{demo.organiser.administration_id}/",
        "/members/profile/",
        "/members/outbox/",
        "/meetings/",
        f"/meetings/calendar/{starts.year}/{starts.month}/",
        f"/meetings/{demo.pk}/",
        "/meetings/past/",
        "/meetings/my/",
        f"/meetings/{demo.pk}/answer/",
        "/commitments/",
        f"/commitments/plans/{CSR_SLUG}/",
        f"/commitments/plans/{NAP_SLUG}/",
        f"/commitments/{shared.pk}/",
        "/commitments/tracker/",
        "/commitments/tracker/?level=regional&overdue=on",
        f"/commitments/plans/{CSR_SLUG}/dashboard/",
        f"/commitments/administrations/{administration_id}/dashboard/",
        f"/commitments/plans/{CSR_SLUG}/rounds/",
        f"/commitments/rounds/{open_round.pk}/",
        f"/commitments/rounds/{open_round.pk}/compare/",
        f"/commitments/rounds/{closed_round.pk}/compare/",
        "/commitments/overdue/",
        f"/meetings/{held.pk}/minutes/",
        f"/meetings/{held.pk}/minutes/versions/",
        f"/meetings/{held.pk}/minutes/versions/{first_shown}/{last_shown}/",
        "/decisions/",
        "/decisions/?q=plan",
        "/search/?q=plan",
        f"/meetings/{demo.pk}/pack/",
    ]
    if email.startswith("chair"):
        paths += [
            f"/meetings/{demo.pk}/edit/",
            f"/meetings/{demo.pk}/agenda/",
            f"/meetings/{demo.pk}/invitees/",
            f"/meetings/{demo.pk}/circulate/",
            "/members/groups/mvo-platform/public-page/",
            "/members/groups/mvo-platform/invite/",
            "/members/groups/mvo-platform/import/",
            "/members/groups/mvo-platform/invitations/",
            "/members/groups/mvo-platform/history/",
            f"/meetings/{demo.pk}/answers/",
            f"/meetings/{demo.pk}/attendance/print/",
            f"/meetings/{held.pk}/attendance/",
            f"/meetings/new/{demo.group.slug}/",
            f"/meetings/series/new/{demo.group.slug}/",
            f"/meetings/{demo.pk}/documents/upload/",
            f"/meetings/{demo.pk}/cancel/",
            "/meetings/statistics/",
            "/commitments/plans/new/",
            f"/commitments/plans/{CSR_SLUG}/edit/",
            f"/commitments/{shared.pk}/edit/",
            f"/commitments/plans/{NAP_SLUG}/dashboard/",
            f"/commitments/plans/{CSR_SLUG}/import/",
            f"/commitments/plans/{CSR_SLUG}/rounds/open/",
            f"/commitments/rounds/{open_round.pk}/close/",
            f"/meetings/{out_for_comments.meeting_id}/minutes/items/{draft_item.pk}/edit/",
            f"/meetings/{out_for_comments.meeting_id}/minutes/approve/",
            f"/meetings/{out_for_comments.meeting_id}/minutes/edit/",
        ]
    return paths


def one_click_answer_paths(demo: Meeting) -> list[str]:
    """The pages behind an invitation email's answer links (no sign-in needed)."""
    from meetings.links import answer_token

    invitation = demo.invitations.filter(member__user__email="member.wallonia@example.org").get()
    token = answer_token(invitation)
    return [f"/meetings/answer/{token}/?a=accepted", f"/meetings/answer/{token}/?a=delegated"]


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
