"""A version of what pages show about people and administrations: names, acronyms, who belongs
to which administration.

Pages that keep rendered parts (the meeting page's invitee table and agenda presenters) put
`directory_version()` in their key, so that renaming a member or an administration renders them
anew everywhere at once, without finding every meeting such a name appears on.

The version lives in the shared cache (every web process sees it) and changes when a user's
name, a member or an administration is saved or deleted. It changes twice: at once, so that the
process doing the change sees it, and again after the transaction commits, so that a page
rendered by another process between the two (from the names before the commit) is not kept
under the new version.
"""

import secrets

from django.core.cache import cache
from django.db import transaction

KEY = "members:directory-version"

# What such pages show of a user and of a member: a save naming other fields only (sign-in
# bookkeeping, a remembered time zone) leaves the version as it is.
_SHOWN = {
    "User": frozenset({"name", "is_active"}),
    "Member": frozenset({"administration", "administration_id", "user", "user_id"}),
}


def directory_version() -> str:
    """The current version (made on first use, or after the cache lost it)."""
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(KEY) or ""
    return version


def directory_changed() -> None:
    """A name, an acronym or an administration changed: pages showing them render anew."""
    cache.set(KEY, secrets.token_hex(8), timeout=None)
    transaction.on_commit(lambda: cache.set(KEY, secrets.token_hex(8), timeout=None))


def on_directory_row_changed(sender, update_fields=None, **kwargs) -> None:
    """post_save / post_delete of a user, member or administration."""
    shown = _SHOWN.get(sender.__name__)
    if shown is not None and update_fields is not None and not shown.intersection(update_fields):
        return
    directory_changed()
