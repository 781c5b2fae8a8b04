from django.db import close_old_connections, connection


def refresh_connections() -> None:
    """Between rounds of a long-running command: drop connections the database closed or that
    are too old. Never inside a transaction (a test's, or a caller's), whose connection must stay."""
    if not connection.in_atomic_block:
        close_old_connections()
