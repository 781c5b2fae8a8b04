"""Every page of the site, in Dutch, French and German, shows no English of ours or of a library.

Pages come from the URL resolver, filled in with the demo platform's rows, and are read as a
visitor, an ordinary member and the chair (who is also staff). Text people typed (titles, names,
places) does not count: it is shown as entered.
"""

import datetime
import re

import pytest
from django.apps import apps
from django.contrib.admin.sites import site as admin_site
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from coordination.demo import load_demo_commitments
from coordination.models import ActionPlan, Commitment, Indicator, Milestone, ReportingRound
from meetings.demo import load_demo_meetings, load_demo_minutes
from meetings.links import answer_token
from meetings.models import AgendaItem, DocumentFile, Invitation, Meeting, Minutes
from members import services
from members.demo import DEMO_PASSWORD, load_demo_platform
from members.models import Administration, Group, JoinInvitation, Member, Membership, User
from members.outbox import Kind
from tests.foundation.english_leaks import (
    NewTexts,
    english_on_page,
    english_pattern,
    informal_on_page,
    ordinary_spaces_on_page,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["nl", "fr", "de"]

# Named URLs that answer with something other than an HTML page, or only to a POST.
NOT_PAGES = {
    "healthz",
    # Organisation sign-in: these need a configured provider or exist only mid sign-in
    # (the login error page answers 401).
    "openid_connect_login",
    "openid_connect_callback",
    "saml_login",
    "saml_acs",
    "saml_finish_acs",
    "saml_sls",
    "saml_metadata",
    "socialaccount_signup",
    "socialaccount_login_error",
    "set-language",
    "my-data",
    "public:group-document",
    "members:feed-regenerate",
    "members:public-link-add",
    "members:public-link-remove",
    "members:group-import-template",
    "members:invitation-revoke",
    "members:outbox-batch-status",
    "meetings:agenda-item-remove",
    "meetings:agenda-item-move",
    "meetings:document-download",
    "meetings:invitee-add",
    "meetings:invitee-remove",
    "meetings:meeting-ics",
    "meetings:member-feed",
    "meetings:group-feed",
    "meetings:answers-remind",
    "minutes:start",
    "minutes:item-remove",
    "minutes:comment-add",
    "minutes:comment-settle",
    "packs:status-json",
    "packs:pack-pdf",
    "packs:minutes-pdf",
    "coordination:part-remove",
    "coordination:evidence-download",
    "rounds:no-change",
    "rounds:follow-up",
    "tracker:import-template",
    "mfa_download_recovery_codes",
    # allauth pages that only exist in the middle of a flow (a code sent, a key in an email).
    "account_confirm_login_code",
    "account_reset_password_from_key",
    "mfa_authenticate",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_reauthenticate",
    "mfa_generate_recovery_codes",
    "account_set_password",
    "account_email_verification_sent",
}
ADMIN_PAGES = ("changelist", "add", "change")


def _names(resolver: URLResolver, namespace: str = "") -> list[tuple[str, URLPattern]]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _names(pattern, inner)
        elif pattern.name:
            names.append((f"{namespace}{pattern.name}", pattern))
    return names


def site_pages() -> list[str]:
    """The named pages of the site, the administration site and the webhooks aside."""
    return sorted(
        {name for name, _pattern in _names(get_resolver()) if not name.startswith(("admin:", "anymail:"))}
    )


@pytest.fixture
def demo(db):
    load_demo_platform()
    load_demo_meetings()
    load_demo_commitments()
    load_demo_minutes()
    chair = Member.objects.select_related("user").get(user__email="chair@example.org")
    member = Member.objects.select_related("user").get(user__email="member.flanders@example.org")
    platform = Group.objects.get(slug="mvo-platform")
    plenary = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, group=platform).first()
    Group.objects.filter(pk=platform.pk).update(is_public=True, show_next_meetings=True)
    token, token_hash = services.new_invitation_token()
    JoinInvitation.objects.create(
        email="newcomer@example.org",
        name="Nieuwe Collega",
        language="nl",
        group=platform,
        token_hash=token_hash,
        invited_by=chair,
        expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    services.queue_message(
        kind=Kind.ACCOUNT,
        to_email=member.user.email,
        subject="Uitnodiging",
        body_text="Tekst",
        member=member,
        batch=f"meeting-{plenary.pk}",
        batch_title="Uitnodiging",
        created_by=chair,
    )
    item = AgendaItem.objects.filter(meeting=plenary).first()
    invitation = Invitation.objects.filter(meeting=plenary, member=member).first()
    today = timezone.localdate()
    kwargs = {
        "public:group": {"slug": platform.slug},
        "members:group-detail": {"slug": platform.slug},
        "members:group-history": {"slug": platform.slug},
        "members:membership-change": {
            "slug": platform.slug,
            "pk": Membership.objects.filter(group=platform, member=member).first().pk,
        },
        "members:membership-end": {
            "slug": platform.slug,
            "pk": Membership.objects.filter(group=platform, member=member).first().pk,
        },
        "members:public-page-edit": {"slug": platform.slug},
        "members:administration-detail": {"pk": Administration.objects.get(acronym="FIDO").pk},
        "members:group-invite": {"slug": platform.slug},
        "members:group-import": {"slug": platform.slug},
        "members:group-invitations": {"slug": platform.slug},
        "members:join": {"token": token},
        "members:outbox-batch": {"batch": f"meeting-{plenary.pk}"},
        "meetings:month": {"year": today.year, "month": today.month},
        "meetings:create": {"group_slug": platform.slug},
        "meetings:series-create": {"group_slug": platform.slug},
        "meetings:agenda-item-edit": {"pk": plenary.pk, "item_pk": item.pk},
        "meetings:answer": {"token": answer_token(invitation)},
        "meetings:answer-for": {"pk": plenary.pk, "invitation_pk": invitation.pk},
    }
    # The demo's plans: the chair manages the platform's, member.flanders is a focal point in it.
    plan = ActionPlan.objects.get(owner_group=platform)
    edition = plan.editions.order_by("-starts_on").first()
    commitment = Commitment.objects.filter(edition=edition, parts__focal_points=member).first()
    part = commitment.parts.filter(focal_points=member).first()
    rounds = ReportingRound.objects.filter(edition=edition)
    closed_round = rounds.filter(closed_at__isnull=False).order_by("-closed_at").first()
    open_round = rounds.filter(closed_at__isnull=True).first()
    for name in ("plan-detail", "plan-edit", "edition-create"):
        kwargs[f"coordination:{name}"] = {"slug": plan.slug}
    for name in ("chapter-create", "commitment-create"):
        kwargs[f"coordination:{name}"] = {"slug": plan.slug, "edition_pk": edition.pk}
    for name in (
        "commitment-detail",
        "commitment-edit",
        "part-create",
        "milestone-create",
        "indicator-create",
    ):
        kwargs[f"coordination:{name}"] = {"pk": commitment.pk}
    for name in ("part-edit", "update-create"):
        kwargs[f"coordination:{name}"] = {"pk": part.pk}
    kwargs |= {
        "rounds:list": {"slug": plan.slug},
        "rounds:open": {"slug": plan.slug},
        "rounds:detail": {"pk": open_round.pk},
        "rounds:close": {"pk": open_round.pk},
        "rounds:compare": {"pk": closed_round.pk},
        "tracker:plan-dashboard": {"slug": plan.slug},
        "tracker:administration-dashboard": {"pk": member.administration_id},
        "tracker:plan-import": {"slug": plan.slug},
        "public-plans:detail": {"slug": plan.slug},
        "coordination:milestone-edit": {
            "pk": Milestone.objects.filter(commitment__edition=edition).first().pk
        },
        "coordination:indicator-edit": {
            "pk": Indicator.objects.filter(commitment__edition=edition).first().pk
        },
    }
    # The held plenary's published minutes; the working group's, out for comments, for the pages
    # that change minutes.
    published = Minutes.objects.get(meeting__group=platform, status=Minutes.Status.PUBLISHED)
    for_comments = Minutes.objects.get(status=Minutes.Status.FOR_COMMENTS)
    for name in ("detail", "versions", "publish"):
        kwargs[f"minutes:{name}"] = {"pk": published.meeting_id}
    kwargs["minutes:diff"] = {"pk": published.meeting_id, "a": 1, "b": published.version}
    for name in ("edit", "item-add", "send", "approve"):
        kwargs[f"minutes:{name}"] = {"pk": for_comments.meeting_id}
    kwargs["minutes:item-edit"] = {"pk": for_comments.meeting_id, "item_pk": for_comments.items.first().pk}
    kwargs["packs:status"] = {"pk": plenary.pk}
    meeting_pages = {"detail", "edit", "agenda", "document-upload", "invitees", "circulate", "cancel"}
    meeting_pages |= {"answers", "attendance", "attendance-print", "answer-web"}
    meetings = list(Meeting.objects.order_by("starts_at"))
    return {
        "chair": chair,
        "member": member,
        "kwargs": kwargs,
        "meeting_pages": {f"meetings:{name}" for name in meeting_pages},
        "meetings": meetings,
        "document": DocumentFile.objects.first(),
    }


def _urls(demo: dict) -> list[tuple[str, str]]:
    urls = []
    for name in site_pages():
        if name in NOT_PAGES:
            continue
        if name in demo["meeting_pages"]:
            urls += [(name, reverse(name, kwargs={"pk": meeting.pk})) for meeting in demo["meetings"]]
        else:
            urls.append((name, reverse(name, kwargs=demo["kwargs"].get(name, {}))))
    for model in admin_site._registry:
        if model._meta.app_label not in {"members", "meetings", "coordination"}:
            continue
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        first = model._default_manager.order_by("pk").first()
        for page in ADMIN_PAGES:
            if page == "change":
                if first is not None:
                    urls.append((f"{info}_change", reverse(f"{info}_change", args=[first.pk])))
            else:
                urls.append((f"{info}_{page}", reverse(f"{info}_{page}")))
    return urls


def _people_texts() -> tuple[str, ...]:
    """Every text typed into the database by people (and the demo), longest first."""
    texts: set[str] = set()
    for model in [
        *apps.get_app_config("members").get_models(),
        *apps.get_app_config("meetings").get_models(),
        *apps.get_app_config("coordination").get_models(),
    ]:
        fields = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, (models.CharField, models.TextField)) and not field.choices
        ]
        for row in model.objects.values_list(*fields):
            values = [value for value in row if isinstance(value, str) and len(value) > 2]
            # As typed, and as a page shows it (a text of several lines read as one line).
            texts.update(values)
            texts.update(" ".join(value.split()) for value in values)
            # Minutes are written in Markdown: the page shows the pieces between the marks.
            for value in values:
                texts.update(
                    piece.strip()
                    for piece in re.split(r"\*\*|__|\n|^[-*] ", value, flags=re.M)
                    if len(piece.strip()) > 2
                )
    texts.update(name for name in User.objects.values_list("name", flat=True) if name)
    return tuple(sorted(texts, key=len, reverse=True))


def _read_every_page(client, demo: dict, language: str, new_texts: NewTexts) -> tuple[dict, set[str]]:
    leaks: dict[str, list[str]] = {}
    seen: set[str] = set()
    people = _people_texts()
    User.objects.update(language=language)
    visitors = [None, demo["member"].user, demo["chair"].user]
    for visitor in visitors:
        client.logout()
        client.cookies["django_language"] = language
        if visitor is not None:
            # A real sign-in: allauth's pages that ask for a recent one open too.
            client.post(reverse("account_login"), {"login": visitor.email, "password": DEMO_PASSWORD})
            client.post(reverse("account_reauthenticate"), {"password": DEMO_PASSWORD})
        for name, url in _urls(demo):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            seen.add(name)
            html = response.content.decode()
            found = english_on_page(html, language, people, new_texts)
            found += [f"informal: {text}" for text in informal_on_page(html, language, people)]
            if language == "fr":
                found += [f"ordinary space: {text}" for text in ordinary_spaces_on_page(html, people)]
            if found:
                who = visitor.email if visitor else "visitor"
                leaks[f"{url} ({who})"] = found
    return leaks, seen


def test_the_page_list_covers_every_named_url():
    named = set(site_pages())
    assert named >= NOT_PAGES, f"no longer exist: {NOT_PAGES - named}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_on_any_page(client, demo, language, monkeypatch):
    new_texts = NewTexts(language).install(monkeypatch)
    leaks, seen = _read_every_page(client, demo, language, new_texts)

    unread = set(site_pages()) - NOT_PAGES - seen
    assert not unread, f"pages no visitor could open: {sorted(unread)}"
    report = "\n".join(f"{url}:\n  " + "\n  ".join(found) for url, found in sorted(leaks.items()))
    assert not leaks, f"English on {len(leaks)} {language} pages:\n{report}"
    # Texts marked for translation that no catalogue lists yet are not leaks of the page, but the
    # translation pass they wait for is part of the change that added them.
    assert not new_texts.texts, (
        f"not in the {language} catalogue (make messages, then translate): {sorted(new_texts.texts)}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_in_says_so_in_the_members_language(client, demo, password, language, monkeypatch):
    new_texts = NewTexts(language).install(monkeypatch)
    user = demo["member"].user
    user.set_password(password)
    user.language = language
    user.save()

    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    assert f'<html lang="{language}">' in response.text
    assert not english_on_page(response.content.decode(), language, _people_texts(), new_texts)
    assert not new_texts.texts, f"not in the {language} catalogue: {sorted(new_texts.texts)}"


def test_the_english_list_knows_the_texts_that_leaked():
    assert english_pattern("nl").search("- Select an option -")
    assert english_pattern("fr").search("Successfully signed in as Anna.")
    assert not english_pattern("nl").search("Agenda")  # the same word in Dutch
