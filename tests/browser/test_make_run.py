"""The site as `make run` serves it: a real server and worker, the demo platform, emails as .eml files."""

import socket
import sqlite3
import time
import urllib.request
from contextlib import closing

import pytest

from members.demo import DEMO_PASSWORD
from tests.make_run import make_run_environment, read_mail_folder, seeded_var_dir, start, stop

pytestmark = pytest.mark.browser


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, processes, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if any(process.poll() is not None for process in processes):
            break
        time.sleep(0.2)
    pytest.fail("The server did not start:\n" + "\n".join(stop(process) for process in processes))


def query(database, sql: str, *params):
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute(sql, params).fetchall()


def test_chair_circulates_on_make_run_and_every_invitee_gets_an_eml_file(browser, tmp_path):
    var_dir = tmp_path / "var"
    seeded_var_dir(var_dir)
    port = free_port()
    environment = make_run_environment(var_dir, PORT=str(port))
    site = f"http://127.0.0.1:{port}"
    database = var_dir / "concerto.sqlite3"
    [(plenary,)] = query(
        database,
        "SELECT id FROM meetings_meeting WHERE kind = 'plenary' AND status = 'scheduled' AND circulated_at IS NULL",
    )

    # The two processes `make run` starts for the site: the worker and the server.
    worker = start(environment, "run_worker", "--interval", "1")
    server = start(environment, "runserver", "--noreload", f"127.0.0.1:{port}")
    context = browser.new_context(base_url=site, locale="en-GB")
    try:
        wait_until_serving(f"{site}/healthz", [server, worker])
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill("chair@example.org")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.get_by_label("Password").press("Enter")

        page.goto(f"/meetings/{plenary}/circulate/")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()

        # The sending's page follows the emails out, without reloading.
        assert "/members/outbox/" in page.url
        assert page.get_by_role("status").count() == 1
        page.locator("#outbox-live[data-pending='0']").wait_for(timeout=25_000)
    finally:
        context.close()
        worker_output = stop(worker)
        stop(server)

    rows = query(
        database,
        "SELECT to_email, subject, language, status FROM members_outboundmessage WHERE batch LIKE ?",
        f"meeting-{plenary}-%",
    )
    assert rows and {status for *_rest, status in rows} == {"sent"}, worker_output
    messages = {message["To"]: message for message in read_mail_folder(var_dir / "mail")}
    assert len(messages) == len(rows)  # one .eml file per invitee
    for to_email, subject, language, _status in rows:
        message = messages[to_email]
        assert message["Subject"] == subject
        assert message["Content-Language"] == language
        calendar_part = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
        assert "METHOD:REQUEST" in calendar_part.get_content()
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f"{site}/" in text  # links lead to the port the site was started on
