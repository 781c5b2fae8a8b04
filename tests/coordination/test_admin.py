"""The admin covers every model, and each changelist, search and filter answers."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
OURS = ("members", "meetings", "coordination")


def our_models(app: str) -> list:
    """The app's models, without django-simple-history's history tables (never edited, so not in the admin)."""
    return [m for m in apps.get_app_config(app).get_models() if not hasattr(m, "instance_type")]


def test_every_model_of_ours_is_in_the_admin():
    missing = [
        model._meta.label
        for app in OURS
        for model in our_models(app)
        if model not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize(
    "model", [m for app in OURS for m in our_models(app)], ids=lambda m: m._meta.label
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


def test_commitment_changelists_answer_with_the_demo_rows(client, django_assert_max_num_queries):
    # The test above runs on the demo platform and meetings only: here the commitment models have rows.
    from coordination.demo import load_demo_commitments
    from meetings.demo import load_demo_meetings
    from members.demo import load_demo_platform

    load_demo_platform()
    load_demo_meetings()
    assert load_demo_commitments() > 0
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in our_models("coordination"):
        url = reverse(f"admin:coordination_{model._meta.model_name}_changelist")
        # list_select_related covers what each row prints: no query per row (measured: 5 or 6
        # with up to 300 rows; the demo has no evidence and no reminders sent).
        with django_assert_max_num_queries(6):
            response = client.get(url)
        assert response.status_code == 200, model._meta.label
