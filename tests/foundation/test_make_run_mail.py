"""Email as `make run` configures it: DEBUG=1, no EMAIL_PROVIDER (the `file` mailer writing .eml files
under VAR_DIR/mail), the database task queue and the real `manage.py db_worker` process."""

import json
import re
import subprocess

from tests.make_run import ROOT, make_run_environment, manage, read_mail_folder, seeded_var_dir

CIRCULATE = """
import json
from django.conf import settings
from meetings import circulation
from meetings.models import Meeting
from core.i18n import localized
from members.models import Member
from members.outbox import OutboundMessage

meeting = Meeting.objects.filter(kind=Meeting.Kind.PLENARY).upcoming().get()
chair = Member.objects.get(user__email="chair@example.org")
queued = circulation.circulate_agenda(meeting=meeting, by=chair)
print(json.dumps({
    "queued": queued,
    "meeting": meeting.pk,
    "from": settings.DEFAULT_FROM_EMAIL,
    "site_url": settings.SITE_URL,
    "uid": f"meeting-{meeting.pk}@",
    "rows": OutboundMessage.objects.filter(batch__startswith=f"meeting-{meeting.pk}-").count(),
}))
"""


# The rows the worker wrote for the circulation (run after it).
ROWS = """
import json
from core.i18n import localized
from meetings.models import Meeting
from members.outbox import OutboundMessage

meeting = Meeting.objects.get(pk=%d)
rows = OutboundMessage.objects.filter(batch__startswith=f"meeting-{meeting.pk}-")
print(json.dumps([
    {
        "to": row.to_email,
        "language": row.language,
        "subject": row.subject,
        "message_id": row.message_id,
        "title": localized(meeting, "title", row.language),
    }
    for row in rows
]))
"""


def parts(message) -> dict[str, str]:
    """{content type: decoded text} of every leaf part."""
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


def test_circulating_writes_one_readable_eml_per_invitee_through_the_worker(tmp_path):
    var_dir = tmp_path / "var"
    seeded_var_dir(var_dir)
    environment = make_run_environment(var_dir)
    assert "EMAIL_PROVIDER" not in environment and environment["DEBUG"] == "1"

    sent = json.loads(
        manage(environment, "shell", "--no-imports", "-c", CIRCULATE).stdout.strip().splitlines()[-1]
    )
    mail = var_dir / "mail"
    # The request records the decision and queues one task: the worker writes the emails.
    assert sent["queued"] >= 3 and sent["rows"] == 0
    assert not list(mail.glob("*.eml"))  # nothing is written before the worker runs

    manage(environment, "db_worker", "--batch", "--no-startup-delay", "--no-reload")
    sent["rows"] = json.loads(
        manage(environment, "shell", "--no-imports", "-c", ROWS % sent["meeting"]).stdout.strip().splitlines()[-1]
    )
    assert len(sent["rows"]) == sent["queued"]

    raw = {path.name: path.read_bytes() for path in mail.glob("*.eml")}
    messages = {message["To"]: message for message in read_mail_folder(mail)}
    assert len(raw) == len(messages) == len(sent["rows"])  # one file each, nobody twice
    assert {row["language"] for row in sent["rows"]} >= {"nl", "fr"}
    for data in raw.values():
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
        assert max(len(line) for line in data.split(b"\r\n")) <= 998
    for row in sent["rows"]:
        message = messages[row["to"]]
        assert message["From"] == sent["from"]
        assert message["Subject"] == row["subject"]
        assert message["Message-ID"] == row["message_id"]
        assert message["Date"].datetime is not None
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Content-Language"] == row["language"]
        content = parts(message)
        assert {"text/plain", "text/html", "text/calendar"} <= set(content)
        # Written in the invitee's language: the meeting's title as they read it.
        assert row["title"] in content["text/plain"]
        assert row["title"] in content["text/html"].replace("&#x27;", "'")
        calendar_part = next(part for part in message.walk() if part.get_content_type() == "text/calendar")
        assert calendar_part.get_param("method") == "REQUEST"
        assert "METHOD:REQUEST" in content["text/calendar"]
        assert sent["uid"] in content["text/calendar"]
        # Links lead to the server `make run` starts.
        assert re.search(re.escape(sent["site_url"]) + r"/\S+", content["text/plain"])
    assert sent["site_url"] == "http://127.0.0.1:8000"


def make(*args: str, **environment: str) -> str:
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_on_another_port_links_to_that_port(tmp_path):
    environment = make_run_environment(tmp_path, PORT="8001")
    assert environment["SITE_URL"] == "http://127.0.0.1:8001"
    site_url = manage(
        environment,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SITE_URL)",
    ).stdout.strip()
    assert site_url == "http://127.0.0.1:8001"
    # An address set by the operator wins.
    chosen = make_run_environment(tmp_path, PORT="8001", SITE_URL="https://concerto.example.be")
    assert chosen["SITE_URL"] == "https://concerto.example.be"

    # The start-up lines name the address and where emails go; the dry run shows them.
    dry_run = make("-n", "run", "PORT=8001", **make_run_environment(tmp_path))
    assert "Serving Concerto on http://127.0.0.1:8001/" in dry_run
    assert "manage.py mail_destination" in dry_run


def test_start_up_line_says_where_emails_go_for_the_configured_provider(tmp_path):
    base = make_run_environment(tmp_path)
    cases = {
        (): f"written as an .eml file in {(tmp_path / 'mail').resolve()}/",
        (("EMAIL_PROVIDER", "console"),): "printed in this terminal",
        (("EMAIL_PROVIDER", "smtp"), ("EMAIL_HOST", "mail.example.be"), ("EMAIL_PORT", "587")): (
            "SMTP server mail.example.be:587"
        ),
        (("EMAIL_PROVIDER", "postmark"), ("EMAIL_API_KEY", "token")): "email provider postmark",
    }
    for extra, expected in cases.items():
        line = manage({**base, **dict(extra)}, "mail_destination").stdout
        assert expected in line, (extra, line)


def test_make_run_names_the_demo_secretariat_as_whom_to_ask_for_access(tmp_path):
    environment = make_run_environment(tmp_path)
    assert environment["CONTACT_EMAIL"] == "secretariat@example.org"
    printed = manage(
        environment,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.CONTACT_EMAIL)",
    ).stdout.strip()
    assert printed == "secretariat@example.org"
    # The operator's address wins.
    assert make_run_environment(tmp_path, CONTACT_EMAIL="mvo@example.be")["CONTACT_EMAIL"] == "mvo@example.be"


def test_make_run_sets_up_in_a_var_dir_that_does_not_exist_yet(tmp_path):
    var_dir = tmp_path / "new" / "var"
    environment = make_run_environment(var_dir)
    make("setup", **environment)
    assert (var_dir / "concerto.sqlite3").is_file()
