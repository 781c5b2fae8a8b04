"""Start the test OpenID Connect provider (serve.py) as its own process, and sign in at it.

Concerto's side runs in the test client; its calls to the provider (discovery, token, userinfo,
keys) are real HTTP to 127.0.0.1, and so are the browser's steps at the provider (sign-in
form, authorization), made with `requests`.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_ID = "test-idp"
CLIENT_ID = "concerto-client"
CLIENT_SECRET = "concerto-client-secret"
CALLBACK = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    def __init__(self, process: subprocess.Popen, url: str) -> None:
        self.process = process
        self.url = url  # the issuer: allauth's server_url

    def env(self, name: str = "Test IdP", **extra: str) -> dict[str, str]:
        """The environment variables an operator would set for this provider."""
        prefix = f"OIDC_{PROVIDER_ID.upper().replace('-', '_')}_"
        return {
            "OIDC_PROVIDERS": PROVIDER_ID,
            prefix + "NAME": name,
            prefix + "SERVER_URL": self.url,
            prefix + "CLIENT_ID": CLIENT_ID,
            prefix + "SECRET": CLIENT_SECRET,
            **extra,
        }


def start_provider(tmp_dir: Path, users: list[dict]) -> Provider:
    port = _free_port()
    setup = {
        "client_id": CLIENT_ID,
        "secret": CLIENT_SECRET,
        "redirect_uris": [f"http://testserver{CALLBACK}", f"https://testserver{CALLBACK}"],
        "users": users,
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
        "OIDC_PROVIDER_DB": str(tmp_dir / "provider.sqlite3"),
        "OIDC_PROVIDER_PORT": str(port),
        "OIDC_PROVIDER_SETUP": json.dumps(setup),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_dir / "provider.log", "w"),  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}/o"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("The test provider stopped: " + (tmp_dir / "provider.log").read_text())
        try:
            if requests.get(url + "/.well-known/openid-configuration", timeout=2).status_code == 200:
                return Provider(process, url)
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("The test provider did not start: " + (tmp_dir / "provider.log").read_text())


def stop_provider(provider: Provider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        provider.process.kill()


def authorize_at_provider(authorize_url: str, username: str, password: str) -> str:
    """The browser at the provider: sign in there and follow its redirects back to Concerto.

    Returns the path and query of Concerto's callback (code and state)."""
    browser = requests.Session()
    url = authorize_url
    for _step in range(10):
        if urlsplit(url).hostname == "testserver":
            parts = urlsplit(url)
            return f"{parts.path}?{parts.query}"
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="password"' in response.text:
            response = browser.post(
                url,
                data={
                    "username": username,
                    "password": password,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                    "next": _next_of(url),
                },
                headers={"Referer": url},
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code in (301, 302), (response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
    raise AssertionError("Too many redirects at the provider")


def _next_of(url: str) -> str:
    from urllib.parse import parse_qs

    return parse_qs(urlsplit(url).query).get("next", ["/"])[0]


def sign_in_with_provider(client, username: str, password: str, process: str = "login"):
    """The whole authorization-code flow: Concerto's button, the provider, Concerto's callback.

    Returns Concerto's answer to the callback."""
    start = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/", {"process": process})
    assert start.status_code == 302, start.status_code
    assert start["Location"].startswith("http://127.0.0.1:"), start["Location"]
    return client.get(authorize_at_provider(start["Location"], username, password))
