"""Rate limits hold across processes: `gunicorn --workers 3`, as README deploys it, shares one count.

allauth counts sign-in attempts in Django's cache. A cache of each process's own (local memory)
would let every worker allow the whole limit, so the cache is the database's table by default
(or Redis / Valkey through CACHE_URL). This test starts a real three-worker gunicorn on the test
database (on SQLite, copied to a file the workers can open) and sends failed sign-ins from
several connections at once: no more are checked than the limit allows, whichever worker answers.
"""

import http.client
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from coordination.settings import CACHE_TABLE, cache_config
from members.models import User
from tests.make_run import QuickPBKDF2PasswordHasher

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
TOO_MANY = "Too many failed login attempts"
ATTEMPTS = 60
CONNECTIONS = 9


def per_ip(action: str) -> int:
    """The per-IP count of an allauth rate limit as configured, e.g. 10 for "10/m/ip,5/5m/key"."""
    for rule in settings.ACCOUNT_RATE_LIMITS[action].split(","):
        amount, _period, *kind = rule.split("/")
        if kind == ["ip"]:
            return int(amount)
    raise AssertionError(f"no per-IP limit for {action}")


# --- The configuration ------------------------------------------------------------------------


def test_the_default_cache_is_the_database_table():
    assert cache_config("") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
    }


def test_cache_url_names_redis_or_valkey():
    redis = cache_config("redis://cache.internal:6379/1")
    assert redis == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/1",
    }
    assert cache_config("valkey://:secret@cache.internal:6379/0")["LOCATION"] == (
        "redis://:secret@cache.internal:6379/0"
    )
    assert cache_config("valkeys://cache.internal:6380")["LOCATION"] == "rediss://cache.internal:6380"


def test_a_redis_cache_url_counts_in_redis():
    """Against the Redis server on this machine (skipped where none listens): two cache handles, as two
    processes would have, see one count."""
    from django.core.cache.backends.redis import RedisCache

    config = cache_config("redis://127.0.0.1:6379/7")
    first, second = (RedisCache(config["LOCATION"], {}) for _ in range(2))
    try:
        first.set("concerto-test-count", 0, timeout=30)
    except Exception as error:  # any connection error means: no Redis here
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({error})")
    try:
        first.incr("concerto-test-count")
        second.incr("concerto-test-count")
        assert first.get("concerto-test-count") == 2
    finally:
        first.delete("concerto-test-count")


@pytest.mark.parametrize("url", ["memcached://cache:11211", "locmem://", "cache.internal:6379"])
def test_other_cache_urls_stop_the_start(url):
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        cache_config(url)


@pytest.mark.django_db
def test_the_test_database_has_the_cache_table():
    assert CACHE_TABLE in connection.introspection.table_names()


# --- Against a real multi-process server -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(tmp_path: Path) -> str:
    """A URL the server's processes can open to reach the test database (with its cache table)."""
    if connection.vendor == "sqlite":
        # The test database lives in this process's memory: copy it, schema and cache table, to a file.
        path = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        return f"sqlite:///{path}"
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"no multi-process test for {connection.vendor}")


def _environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "EMAIL_")) and name not in {"CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        DEBUG="1",  # plain HTTP and static files from the finders; the limits do not depend on it
        DATABASE_URL=database_url,
        VAR_DIR=str(tmp_path / "var"),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1",
    )
    return environment


def _wait_until_serving(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read().decode(errors="replace")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start within 60 seconds")


def _request(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    """One request on a connection of its own: (status, body, Set-Cookie headers)."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        client.request(method, path, body=body or None, headers={"Accept-Language": "en", **(headers or {})})
        response = client.getresponse()
        return (
            response.status,
            response.read().decode(errors="replace"),
            response.msg.get_all("Set-Cookie") or [],
        )
    finally:
        client.close()


def _people(count: int) -> list[str]:
    """Accounts to sign in to with a wrong password, one per attempt (so that only the per-IP
    limits apply). Their hashes are quick to check: the server verifies with the stored rounds."""
    password = QuickPBKDF2PasswordHasher().encode("the-right-password", QuickPBKDF2PasswordHasher().salt())
    users = [
        User(email=f"person{n}@example.org", name=f"Person {n}", password=password) for n in range(count)
    ]
    return [user.email for user in User.objects.bulk_create(users)]


@pytest.fixture
def server(tmp_path, transactional_db):
    port = _free_port()
    environment = _environment(tmp_path, _database_url(tmp_path))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "coordination.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_serving(port, process)
        yield port
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


@pytest.fixture
def people(transactional_db) -> list[str]:
    return _people(ATTEMPTS)


def test_failed_sign_ins_are_limited_across_gunicorn_workers(people, server):
    port = server
    status, page, cookies = _request(port, "GET", LOGIN)
    assert status == 200, page[:500]
    csrf_cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def attempt(number: int) -> str:
        # A different account each time: only the per-IP limits apply, not the per-account one.
        body = urlencode(
            {
                "login": people[number],
                "password": "wrong-password-123",
                "csrfmiddlewaretoken": token,
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": csrf_cookie}
        status, text, _cookies = _request(port, "POST", LOGIN, body, headers)
        if status == 429:
            return "429"
        assert status == 200, (status, text[:500])
        return "too many" if TOO_MANY in text else "checked"

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        outcomes = list(pool.map(attempt, range(ATTEMPTS)))

    # Each worker keeping its own count would let up to three times each limit through.
    assert 1 <= outcomes.count("checked") <= per_ip("login_failed"), outcomes
    assert ATTEMPTS - outcomes.count("429") <= per_ip("login"), outcomes
