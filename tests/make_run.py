"""Run Concerto's commands the way `make run` does: its environment, its processes, its mail folder.

Nothing of the test run's own settings leaks in (tests/environment.py sets production-like
values): the environment is the one the Makefile exports, asked from make itself.
"""

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from django.contrib.auth.hashers import PBKDF2PasswordHasher

ROOT = Path(__file__).resolve().parents[1]
# What the test run sets for itself and a developer's shell does not have.
TEST_ONLY = {
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "DATABASE_URL",
    "VAR_DIR",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "ANYMAIL_WEBHOOK_SECRET",
    "DEFAULT_FROM_EMAIL",
    "PORT",
    "HOST",
}


def make_run_environment(var_dir: Path, **make_variables: str) -> dict[str, str]:
    """The environment `make run` gives the server and the worker, with VAR_DIR in a temporary folder.

    `make_variables` are given on make's command line, as in `make run PORT=8001`.
    """
    base = {
        name: value
        for name, value in os.environ.items()
        if name not in TEST_ONLY and not name.startswith(("EMAIL_", "PYTEST_"))
    }
    base["VAR_DIR"] = str(var_dir)
    assignments = [f"{name}={value}" for name, value in make_variables.items()]
    printed = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "run-environment",
            *assignments,
        ],
        cwd=ROOT,
        env=base,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    environment = dict(item.split("=", 1) for item in printed.decode().split("\0") if "=" in item)
    return {name: value for name, value in environment.items() if not name.startswith(("MAKE", "MFLAGS"))}


def manage(environment: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run a manage.py command in that environment; fails the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def start(environment: dict[str, str], *args: str) -> subprocess.Popen:
    """Start a long-running manage.py command (server, worker) in its own process group."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> str:
    """Stop a process started with start() (and its children); returns what it printed."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)
    return process.stdout.read().decode(errors="replace") if process.stdout else ""


def read_mail_folder(folder: Path) -> list[EmailMessage]:
    """Every .eml file in the folder, parsed back with the standard library."""
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


@functools.cache
def _seeded_template() -> Path:
    """A VAR_DIR holding what `make run` sets up: the migrated SQLite database and the demo platform.

    Built once per test run, then copied for each test.
    """
    template = Path(tempfile.mkdtemp(prefix="concerto-make-run-"))
    environment = make_run_environment(template)
    manage(environment, "migrate", "--noinput", "--verbosity", "0")
    manage(environment, "createcachetable", "--verbosity", "0")
    manage(environment, "shell", "--no-imports", "-c", SEED_DEMO, timeout=300)
    return template


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's own PBKDF2 with fewer rounds: the server verifies its hashes (the count is stored in
    each) and the demo loads in seconds instead of a minute of hashing."""

    iterations = 1000


SEED_DEMO = f"""
from django.conf import settings
from django.core.management import call_command

settings.PASSWORD_HASHERS = ["{__name__}.{QuickPBKDF2PasswordHasher.__name__}"]
call_command("seed_demo")
"""


def seeded_var_dir(var_dir: Path) -> None:
    """Fill var_dir (empty or missing) with a fresh copy of the demo platform's database and files."""
    shutil.copytree(_seeded_template(), var_dir, dirs_exist_ok=True)
