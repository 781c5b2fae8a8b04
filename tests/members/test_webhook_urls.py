"""Provider webhooks: only the configured provider's are mounted, and none ever answers 500."""

import base64
import json

import pytest
from anymail import urls as anymail_urls
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

SECRET = "hook:test-webhook-secret"  # tests/environment.py
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(SECRET.encode()).decode()}
FUZZ = hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _route(pattern) -> str:
    """A path the pattern matches, under /anymail/: "/anymail/mailgun/inbound/" for "^mailgun/inbound(_mime)?/$"."""
    return "/anymail/" + str(pattern.pattern).lstrip("^").rstrip("$").replace("(_mime)?", "")


def _provider(path: str) -> str:
    """The EMAIL_PROVIDER a URL belongs to: its first segment; "" for Brevo's old Sendinblue alias."""
    name = path.split("/")[2]
    return "" if name == "sendinblue" else name


# Every URL anymail offers (27), and the provider it belongs to.
EVERY_URL = [(_route(p), _provider(_route(p))) for p in anymail_urls.urlpatterns]
MOUNTED = [(path, provider) for path, provider in EVERY_URL if provider]
PROVIDERS = sorted({provider for _path, provider in MOUNTED})


def test_every_anymail_url_is_known():
    assert len(EVERY_URL) == 27
    # Only the old Sendinblue alias of Brevo belongs to no provider one can configure.
    assert {path for path, provider in EVERY_URL if not provider} == {
        "/anymail/sendinblue/inbound/",
        "/anymail/sendinblue/tracking/",
    }


@pytest.mark.parametrize("provider", ["file", "smtp", "console", "scaleway"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_without_a_webhook_provider_every_anymail_url_is_404(client, settings, provider, method):
    settings.EMAIL_PROVIDER = provider
    for path, _provider in EVERY_URL:
        if method == "get":
            response = client.get(path, **AUTH)
        else:
            response = client.post(path, data=b"{}", content_type="application/json", **AUTH)
        assert response.status_code == 404, path


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_the_configured_providers_urls_answer(client, settings, provider):
    settings.EMAIL_PROVIDER = provider
    for path, owner in EVERY_URL:
        response = client.post(path, data=b"", content_type="application/json")
        if owner == provider:
            assert 400 <= response.status_code < 500 and response.status_code != 404, path
        else:
            assert response.status_code == 404, path


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "provider"), MOUNTED)
def test_configured_webhook_answers_a_get_or_an_anonymous_post_with_a_4xx(settings, path, provider):
    settings.EMAIL_PROVIDER = provider
    client = Client(raise_request_exception=False)

    responses = [
        client.get(path),
        client.post(path, data=b"{}", content_type="application/json"),
        client.post(path, data={"event": "x"}),
    ]

    assert [r.status_code for r in responses if not 400 <= r.status_code < 500] == []


bodies = st.one_of(
    st.binary(max_size=400),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "provider"), MOUNTED)
def test_garbage_with_valid_credentials_never_gives_a_server_error(settings, path, provider):
    settings.EMAIL_PROVIDER = provider
    client = Client(raise_request_exception=False)
    notorious = [b"", b"{", b"[]", b"null", b'{"Type": 1}', b"\xff\xfe\x00", b"[{}]", b'{"events": [{}]}']

    for body in notorious:
        response = client.post(path, data=body, content_type="application/json", **AUTH)
        assert response.status_code < 500, (path, body)

    @FUZZ
    @given(body=bodies, form=st.booleans())
    def check(body, form):
        content_type = "application/x-www-form-urlencoded" if form else "application/json"
        response = client.post(path, data=body, content_type=content_type, **AUTH)
        assert response.status_code < 500, (path, body)

    check()
