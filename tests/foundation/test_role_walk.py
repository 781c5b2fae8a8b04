"""Every URL of the site, asked with GET by each kind of visitor, answers as the role rules say.

The URLs come from the resolver (nested includes walked; the administration site, allauth's
accounts/ and static files aside), filled in with the rows of one group of the demo platform: a
meeting with its agenda, documents and invitations, minutes out for comments to the whole group,
a plan with its commitments, parts and reporting rounds. Each is asked as: a visitor who is not
signed in, an observer, a member (a focal point of the part), a substitute, the secretariat, the
chair (who also sent the outbox batch) and the chair of another group.

CLASSIFIED says what each URL name is; KINDS says what each kind answers to each visitor. A URL
name missing from CLASSIFIED fails the test: a new view cannot escape it.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse

from coordination import services as coordination_services
from coordination.models import CommitmentPart, Evidence
from core.i18n import LANGUAGE_CODES
from meetings.models import DocumentFile, Invitation, Meeting, Minutes, MinutesComment, MinutesVersion
from members.models import Group, GroupLink, JoinInvitation, Member, Membership
from tests.factories import GroupFactory, make_member
from tests.foundation.test_no_english import demo  # noqa: F401  (the demo platform, its URL kwargs)
from tests.meetings.factories import PDF
from tests.meetings.minutes_factories import held_meeting, make_minutes

pytestmark = pytest.mark.django_db
Role = Membership.Role

# Not walked: Django's administration site (staff only, its own permission system), allauth's
# sign-in flows (tested in test_auth.py) and static files.
SKIPPED_PREFIXES = ("admin/", "accounts/", "static/")

PERSONAS = ("anonymous", "observer", "member", "substitute", "secretariat", "chair", "outsider")
GROUP_ROLES = ("observer", "member", "substitute", "secretariat", "chair")

# Outcomes besides a status code.
SIGN_IN = "302 to sign in"
ELSEWHERE = "302 elsewhere"  # a redirect that is not to the sign-in page
NEVER_200 = frozenset({400, 401, 403, 404, 405})


def _kind(*outcomes) -> dict[str, frozenset]:
    """{persona: the outcomes allowed}, from one outcome (or a set of them) per PERSONAS entry."""
    assert len(outcomes) == len(PERSONAS)
    return {
        persona: frozenset(outcome) if isinstance(outcome, (set, frozenset)) else frozenset({outcome})
        for persona, outcome in zip(PERSONAS, outcomes, strict=True)
    }


#                      anonymous       observer  member  substitute  secretariat  chair  outsider
KINDS = {
    # Anyone, signed in or not: the home page, a public group page or plan, the health check.
    "public": _kind(200, 200, 200, 200, 200, 200, 200),
    # A link whose token, not the session, says who is asking: an answer link, an invitation to
    # join, a calendar feed. A visitor with the link gets the page; the session changes nothing.
    "token link": _kind(200, 200, 200, 200, 200, 200, 200),
    # Any signed-in member: lists and pages filtered to what the reader may see.
    "signed in": _kind(SIGN_IN, 200, 200, 200, 200, 200, 200),
    # A page of the group's objects, for anyone in the group (observers read); 404 for others.
    "group reader": _kind(SIGN_IN, 200, 200, 200, 200, 200, 404),
    # The same, when the file is built on demand: a redirect to the page that shows the building.
    "group reader, built on demand": _kind(SIGN_IN, ELSEWHERE, ELSEWHERE, ELSEWHERE, ELSEWHERE, ELSEWHERE, 404),
    # Managing the group's objects: chair, vice-chair, secretariat. Others in the group 403.
    "manager": _kind(SIGN_IN, 403, 403, 403, 200, 200, 404),
    # A manager's page not tied to this group's objects: the other group's chair manages their own.
    "manager of any group": _kind(SIGN_IN, 403, 403, 403, 200, 200, 200),
    # Reporting on a commitment part: its focal point (the member) and the managers.
    "reporter": _kind(SIGN_IN, 403, 200, 403, 200, 200, 404),
    # A sending of one's own (the chair sent the batch): nobody else learns it exists.
    "sender": _kind(SIGN_IN, 404, 404, 404, 404, 200, 404),
    # Changes something: a GET does nothing for anyone.
    "post only": _kind({SIGN_IN, 405}, *[NEVER_200] * 6),
    # Webhooks of the mail provider: authenticated by their secret, never by a visitor.
    "webhook": _kind(*[NEVER_200] * 7),
}

PUBLIC = ("home", "healthz", "public:group", "public:group-document", "public-plans:detail")
TOKEN_LINKS = ("members:join", "meetings:answer", "meetings:member-feed", "meetings:group-feed")
SIGNED_IN = (
    "my-data",
    "members:profile",
    "members:group-list",
    "members:directory",
    "members:administration-list",
    "members:administration-detail",
    "members:outbox",
    "meetings:list",
    "meetings:month",
    "meetings:past",
    "meetings:my-meetings",
    "decisions:register",
    "search:results",
    "coordination:plan-list",
    "rounds:overdue",
    "tracker:list",
    "tracker:administration-dashboard",
    "tracker:import-template",
)
GROUP_READER = (
    "members:group-detail",
    "members:group-history",
    "meetings:detail",
    "meetings:document-download",
    "meetings:meeting-ics",
    "meetings:answer-web",
    "minutes:detail",
    "minutes:versions",
    "minutes:diff",
    "packs:status",
    "packs:status-json",
    "packs:minutes-pdf",
    "coordination:plan-detail",
    "coordination:commitment-detail",
    "coordination:evidence-download",
    "rounds:list",
    "rounds:detail",
    "rounds:compare",
    "tracker:plan-dashboard",
)
MANAGER = (
    "members:membership-change",
    "members:membership-end",
    "members:public-page-edit",
    "members:group-invite",
    "members:group-import",
    "members:group-import-template",
    "members:group-invitations",
    "meetings:create",
    "meetings:series-create",
    "meetings:edit",
    "meetings:circulate",
    "meetings:cancel",
    "meetings:agenda",
    "meetings:agenda-item-edit",
    "meetings:document-upload",
    "meetings:invitees",
    "meetings:answers",
    "meetings:attendance",
    "meetings:attendance-print",
    "meetings:answer-for",
    "minutes:edit",
    "minutes:item-add",
    "minutes:item-edit",
    "minutes:send",
    # The secretariat opens it too: it records an approval given at a later meeting.
    "minutes:approve",
    "minutes:publish",
    "coordination:plan-edit",
    "coordination:edition-create",
    "coordination:chapter-create",
    "coordination:commitment-create",
    "coordination:commitment-edit",
    "coordination:part-create",
    "coordination:milestone-create",
    "coordination:indicator-create",
    "coordination:milestone-edit",
    "coordination:indicator-edit",
    "coordination:part-edit",
    "rounds:open",
    "rounds:close",
    "tracker:plan-import",
)
POST_ONLY = (
    "set-language",
    "members:feed-regenerate",
    "members:public-link-add",
    "members:public-link-remove",
    "members:invitation-revoke",
    "meetings:agenda-item-remove",
    "meetings:agenda-item-move",
    "meetings:invitee-add",
    "meetings:invitee-remove",
    "meetings:answers-remind",
    "minutes:start",
    "minutes:item-remove",
    "minutes:comment-add",
    "minutes:comment-settle",
    "coordination:part-remove",
    "rounds:follow-up",
    "rounds:no-change",
)
CLASSIFIED: dict[str, str] = {
    **dict.fromkeys(PUBLIC, "public"),
    **dict.fromkeys(TOKEN_LINKS, "token link"),
    **dict.fromkeys(SIGNED_IN, "signed in"),
    **dict.fromkeys(GROUP_READER, "group reader"),
    "packs:pack-pdf": "group reader, built on demand",
    **dict.fromkeys(MANAGER, "manager"),
    "meetings:statistics": "manager of any group",
    "coordination:plan-create": "manager of any group",
    "coordination:update-create": "reporter",
    "members:outbox-batch": "sender",
    "members:outbox-batch-status": "sender",
    **dict.fromkeys(POST_ONLY, "post only"),
}
WEBHOOK_NAMESPACES = ("anymail:",)

# The title of the group's meetings: a page filtered to its reader must not show it to the outsider.
PRIVATE_MARK = "Vertrouwelijk-7f3c"
FILTERED = ("signed in", "manager of any group")


def walked_urls() -> list[tuple[str | None, str]]:
    """(name with its namespaces, route) of every URL pattern outside SKIPPED_PREFIXES."""

    def walk(resolver, namespace: str, prefix: str):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(SKIPPED_PREFIXES):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern, inner, route)
            elif not route.startswith(SKIPPED_PREFIXES):
                yield (f"{namespace}{pattern.name}" if pattern.name else None), route

    return list(walk(get_resolver(), "", ""))


def kind_of(name: str) -> str | None:
    if name.startswith(WEBHOOK_NAMESPACES):
        return "webhook"
    return CLASSIFIED.get(name)


@pytest.fixture
def world(demo):  # noqa: F811  (the fixture imported above)
    """The personas, and the kwargs that fill in every walked URL with the demo group's rows."""
    kwargs = dict(demo["kwargs"])
    platform = Group.objects.get(slug="mvo-platform")
    chair, member = demo["chair"], demo["member"]
    plenary_pk = kwargs["meetings:agenda-item-edit"]["pk"]

    def holder(role: str) -> Member:
        return (
            Membership.objects.filter(group=platform, role=role, end__isnull=True)
            .exclude(member__in=[chair, member])
            .select_related("member__user")
            .first()
            .member
        )

    # Minutes out for comments to the whole group: every role of the group reads them.
    held = held_meeting(platform, chair)
    minutes = make_minutes(
        held, status=Minutes.Status.FOR_COMMENTS, chair=chair, comment_audience=Minutes.Audience.GROUP
    )
    for number in (1, 2):
        MinutesVersion.objects.create(minutes=minutes, number=number, status=minutes.status, content={})
    comment = MinutesComment.objects.create(minutes=minutes, author=member, text="A typo in item 1.")
    for page in ("detail", "start", "edit", "item-add", "send", "comment-add", "approve", "publish", "versions"):
        kwargs[f"minutes:{page}"] = {"pk": held.pk}
    kwargs["minutes:item-edit"] = kwargs["minutes:item-remove"] = {
        "pk": held.pk,
        "item_pk": minutes.items.first().pk,
    }
    kwargs["minutes:comment-settle"] = {"pk": held.pk, "comment_pk": comment.pk}
    kwargs["minutes:diff"] = {"pk": held.pk, "a": 1, "b": 2}
    kwargs["packs:minutes-pdf"] = {"pk": held.pk}
    for name in ("status", "status-json", "pack-pdf"):
        kwargs[f"packs:{name}"] = {"pk": plenary_pk}
    for name in demo["meeting_pages"] | {"meetings:meeting-ics", "meetings:answers-remind", "meetings:invitee-add"}:
        kwargs[name] = {"pk": plenary_pk}
    Meeting.objects.filter(pk__in=[plenary_pk, held.pk]).update(
        **{f"title_{code}": PRIVATE_MARK for code in LANGUAGE_CODES}
    )

    # A public document on the group's public page, and evidence on the member's part.
    link = GroupLink.objects.create(
        group=platform, title_en="Terms of reference", document=SimpleUploadedFile("terms.pdf", PDF)
    )
    part = CommitmentPart.objects.get(pk=kwargs["coordination:part-edit"]["pk"])
    coordination_services.record_progress(
        part=part,
        by=member,
        text="Started.",
        language="nl",
        files=[SimpleUploadedFile("evidence.pdf", PDF, content_type="application/pdf")],
    )
    item_pk = kwargs["meetings:agenda-item-edit"]["item_pk"]
    kwargs |= {
        "public:group-document": {"slug": platform.slug, "pk": link.pk},
        "members:public-link-remove": {"slug": platform.slug, "pk": link.pk},
        "members:public-link-add": {"slug": platform.slug},
        "members:group-import-template": {"slug": platform.slug},
        "members:invitation-revoke": {
            "slug": platform.slug,
            "pk": JoinInvitation.objects.filter(group=platform).first().pk,
        },
        "members:outbox-batch-status": kwargs["members:outbox-batch"],
        "meetings:agenda-item-remove": {"pk": plenary_pk, "item_pk": item_pk},
        "meetings:agenda-item-move": {"pk": plenary_pk, "item_pk": item_pk},
        "meetings:document-download": {
            "file_pk": DocumentFile.objects.filter(document__meeting_id=plenary_pk).first().pk
        },
        "meetings:invitee-remove": {
            "pk": plenary_pk,
            "invitation_pk": Invitation.objects.filter(meeting_id=plenary_pk, member=member).first().pk,
        },
        "meetings:member-feed": {"token": member.feed_token},
        "meetings:group-feed": {"slug": platform.slug, "token": member.feed_token},
        "coordination:part-remove": {"pk": part.pk},
        "rounds:no-change": {"pk": part.pk},
        "rounds:follow-up": kwargs["rounds:compare"],
        "coordination:evidence-download": {"pk": Evidence.objects.get(update__part=part).pk},
        "tracker:import-template": {"extension": "xlsx"},
    }
    personas = {
        "anonymous": None,
        "observer": holder(Role.OBSERVER),
        "member": member,
        "substitute": holder(Role.SUBSTITUTE),
        "secretariat": Member.objects.get(user__email="secretariat@example.org"),
        "chair": chair,
        "outsider": make_member(GroupFactory(), Role.CHAIR),
    }
    return {"kwargs": kwargs, "personas": personas}


def test_every_url_is_classified_and_named():
    unnamed = [route for name, route in walked_urls() if name is None]
    assert not unnamed, f"name these URL patterns, then classify them in CLASSIFIED: {unnamed}"
    unclassified = sorted(name for name, _route in walked_urls() if kind_of(name) is None)
    assert not unclassified, (
        f"classify these URL names in CLASSIFIED ({__file__}), with the kind of page they are: "
        f"{unclassified}"
    )
    stale = sorted(set(CLASSIFIED) - {name for name, _route in walked_urls()})
    assert not stale, f"no longer exist, remove them from CLASSIFIED: {stale}"


def _outcome(response, sign_in: str) -> int | str:
    if response.status_code == 302:
        return SIGN_IN if response["Location"].startswith(sign_in) else ELSEWHERE
    return response.status_code


def _shows_private_mark(persona: str, kind: str, outcome, response) -> bool:
    """Whether a page filtered to its reader shows the outsider the group's meeting. (A public
    group page lists its next meetings, and a token link shows what its token grants: on purpose.)"""
    if persona != "outsider" or kind not in FILTERED or outcome != 200 or response.streaming:
        return False
    return PRIVATE_MARK in response.content.decode(errors="replace")


def test_every_url_answers_each_role_as_the_rules_say(client, world):
    urls, unfilled = [], []
    for name, _route in walked_urls():
        if name is None or kind_of(name) is None:
            continue  # the test above says which
        try:
            urls.append((name, reverse(name, kwargs=world["kwargs"].get(name, {}))))
        except Exception as error:  # NoReverseMatch, or a lookup of the fixture that found nothing
            unfilled.append(f"{name}: {error}")
    assert not unfilled, "give these URLs their kwargs in the world fixture:\n" + "\n".join(unfilled)

    sign_in = reverse("account_login")
    wrong, leaks, cases = [], [], 0
    for persona, who in world["personas"].items():
        client.logout()
        if who is not None:
            client.force_login(who.user)
        for name, url in urls:
            response = client.get(url)
            cases += 1
            kind = kind_of(name)
            outcome = _outcome(response, sign_in)
            if outcome not in KINDS[kind][persona]:
                allowed = " or ".join(sorted(map(str, KINDS[kind][persona])))
                wrong.append(f"{persona:12} GET {url} ({name}, {kind}): {outcome}, expected {allowed}")
            elif _shows_private_mark(persona, kind, outcome, response):
                leaks.append(f"GET {url} ({name}) shows the other group's meeting")

    print(f"\n{cases} URL x role cases ({len(urls)} URLs x {len(world['personas'])} visitors)")
    assert not wrong, f"{len(wrong)} answers break the role rules:\n" + "\n".join(wrong)
    assert not leaks, "\n".join(leaks)
    assert cases >= 7 * 120
