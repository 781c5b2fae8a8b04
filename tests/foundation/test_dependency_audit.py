"""bin/audit-dependencies, which CI runs before the tests: a known vulnerability fails, an advisory
service out of reach is said on one line and passes, a file pip-audit cannot read fails."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bin" / "audit-dependencies"
# Django 3.2.0 has many published advisories (CVE-2021-31542 among the first).
VULNERABLE = "django==3.2.0\n"
ADVISORY = {
    "id": "GHSA-rxjp-mfm9-w4wr",
    "aliases": ["CVE-2021-31542"],
    "summary": "Potential directory traversal via uploaded files",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.2"}, {"fixed": "3.2.1"}]}],
        }
    ],
}
UNREACHABLE = "http://127.0.0.1:9/v1/query"  # the discard port: nothing listens there


def run_audit(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture
def pins(tmp_path):
    def write(text: str) -> str:
        path = tmp_path / "requirements.txt"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def fake_osv():
    """A local OSV service that knows one advisory, for django 3.2.0; its query address."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(query)
            hit = query["package"]["name"] == "django" and query["version"] == "3.2.0"
            body = json.dumps({"vulns": [ADVISORY]} if hit else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", asked
    server.shutdown()
    server.server_close()


def test_a_known_vulnerability_fails_and_is_named(pins, fake_osv):
    url, asked = fake_osv
    result = run_audit(pins(VULNERABLE), "--service", "osv", "--osv-url", url)
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "django 3.2.0:" in line)
    assert "GHSA-rxjp-mfm9-w4wr" in line and "CVE-2021-31542" in line and "(fixed in: 3.2.1)" in line
    assert asked == [{"package": {"name": "django", "ecosystem": "PyPI"}, "version": "3.2.0"}]


def test_pins_without_known_vulnerabilities_pass(pins, fake_osv):
    url, _asked = fake_osv
    result = run_audit(pins("django==6.1.3\nrequests==2.33.0\n"), "--service", "osv", "--osv-url", url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no known vulnerability in 2 packages" in result.stdout


def test_an_unreachable_osv_service_is_said_and_passes(pins):
    result = run_audit(pins(VULNERABLE), "--service", "osv", "--osv-url", UNREACHABLE, "--timeout", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Dependency audit skipped:")
    assert "osv: cannot be reached" in result.stdout


def test_an_unreachable_pypi_service_is_said_and_passes(pins):
    # Every request goes through a proxy address where nothing listens: as good as no network.
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in {"no_proxy", "https_proxy", "http_proxy", "all_proxy"}
    }
    env |= {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    result = run_audit(pins(VULNERABLE), "--service", "pypi", "--timeout", "5", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Dependency audit skipped:")
    assert "pypi: cannot be reached" in result.stdout


def test_a_file_pip_audit_cannot_read_fails(pins, fake_osv):
    url, _asked = fake_osv
    result = run_audit(pins("django ===\n"), "--service", "osv", "--osv-url", url)
    assert result.returncode == 2
    assert result.stdout.startswith("Dependency audit failed:")


def test_a_missing_file_fails(tmp_path):
    result = run_audit(str(tmp_path / "nothing.lock"))
    assert result.returncode == 2
    assert "no such file" in result.stdout


def test_the_real_advisory_services_know_django_3_2_0(pins):
    """Against the real services; skipped, saying why, on a machine that cannot reach them."""
    result = run_audit(pins(VULNERABLE), "--timeout", "20")
    if result.returncode == 0 and result.stdout.startswith("Dependency audit skipped:"):
        pytest.skip(f"the advisory services cannot be reached from here: {result.stdout.strip()}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "django 3.2.0:" in result.stdout


def test_ci_audits_the_lock_files_before_the_tests():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bin/audit-dependencies" in run
    assert run.index("bin/audit-dependencies") < run.index("make test\n")
    dev_lock = (ROOT / "requirements-dev.lock").read_text(encoding="utf-8")
    assert "\npip-audit==" in dev_lock
