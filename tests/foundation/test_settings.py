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
