"""The production settings plus the bench's floor view (tests/bench/urls.py); nothing else changes."""

from coordination.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
