"""Versions of what pages show about people and administrations: names, acronyms, who belongs
to which administration.

Pages that keep rendered parts (the meeting page's invitee table, agenda presenters and history
authors: meetings/page_parts.py) put the directory version in their key, so that renaming a
member or an administration renders them anew everywhere at once, without finding every
meeting such a name appears on.

The version is a row in the database (members.models.Version), raised in the transaction that
saves or deletes a user's name, a member or an administration: a reader sees the new number
exactly when it sees the new names, and reads it in the same query as its other validators
(`directory_version_query`).
"""

from django.db.models import F, QuerySet

from members.models import Version

DIRECTORY = "directory"

# What such pages show of a user and of a member: a save naming other fields only (sign-in
# bookkeeping, a remembered time zone, a language) leaves the version as it is.
_SHOWN = {
    "User": frozenset({"name", "is_active"}),
    "Member": frozenset({"administration", "administration_id", "user", "user_id"}),
}


def directory_version_query() -> QuerySet:
    """The directory version as a one-value query, to use as a subquery."""
    return Version.objects.filter(name=DIRECTORY).values("value")[:1]


def directory_version() -> int:
    return Version.objects.filter(name=DIRECTORY).values_list("value", flat=True).first() or 0


def directory_changed() -> None:
    """A name, an acronym or an administration changed: pages showing them render anew."""
    if not Version.objects.filter(name=DIRECTORY).update(value=F("value") + 1):
        Version.objects.get_or_create(name=DIRECTORY, defaults={"value": 1})


def on_directory_row_changed(sender, update_fields=None, **kwargs) -> None:
    """post_save / post_delete of a user, member or administration."""
    shown = _SHOWN.get(sender.__name__)
    if shown is not None and update_fields is not None and not shown.intersection(update_fields):
        return
    directory_changed()
