import pytest

from members.models import Membership
from tests.factories import GroupFactory, UserFactory, make_member
from tests.smtp import smtp_server  # noqa: F401  (a fixture: a real SMTP server on 127.0.0.1)

PASSWORD = "correct-horse-battery-staple"
Role = Membership.Role


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings):
    """A fast password hasher, and background tasks run at once unless a test says otherwise."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # Tests do not run collectstatic: serve static names as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_local_cache():
    """The visit throttle starts empty in each test.

    The default cache is the database's, as in production: its rows (rate-limit counters) go
    with each test's transaction. The per-process "local" cache and the meeting page's kept parts
    outlive tests (and a rolled-back test's primary keys come again), so they are cleared.
    """
    from django.core.cache import caches

    from meetings.page_parts import parts_cache

    caches["local"].clear()
    parts_cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in English: a request in another test must not leave its language behind."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory(password=PASSWORD)


# Personas: one group, and people with each role in it; `outsider` belongs to another group.
@pytest.fixture
def group(db):
    return GroupFactory()


@pytest.fixture
def other_group(db):
    return GroupFactory()


@pytest.fixture
def chair(group):
    return make_member(group, Role.CHAIR, language="nl")


@pytest.fixture
def secretariat(group):
    return make_member(group, Role.SECRETARIAT, language="fr")


@pytest.fixture
def focal_point(group):
    """An ordinary member: reads and answers."""
    return make_member(group, Role.MEMBER, language="en")


@pytest.fixture
def observer(group):
    return make_member(group, Role.OBSERVER, language="de")


@pytest.fixture
def outsider(other_group):
    return make_member(other_group, Role.CHAIR, language="en")
