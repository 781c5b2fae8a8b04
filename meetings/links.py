"""Links and addresses that reach one invitee: the signed one-click answer links, the meeting's
page, and the per-invitation ORGANIZER address calendar answers come back to.

Reads only. The one-click links carry a signed token (`answer_token`) bound to one invitation
and its meeting; it stops working when the meeting ends (`invitation_from_token`). The
organizer address (`organizer_address`) carries the invitation's pk and a MAC, so a calendar
answer cannot be forged for someone else's invitation.
"""

import re
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy

from meetings.invitees import ANSWER_ACTIONS, answers_for
from meetings.models import Invitation, Meeting

TOKEN_SALT = "meetings.rsvp"  # noqa: S105 (a namespace for signatures, not a secret)


class Problem(StrEnum):
    """Why a one-click link does not work."""

    INVALID = "invalid"  # tampered, made up, or signed for something else
    EXPIRED = "expired"  # the meeting has ended
    REMOVED = "removed"  # the invitee is no longer invited
    CANCELLED = "cancelled"  # the meeting is cancelled


PROBLEM_TEXTS = {
    Problem.INVALID: (
        gettext_lazy("This link does not work"),
        gettext_lazy(
            "The link is incomplete or was changed. Open it again from the invitation email, "
            "or answer on the meeting page after signing in."
        ),
    ),
    Problem.EXPIRED: (
        gettext_lazy("This meeting is over"),
        gettext_lazy("The meeting has ended: answers can no longer be given or changed."),
    ),
    Problem.REMOVED: (
        gettext_lazy("You are no longer invited"),
        gettext_lazy(
            "You are no longer on the list of invitees of this meeting, so there is nothing to answer."
        ),
    ),
    Problem.CANCELLED: (
        gettext_lazy("This meeting is cancelled"),
        gettext_lazy("The meeting was cancelled, so there is nothing to answer."),
    ),
}


def answer_token(invitation: Invitation) -> str:
    """The signed token of the invitation's one-click links: its pk and its meeting's pk."""
    return signing.dumps([invitation.pk, invitation.meeting_id], salt=TOKEN_SALT, compress=False)


def invitation_from_token(token: str) -> tuple[Invitation | None, Problem | None]:
    """(invitation, None) when the token works now; else (the invitation if known, the problem).

    The token has no age limit of its own: it works until the meeting ends.
    """
    try:
        value = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None, Problem.INVALID
    if not (
        isinstance(value, list) and len(value) == 2 and all(type(part) is int and part > 0 for part in value)
    ):
        return None, Problem.INVALID
    invitation_pk, meeting_pk = value
    invitation = (
        Invitation.objects.select_related(
            "meeting__group", "meeting__organiser__user", "member__user", "member__administration"
        )
        .filter(pk=invitation_pk, meeting_id=meeting_pk)
        .first()
    )
    if invitation is None:
        return None, Problem.INVALID
    if invitation.meeting.is_cancelled:
        return invitation, Problem.CANCELLED
    if invitation.removed_at is not None or (invitation.member_id and not invitation.member.is_active):
        return invitation, Problem.REMOVED
    if invitation.meeting.ends_at <= timezone.now():
        return invitation, Problem.EXPIRED
    return invitation, None


def answer_url(invitation: Invitation, answer: str = "") -> str:
    """The absolute one-click link, the answer pre-selected when given."""
    url = settings.SITE_URL + reverse("meetings:answer", args=[answer_token(invitation)])
    return f"{url}?a={answer}" if answer else url


def answer_links(invitation: Invitation) -> list[dict]:
    """[{"answer", "label", "url"}] for Accept, Tentative, Decline and (if allowed) Send a substitute.

    Labels are lazy: they render in the language active when the email is rendered.
    """
    base = answer_url(invitation)
    return [{**link, "url": f"{base}?a={link['answer']}"} for link in answer_links_unsigned(invitation)]


def answer_links_unsigned(invitation: Invitation) -> list[dict]:
    """[{"answer", "label"}]: the answers of `answer_links`, without their signed URLs."""
    return [{"answer": answer, "label": ANSWER_ACTIONS[answer]} for answer in answers_for(invitation)]


ORGANIZER_SALT = "meetings.itip.organizer"


MAC_LENGTH = 20  # hex characters: 80 bits


ORGANIZER_TAG = re.compile(rf"^([1-9]\d{{0,17}})\.([0-9a-f]{{{MAC_LENGTH}}})$")


MAX_LOCAL_PART = 64  # RFC 5321 4.5.3.1.1


def email_address(value: object) -> str:
    """The bare, lower-case address of "mailto:x@y", "Name <x@y>" or "x@y"; "" if there is none."""
    text = str(value or "").strip()
    match = re.search(r"<([^<>]+)>", text)
    if match:
        text = match.group(1)
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    text = text.strip().lower()
    return text if text.isprintable() and re.fullmatch(r"[^@\s]+@[^@\s]+", text) else ""


def _organizer_parts() -> tuple[str, str]:
    local, _at, domain = settings.CALENDAR_ORGANIZER_EMAIL.strip().rpartition("@")
    return local, domain


def _organizer_mac(invitation_id: int, secret: str | None = None) -> str:
    digest = salted_hmac(ORGANIZER_SALT, f"{invitation_id}", secret=secret, algorithm="sha256")
    return digest.hexdigest()[:MAC_LENGTH]


def organizer_address(invitation: Invitation) -> str:
    """The ORGANIZER address of this invitation's calendar files: `<local>+<pk>.<mac>@<domain>`.

    Lower-case throughout (the MAC is lower-case hex), so mail systems that lower-case
    addresses keep it valid.
    """
    if invitation.pk is None:
        raise ValueError("An unsaved invitation has no organizer address.")
    local, domain = _organizer_parts()
    address_local = f"{local}+{invitation.pk}.{_organizer_mac(invitation.pk)}"
    if len(address_local) > MAX_LOCAL_PART:
        raise ImproperlyConfigured(
            f"CALENDAR_ORGANIZER_EMAIL's local part {local!r} is too long: with the per-invitation "
            f"tag it must stay within {MAX_LOCAL_PART} characters (keep it to 24 or fewer)."
        )
    return f"{address_local}@{domain}".lower()


def invitation_id_from_organizer_address(address: str) -> int | None:
    """The pk of the invitation whose organizer address this is; None if it is not a valid one.

    The MAC is checked in constant time, against SECRET_KEY and then SECRET_KEY_FALLBACKS (so
    calendar files sent before a key rotation keep working until the old key is dropped).
    """
    bare = email_address(address)
    local, domain = _organizer_parts()
    prefix = f"{local}+".lower()
    address_local, _at, address_domain = bare.rpartition("@")
    if address_domain != domain.lower() or not address_local.startswith(prefix):
        return None
    match = ORGANIZER_TAG.match(address_local[len(prefix) :])
    if match is None:
        return None
    invitation_id, mac = int(match.group(1)), match.group(2)
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(mac, _organizer_mac(invitation_id, key)) for key in keys):
        return invitation_id
    return None


def meeting_url(meeting: Meeting) -> str:
    """The meeting page: agenda, documents and the answer buttons."""
    return settings.SITE_URL + reverse("meetings:detail", args=[meeting.pk])
