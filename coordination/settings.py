"""Concerto's only settings file.

Deploy-time values come from environment variables (listed, with their defaults, in
README.md). Local use needs none of them: SQLite under var/, emails written to var/mail/.
"""

import importlib.util
import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
_env = os.environ
VAR_DIR = Path(_env.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False, environ=None) -> bool:
    """Read a yes/no variable; anything unexpected fails loudly rather than guessing."""
    value = (_env if environ is None else environ).get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {value!r}).")


def env_list(name: str, default: str = "", environ=None) -> list[str]:
    return [item.strip() for item in (_env if environ is None else environ).get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = _env.get("SECRET_KEY", "")
if not SECRET_KEY and _env.get("CONCERTO_CODE_ONLY_COMMAND"):
    # makemigrations, makemessages, compilemessages (manage.py sets this): nothing is signed or
    # served, so a throwaway key will do and a developer's checkout needs no secret for them.
    SECRET_KEY = secrets.token_urlsafe(50)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development only."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

SITE_URL = _env.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL must be an absolute http(s) address (got {SITE_URL!r}).")
SITE_DOMAIN = _site.hostname

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"{SITE_DOMAIN},127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "anymail",
    "django_tasks_db",
    "django_tables2",
    "django_filters",
    "simple_history",
    "core",
    "members",
    "meetings",
    "coordination",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.PrivateNoStoreMiddleware",
    "members.middleware.PreferredLanguageMiddleware",
    "members.middleware.MemberTimezoneMiddleware",
    "coordination.null_characters.RefuseNullCharactersMiddleware",
    "members.middleware.VisitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Chairs, vice-chairs and secretariats enrol a second factor first (MFA_REQUIRED_FOR_MANAGERS).
    "members.mfa.ManagerMFAMiddleware",
    # Records request.user as the author of each history row (simple_history).
    "simple_history.middleware.HistoryRequestMiddleware",
]
if DEBUG:
    # Database time and query count of every answer, for the browser's developer tools.
    MIDDLEWARE.insert(0, "core.middleware.ServerTimingMiddleware")

ROOT_URLCONF = "coordination.urls"
WSGI_APPLICATION = "coordination.wsgi.application"
ASGI_APPLICATION = "coordination.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production through DATABASE_URL; SQLite under var/ by default.
DATABASES = {
    "default": dj_database_url.parse(
        _env.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'concerto.sqlite3'}"),
        conn_max_age=int(_env.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the task worker use the file at the same time.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: the sign-in rate limits (allauth), the answer links' limits and the visit throttle count
# here, so every web process must see the same counts (`gunicorn --workers 3` would otherwise allow
# three times each limit). The database by default: its table is made by `manage.py
# createcachetable` (the Makefile runs it after migrate). CACHE_URL=redis://… or valkey://… (rediss://,
# valkeys:// with TLS; /<db> and ?options as redis-py reads them) uses Redis or Valkey instead.
CACHE_TABLE = "concerto_cache"
_CACHE_SCHEMES = {"redis": "redis", "rediss": "rediss", "valkey": "redis", "valkeys": "rediss"}


def cache_config(url: str) -> dict:
    """The default cache for CACHE_URL: the database's cache table when empty, else Redis or Valkey."""
    if not url:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    if scheme.lower() not in _CACHE_SCHEMES:
        raise ImproperlyConfigured(
            f"CACHE_URL must start with redis://, rediss://, valkey:// or valkeys:// (got {scheme!r})."
        )
    if importlib.util.find_spec("redis") is None:
        raise ImproperlyConfigured("CACHE_URL names Redis or Valkey: install the redis package (redis-py).")
    # Valkey speaks the Redis protocol: Django's RedisCache and redis-py serve both.
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"{_CACHE_SCHEMES[scheme.lower()]}://{rest}",
    }


# Signed answer links: attempts per minute by IP address and by link (allauth's format).
ANSWER_LINK_RATE_LIMIT = _env.get("ANSWER_LINK_RATE_LIMIT", "30/m/ip,10/m/key")

CACHES = {
    "default": cache_config(_env.get("CACHE_URL", "").strip()),
    # Per process, for what needs no sharing: the visit throttle only spares a write per request,
    # and a shared cache would cost a query on every signed-in page.
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "concerto-local"},
}

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the identifier; people join by invitation only (see
# members.adapters.AccountAdapter.is_open_for_signup).
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Concerto] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme
# allauth's own defaults, stated so that nobody switches them off by accident.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
    "request_login_code": "20/m/ip,3/m/key",
    "answer_link": ANSWER_LINK_RATE_LIMIT,
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Concerto"
# Accept the code of the previous or next 30-second window: phone clocks drift.
MFA_TOTP_TOLERANCE = 1

# Required second factor: a signed-in chair, vice-chair or secretariat of a current group who has
# no authenticator is sent to enrol one before any other page (members.mfa).
MFA_REQUIRED_FOR_MANAGERS = env_bool("MFA_REQUIRED_FOR_MANAGERS")


# Signing in with the organisation's account: OpenID Connect providers (allauth.socialaccount).
# OIDC_PROVIDERS lists their ids; each id has OIDC_<ID>_NAME, _SERVER_URL, _CLIENT_ID, _SECRET
# and optionally _MFA (1: its sign-ins count as a second factor) and _VERIFIED_DOMAINS. See README.md.
def oidc_apps(environ) -> list[dict]:
    """allauth's APPS entries of the OpenID Connect providers named by OIDC_PROVIDERS."""
    apps = []
    for provider_id in [p.strip().lower() for p in environ.get("OIDC_PROVIDERS", "").split(",") if p.strip()]:
        if not provider_id.replace("-", "").replace("_", "").isalnum():
            raise ImproperlyConfigured(
                f"OIDC_PROVIDERS: {provider_id!r} is not a valid id (letters, digits, - and _)."
            )
        prefix = "OIDC_" + provider_id.upper().replace("-", "_") + "_"
        missing = [f"{prefix}{key}" for key in ("SERVER_URL", "CLIENT_ID", "SECRET") if not environ.get(prefix + key)]
        if missing:
            raise ImproperlyConfigured(f"OIDC provider {provider_id!r} needs " + ", ".join(missing) + ".")
        server_url = environ[prefix + "SERVER_URL"].strip().rstrip("/")
        if urlsplit(server_url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured(f"{prefix}SERVER_URL must be an http(s) address (got {server_url!r}).")
        apps.append(
            {
                "provider_id": provider_id,
                "name": environ.get(prefix + "NAME", "").strip() or provider_id,
                "client_id": environ[prefix + "CLIENT_ID"].strip(),
                "secret": environ[prefix + "SECRET"].strip(),
                "settings": {
                    "server_url": server_url,
                    "oauth_pkce_enabled": True,
                    # A member is found by address only when the provider says it verified it.
                    "email_authentication": True,
                    "mfa_trusted": env_bool(prefix + "MFA", environ=environ),
                },
            }
        )
        # Domains whose addresses the provider vouches for although it sends no email_verified
        # claim (Microsoft Entra ID): the organisation's own domains, never a public mail domain.
        verified_domains = env_list(prefix + "VERIFIED_DOMAINS", environ=environ)
        if verified_domains:
            apps[-1]["settings"]["verified_email"] = [d.lower().lstrip("@") for d in verified_domains]
    return apps


def oidc_required_domains(environ, provider_ids: list[str]) -> dict[str, str]:
    """{email domain: provider id} from OIDC_REQUIRED_DOMAINS ("fgov.be=fas,vlaanderen.be=entra";
    a bare domain names the only provider)."""
    domains = {}
    for item in [i.strip() for i in environ.get("OIDC_REQUIRED_DOMAINS", "").split(",") if i.strip()]:
        domain, _sep, provider_id = item.partition("=")
        domain, provider_id = domain.strip().lower().lstrip("@"), provider_id.strip().lower()
        if not provider_id and len(provider_ids) == 1:
            provider_id = provider_ids[0]
        if provider_id not in provider_ids:
            raise ImproperlyConfigured(
                f"OIDC_REQUIRED_DOMAINS: {item!r} must name one of OIDC_PROVIDERS (or SAML_PROVIDERS) as domain=provider."
            )
        domains[domain] = provider_id
    return domains


def saml_apps(environ) -> list[dict]:
    """allauth's APPS entries of the SAML identity providers named by SAML_PROVIDERS: each id has
    SAML_<ID>_NAME, and SAML_<ID>_METADATA_URL or SAML_<ID>_ENTITY_ID, _SSO_URL and _X509CERT;
    optionally _VERIFIED_DOMAINS and _MFA, as for OpenID Connect."""
    apps = []
    for provider_id in [p.strip().lower() for p in environ.get("SAML_PROVIDERS", "").split(",") if p.strip()]:
        if not provider_id.replace("-", "").replace("_", "").isalnum():
            raise ImproperlyConfigured(f"SAML_PROVIDERS: {provider_id!r} is not a valid id (letters, digits, - and _).")
        prefix = "SAML_" + provider_id.upper().replace("-", "_") + "_"
        if environ.get(prefix + "METADATA_URL"):
            idp = {"metadata_url": environ[prefix + "METADATA_URL"].strip()}
            idp_url = idp["metadata_url"]
        else:
            keys = ("ENTITY_ID", "SSO_URL", "X509CERT")
            missing = [prefix + key for key in keys if not environ.get(prefix + key)]
            if missing:
                raise ImproperlyConfigured(
                    f"SAML provider {provider_id!r} needs {prefix}METADATA_URL, or " + ", ".join(missing) + "."
                )
            idp = {
                "entity_id": environ[prefix + "ENTITY_ID"].strip(),
                "sso_url": environ[prefix + "SSO_URL"].strip(),
                "x509cert": environ[prefix + "X509CERT"].strip(),
            }
            idp_url = idp["sso_url"]
        if urlsplit(idp_url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured(f"SAML provider {provider_id!r}: {idp_url!r} is not an http(s) address.")
        settings = {
            "idp": idp,
            "email_authentication": True,
            "mfa_trusted": env_bool(prefix + "MFA", environ=environ),
            "login_origin": _origin(idp_url),
        }
        verified_domains = env_list(prefix + "VERIFIED_DOMAINS", environ=environ)
        if verified_domains:
            settings["verified_email"] = [d.lower().lstrip("@") for d in verified_domains]
        apps.append(
            {
                # The id names the provider in Concerto's addresses: /accounts/saml/<id>/…
                "provider_id": provider_id,
                "client_id": provider_id,
                "name": environ.get(prefix + "NAME", "").strip() or provider_id,
                "settings": settings,
            }
        )
    return apps


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_oidc_apps = oidc_apps(_env)
_saml_apps = saml_apps(_env)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": _oidc_apps}, "saml": {"APPS": _saml_apps}}
OIDC_REQUIRED_DOMAINS = oidc_required_domains(
    _env, [app["provider_id"] for app in _oidc_apps + _saml_apps]
)
SOCIALACCOUNT_ADAPTER = "members.adapters.SocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
# Signing in by a verified address links the organisation's account to the member found.
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

# Internationalisation: Dutch, French, German, and English as the common fallback.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("de", _("German")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Each language's own way of writing dates (coordination/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["coordination.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Brussels"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

STATIC_URL = "/static/"
STATIC_ROOT = Path(_env.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": Path(_env.get("MEDIA_ROOT", VAR_DIR / "media"))},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Background work: django.tasks with the database backend; `manage.py run_worker` (db_worker plus recovery of interrupted deliveries) runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Email (Django 6.1 MAILERS). EMAIL_PROVIDER chooses: "file" (default, one .eml file a
# message under var/mail/), "console", "smtp", or an anymail provider by name.
DEFAULT_FROM_EMAIL = _env.get("DEFAULT_FROM_EMAIL", f"Concerto <noreply@{SITE_DOMAIN}>")
SERVER_EMAIL = _env.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Whom people without an account ask for access (the sign-in page names it): the secretariat.
CONTACT_EMAIL = _env.get("CONTACT_EMAIL", "").strip() or parseaddr(DEFAULT_FROM_EMAIL)[1]
if "@" not in CONTACT_EMAIL:
    raise ImproperlyConfigured(f"CONTACT_EMAIL must be an email address (got {CONTACT_EMAIL!r}).")
ANYMAIL_PROVIDERS = {
    "amazon_ses",
    "brevo",
    "mailersend",
    "mailgun",
    "mailjet",
    "mailtrap",
    "mandrill",
    "postal",
    "postmark",
    "resend",
    "scaleway",
    "sendgrid",
    "sparkpost",
    "unisender_go",
}
EMAIL_PROVIDER = _env.get("EMAIL_PROVIDER", "file").strip().lower()
_email_file_path = Path(_env.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
if EMAIL_PROVIDER == "file":
    _mailer = {"BACKEND": "core.mail.EmlFileBackend", "OPTIONS": {"file_path": str(_email_file_path)}}
elif EMAIL_PROVIDER == "console":
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
elif EMAIL_PROVIDER == "smtp":
    _mailer = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _env.get("EMAIL_HOST", "localhost"),
            "port": int(_env.get("EMAIL_PORT", "25")),
            "username": _env.get("EMAIL_HOST_USER", ""),
            "password": _env.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "timeout": 30,
        },
    }
elif EMAIL_PROVIDER in ANYMAIL_PROVIDERS:
    if not _env.get("EMAIL_API_KEY") and EMAIL_PROVIDER != "amazon_ses":
        raise ImproperlyConfigured(f"EMAIL_PROVIDER={EMAIL_PROVIDER} needs EMAIL_API_KEY.")
    _options = {"api_key": _env["EMAIL_API_KEY"]} if _env.get("EMAIL_API_KEY") else {}
    if _env.get("EMAIL_SENDER_DOMAIN"):
        _options["sender_domain"] = _env["EMAIL_SENDER_DOMAIN"]
    _mailer = {"BACKEND": f"anymail.backends.{EMAIL_PROVIDER}.EmailBackend", "OPTIONS": _options}
else:
    raise ImproperlyConfigured(
        f"EMAIL_PROVIDER={EMAIL_PROVIDER!r} is not known. Use file, console, smtp or one of: "
        + ", ".join(sorted(ANYMAIL_PROVIDERS))
    )
MAILERS = {"default": _mailer}
ANYMAIL = {
    # Tracking and inbound webhooks are refused unless they carry this basic-auth pair.
    "WEBHOOK_SECRET": _env.get("ANYMAIL_WEBHOOK_SECRET", ""),
}

# Security. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER via the proxy.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(_env.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (built into Django 6.1): everything from this site, nothing inline.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    # A sign-in button posts here, and the answer sends the browser on to the provider.
    "form-action": [
        "'self'",
        *sorted(
            {_origin(app["settings"]["server_url"]) for app in _oidc_apps}
            | {app["settings"]["login_origin"] for app in _saml_apps}
        ),
    ],
    "frame-ancestors": ["'none'"],
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # PDF building reports every step at INFO: only problems are worth a line.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# django-tables2: the site's accessible table template (caption, th scope, aria-sort, labelled pagination).
DJANGO_TABLES2_TEMPLATE = "django_tables2/concerto.html"

# The ORGANIZER address of calendar invitations: calendar answers (iMIP replies) come back here.
CALENDAR_ORGANIZER_EMAIL = _env.get("CALENDAR_ORGANIZER_EMAIL", f"agenda@{SITE_DOMAIN}")

# Largest document accepted for upload: meeting papers, public group documents (core/documents.py).
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024

# Days before a commitment's due date that its focal points are reminded (coordination/reminders.py).
COMMITMENT_DUE_REMINDER_DAYS = 14

# The largest CSV/XLSX accepted by a spreadsheet import (core/spreadsheets.py: bulk invitations,
# action plans); and the sign-up form that an invitation link opens (members/forms.py).
IMPORT_MAX_BYTES = 2 * 1024 * 1024
ACCOUNT_FORMS = {
    "signup": "members.forms.InvitationSignupForm",
    # Refuse addresses of a domain that must sign in with its organisation's account.
    "login": "members.forms.LoginForm",
    "request_login_code": "members.forms.RequestLoginCodeForm",
}

# The mailbox of CALENDAR_ORGANIZER_EMAIL that `manage.py fetch_calendar_replies` reads (imaps://…).
CALENDAR_REPLIES_IMAP_URL = _env.get("IMAP_URL", "")
