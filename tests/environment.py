"""Loaded by pytest before Django (`-p tests.environment` in pyproject.toml).

Tests run with production-like settings (DEBUG off), so they need a SECRET_KEY; plain
HTTP for the test client; and their own mail and media folders.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ["DEBUG"] = ""
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="concerto-test-"))
os.environ.setdefault("ANYMAIL_WEBHOOK_SECRET", "hook:test-webhook-secret")
