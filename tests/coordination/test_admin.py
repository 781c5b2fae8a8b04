"""The admin covers every model, and each changelist, search and filter answers."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
OURS = ("members", "meetings", "coordination")


def test_every_model_of_ours_is_in_the_admin():
    missing = [
        model._meta.label
        for app in OURS
        for model in apps.get_app_config(app).get_models()
        if model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize(
    "model", [m for app in OURS for m in apps.get_app_config(app).get_models()], ids=lambda m: m._meta.label
)
def test_changelist_with_search_and_filters_answers(client, model):
    from meetings.demo import load_demo_meetings
    from members.demo import load_demo_platform

    load_demo_platform()
    load_demo_meetings()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    model_admin = admin.site._registry[model]
    if model_admin.search_fields:
        assert client.get(url, {"q": "a"}).status_code == 200
