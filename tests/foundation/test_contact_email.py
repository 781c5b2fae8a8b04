"""CONTACT_EMAIL: whom the sign-in page tells people to ask for access."""

from tests.foundation.test_settings import run_manage

PRINT = "from django.conf import settings; print(settings.CONTACT_EMAIL)"


def test_contact_email_defaults_to_the_address_emails_come_from():
    result = run_manage("shell", "-c", PRINT, DEBUG="1", DEFAULT_FROM_EMAIL="Concerto <csr@example.be>")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "csr@example.be"


def test_contact_email_is_read_from_the_environment():
    result = run_manage("shell", "-c", PRINT, DEBUG="1", CONTACT_EMAIL="secretariat@example.be")
    assert result.stdout.strip().splitlines()[-1] == "secretariat@example.be"


def test_a_contact_email_that_is_no_address_stops_start_up():
    result = run_manage("check", DEBUG="1", CONTACT_EMAIL="the secretariat")
    assert result.returncode != 0
    assert "CONTACT_EMAIL must be an email address" in result.stderr
