import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what the test gives: nothing of the test run's own environment leaks in.
    leaks = {
        "SECRET_KEY",
        "DEBUG",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    base = {k: v for k, v in os.environ.items() if k not in leaks}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_code_only_commands_need_no_secret_key():
    result = run_manage("makemigrations", "--check", "--dry-run", DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    # The same environment still refuses to serve or migrate.
    assert run_manage("migrate", "--plan", DEBUG="0").returncode != 0


def test_starts_without_secret_key_in_debug_mode():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_refuses_an_unknown_email_provider():
    result = run_manage("check", DEBUG="1", EMAIL_PROVIDER="carrier-pigeon")
    assert result.returncode != 0
    assert "EMAIL_PROVIDER='carrier-pigeon' is not known" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-long-production-secret-" + "k" * 50,
        SITE_URL="https://concerto.example.be",
        ALLOWED_HOSTS="concerto.example.be",
        EMAIL_PROVIDER="postmark",
        EMAIL_API_KEY="server-token",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_refuses_an_openid_connect_provider_without_its_secret():
    result = run_manage(
        "check",
        DEBUG="1",
        OIDC_PROVIDERS="entra",
        OIDC_ENTRA_SERVER_URL="https://login.example.com/tenant/v2.0",
        OIDC_ENTRA_CLIENT_ID="client",
    )
    assert result.returncode != 0
    assert "OIDC provider 'entra' needs OIDC_ENTRA_SECRET." in result.stderr


def test_refuses_a_required_domain_without_its_provider():
    result = run_manage(
        "check",
        DEBUG="1",
        OIDC_PROVIDERS="entra,fas",
        OIDC_ENTRA_SERVER_URL="https://login.example.com/tenant/v2.0",
        OIDC_ENTRA_CLIENT_ID="client",
        OIDC_ENTRA_SECRET="secret",
        OIDC_FAS_SERVER_URL="https://idp.example.be",
        OIDC_FAS_CLIENT_ID="client",
        OIDC_FAS_SECRET="secret",
        OIDC_REQUIRED_DOMAINS="fgov.be",
    )
    assert result.returncode != 0
    assert "OIDC_REQUIRED_DOMAINS: 'fgov.be' must name one of OIDC_PROVIDERS" in result.stderr


def test_openid_connect_providers_come_from_the_environment():
    from coordination.settings import oidc_apps, oidc_required_domains

    env = {
        "OIDC_PROVIDERS": "entra, fas-csam",
        "OIDC_ENTRA_NAME": "Microsoft Entra ID",
        "OIDC_ENTRA_SERVER_URL": "https://login.example.com/tenant/v2.0/",
        "OIDC_ENTRA_CLIENT_ID": "client-1",
        "OIDC_ENTRA_SECRET": "secret-1",
        "OIDC_ENTRA_MFA": "1",
        "OIDC_FAS_CSAM_SERVER_URL": "https://idp.example.be",
        "OIDC_FAS_CSAM_CLIENT_ID": "client-2",
        "OIDC_FAS_CSAM_SECRET": "secret-2",
        "OIDC_REQUIRED_DOMAINS": "FGOV.be=fas-csam,vlaanderen.be=entra",
    }
    apps = oidc_apps(env)
    assert [(a["provider_id"], a["name"], a["client_id"]) for a in apps] == [
        ("entra", "Microsoft Entra ID", "client-1"),
        ("fas-csam", "fas-csam", "client-2"),
    ]
    assert apps[0]["settings"]["server_url"] == "https://login.example.com/tenant/v2.0"
    assert [a["settings"]["mfa_trusted"] for a in apps] == [True, False]
    assert oidc_required_domains(env, ["entra", "fas-csam"]) == {"fgov.be": "fas-csam", "vlaanderen.be": "entra"}
