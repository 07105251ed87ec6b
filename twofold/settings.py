"""Twofold's one settings module, configured from the environment.

Without any environment the defaults suit a laptop demo: an SQLite file and a generated secret key
under ``./var/``. ``TWOFOLD_PRODUCTION=1`` switches to production mode, which requires
``SECRET_KEY`` and ``ALLOWED_HOSTS`` and turns on the settings ``manage.py check --deploy`` asks for.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from twofold.operations.environment import database_from_url, env_bool, env_int, env_list, env_str
from twofold.operations.logs import logging_config

PACKAGE_DIR = Path(__file__).resolve().parent

PRODUCTION = env_bool("TWOFOLD_PRODUCTION")
DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when TWOFOLD_PRODUCTION=1")

VAR_DIR = Path(env_str("TWOFOLD_VAR_DIR", str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production mode (TWOFOLD_PRODUCTION=1)")
    # The demo keeps one generated key so that sessions survive a restart.
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place only if no other process got there first: processes that
    # start together (`make run`'s web server and worker, a parallel test run) share one key, and none
    # reads a file half written.
    candidate = VAR_DIR / f".secret_key.{os.getpid()}"
    with os.fdopen(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as written:
        written.write(secrets.token_urlsafe(50))
    try:
        os.link(candidate, key_file)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

if PRODUCTION:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production mode, e.g. twofold.example.org")
else:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'twofold.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and DATABASE_URL.startswith("sqlite:///"):
    Path(str(DATABASES["default"]["NAME"])).parent.mkdir(parents=True, exist_ok=True)
# How long a web request waits for a row or table lock held by another transaction before it gives
# up, changing nothing, and is answered "busy, try again" (503 with Retry-After): PostgreSQL's
# lock_timeout, set on the web processes' connections only (twofold.wsgi). The worker and commands
# such as migrate wait as long as it takes: a long task stopped halfway would only start again.
# "0" lets web requests wait without end too.
DATABASE_LOCK_TIMEOUT = env_str("DATABASE_LOCK_TIMEOUT", "5s").strip()
if not re.fullmatch(r"\d+(ms|s|min)?", DATABASE_LOCK_TIMEOUT):
    raise ImproperlyConfigured(
        f"DATABASE_LOCK_TIMEOUT={DATABASE_LOCK_TIMEOUT!r} is not a duration such as 5s, 500ms or 0 (no limit)"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # Django's admin on Twofold's site class, which asks for the second factor where it is due.
    "twofold.accounts.admin_app.TwofoldAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "twofold.accounts",
    "twofold.audit",
    "twofold.people",
    "twofold.programmes",
    "twofold.relationships",
    "twofold.matchruns",
    "twofold.insights",
    "twofold.api",
    "twofold.dataprotection",
    "twofold.scim",
    "twofold.sso",
    "twofold.webhooks",
    "twofold.demo",
    "twofold.operations",
]

MIDDLEWARE = [
    # First: every request gets its id and its access line, and the probes answer before anything
    # asks for a session, a known Host or HTTPS.
    "twofold.operations.middleware.RequestIdMiddleware",
    "twofold.operations.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "twofold.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "twofold.headers.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the account read with the session in one query.
    "twofold.accounts.middleware.AuthenticationMiddleware",
    # The request (account, address, browser) as the audit log names it, for everything after here.
    "twofold.audit.context.AuditContextMiddleware",
    # django-otp's, around the account itself rather than the lazy request.user before it.
    "twofold.accounts.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "twofold.accounts.middleware.SessionIdleTimeoutMiddleware",
    "twofold.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "twofold.urls"
WSGI_APPLICATION = "twofold.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Argon2 first: new passwords get it, and older hashes (PBKDF2, from Django's default) are
# rehashed with it the next time their owner signs in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    # Refuses every attempt for a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "twofold.accounts.backends.PasswordBackend",
    # Single sign-on (OpenID Connect); answers nothing until OIDC_CLIENT_ID is set.
    "twofold.sso.backends.OidcBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "twofold.accounts.passwords.NotTheDemoPassword"},
]

# Lockout after repeated failed sign-ins (django-axes), on the sign-in page and the admin's alike.
# Counted per username whatever the address: behind a proxy every client shares one address, and
# an attacker spreading guesses over many addresses is still stopped. The lock ends by itself.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_LOCKOUT_MINUTES = env_int("SIGNIN_LOCKOUT_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 warns that locks without the address can be dodged by rotating user agents or cookies;
# a lock on the username cannot be dodged that way, and one on the address would, behind a proxy,
# lock the whole organisation out after a few typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "twofold.accounts.views.signin_locked_out"
AXES_VERBOSE = False
# Not a second, unbounded log of every sign-in with its address and browser: failed attempts are
# kept only until their cool-off ends, and sign-ins belong in the audit trail.
AXES_DISABLE_ACCESS_LOG = True
if AXES_FAILURE_LIMIT < 1 or SIGNIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("SIGNIN_FAILURE_LIMIT and SIGNIN_LOCKOUT_MINUTES must be 1 or more")

# A session unused for this long is signed out; every request counts as activity.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 60)
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be 1 or more")
# A password-reset link works for two hours (Django's default is three days).
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60

# Two-step sign-in with an authenticator app (django-otp, TOTP). Org admins may enrol one from
# their account page; with TOTP_REQUIRED_FOR_ORG_ADMINS=1 they must, before using anything else.
TOTP_REQUIRED_FOR_ORG_ADMINS = env_bool("TOTP_REQUIRED_FOR_ORG_ADMINS")
OTP_TOTP_ISSUER = env_str("TOTP_ISSUER", "Twofold")

# Single sign-on with OpenID Connect (mozilla-django-oidc; docs/integrations.md). Setting
# OIDC_CLIENT_ID turns it on. The provider's endpoints come from its discovery document under
# OIDC_ISSUER (read when someone first signs in, never at start-up), or each is given explicitly.
# A person is matched to the directory by one claim (OIDC_CLAIM) against one field (OIDC_MATCH_FIELD).
OIDC_MATCH_FIELDS = ("email", "employee_id")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID").strip()
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_ISSUER = env_str("OIDC_ISSUER").strip().rstrip("/")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on").strip() or "single sign-on"
OIDC_CLAIM = env_str("OIDC_CLAIM", "email").strip()
OIDC_MATCH_FIELD = env_str("OIDC_MATCH_FIELD", "email").strip().lower()
OIDC_HIDE_PASSWORDS = env_bool("OIDC_HIDE_PASSWORDS")
OIDC_CREATE_UNKNOWN = env_bool("OIDC_CREATE_UNKNOWN")
OIDC_PROVIDER_LOGOUT = env_bool("OIDC_PROVIDER_LOGOUT")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile").strip()
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256").strip()
# Explicit endpoints, each overriding the discovery document's.
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_AUTHORIZATION_ENDPOINT").strip()
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_TOKEN_ENDPOINT").strip()
OIDC_OP_USER_ENDPOINT = env_str("OIDC_USERINFO_ENDPOINT").strip()
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_JWKS_URI").strip()
OIDC_OP_END_SESSION_ENDPOINT = env_str("OIDC_END_SESSION_ENDPOINT").strip()
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
# The ID token is kept in the session only to name the session when signing out at the provider.
OIDC_STORE_ID_TOKEN = OIDC_PROVIDER_LOGOUT
OIDC_CREATE_USER = False
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_OP_LOGOUT_URL_METHOD = "twofold.sso.views.provider_logout_url" if OIDC_PROVIDER_LOGOUT else ""
if OIDC_ENABLED:
    if OIDC_MATCH_FIELD not in OIDC_MATCH_FIELDS:
        raise ImproperlyConfigured(
            f"OIDC_MATCH_FIELD={OIDC_MATCH_FIELD!r} is not one of {', '.join(OIDC_MATCH_FIELDS)}"
        )
    if not OIDC_CLAIM:
        raise ImproperlyConfigured("OIDC_CLAIM must name the claim that carries the email or employee id")
    if not OIDC_ISSUER and not (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT and OIDC_OP_JWKS_ENDPOINT):
        raise ImproperlyConfigured(
            "OIDC_CLIENT_ID needs OIDC_ISSUER (its discovery document gives the endpoints), or "
            "OIDC_AUTHORIZATION_ENDPOINT, OIDC_TOKEN_ENDPOINT and OIDC_JWKS_URI"
        )
    if PRODUCTION and not OIDC_RP_CLIENT_SECRET:
        raise ImproperlyConfigured("OIDC_CLIENT_SECRET must be set in production mode")
    for _name, _url in (
        ("OIDC_ISSUER", OIDC_ISSUER),
        ("OIDC_AUTHORIZATION_ENDPOINT", OIDC_OP_AUTHORIZATION_ENDPOINT),
        ("OIDC_TOKEN_ENDPOINT", OIDC_OP_TOKEN_ENDPOINT),
        ("OIDC_USERINFO_ENDPOINT", OIDC_OP_USER_ENDPOINT),
        ("OIDC_JWKS_URI", OIDC_OP_JWKS_ENDPOINT),
        ("OIDC_END_SESSION_ENDPOINT", OIDC_OP_END_SESSION_ENDPOINT),
    ):
        # The client secret and the keys that vouch for every sign-in must not cross the network in clear.
        if PRODUCTION and _url and not _url.startswith("https://"):
            raise ImproperlyConfigured(f"{_name} must be an https:// address in production mode")
    if not OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")):
        raise ImproperlyConfigured("OIDC_SIGN_ALGO must be an asymmetric algorithm such as RS256 or ES256")
elif OIDC_HIDE_PASSWORDS or OIDC_CREATE_UNKNOWN or OIDC_PROVIDER_LOGOUT:
    raise ImproperlyConfigured(
        "OIDC_HIDE_PASSWORDS, OIDC_CREATE_UNKNOWN and OIDC_PROVIDER_LOGOUT need single sign-on (OIDC_CLIENT_ID)"
    )

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Without collectstatic (the demo, the tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# Email: an SMTP server when EMAIL_HOST is set, otherwise messages are written under var/mail/.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Twofold <twofold@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Background tasks (reminders, large match runs), run by `twofold worker`. TWOFOLD_TASKS_BACKEND picks
# where they wait: "database" (the default: nothing more to install), "rq" (RQ on the Redis at
# REDIS_URL, for several workers on several machines) or "immediate" (each task runs at once inside
# the caller, for a demo without a worker; TWOFOLD_TASKS_IMMEDIATE=1 says the same).
TASKS_BACKENDS = ("database", "rq", "immediate")
TWOFOLD_TASKS_BACKEND = env_str("TWOFOLD_TASKS_BACKEND", "database").strip().lower()
if env_bool("TWOFOLD_TASKS_IMMEDIATE"):
    TWOFOLD_TASKS_BACKEND = "immediate"
if TWOFOLD_TASKS_BACKEND not in TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"TWOFOLD_TASKS_BACKEND={TWOFOLD_TASKS_BACKEND!r} is not one of {', '.join(TASKS_BACKENDS)}"
    )
REDIS_URL = env_str("REDIS_URL")
# The longest a task may run on RQ before its worker stops it (a match run over a large pool).
TASK_TIMEOUT_SECONDS = env_int("TWOFOLD_TASK_TIMEOUT", 3600)
if TWOFOLD_TASKS_BACKEND == "rq":
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("TWOFOLD_TASKS_BACKEND=rq needs REDIS_URL, e.g. redis://127.0.0.1:6379/0")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": TASK_TIMEOUT_SECONDS}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TWOFOLD_TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Webhooks (docs/integrations.md#webhooks): a failed delivery is tried again after 30 s, 1 min, 2 min, …
# (doubling) until it has been tried this many times; each attempt waits this long for an answer.
WEBHOOK_MAX_ATTEMPTS = env_int("TWOFOLD_WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_SECONDS = env_int("TWOFOLD_WEBHOOK_RETRY_SECONDS", 30)
WEBHOOK_TIMEOUT_SECONDS = env_int("TWOFOLD_WEBHOOK_TIMEOUT_SECONDS", 10)
# A delivery that gave up may be resent from its webhook's log for this many days; then its payload goes.
WEBHOOK_RESEND_DAYS = env_int("TWOFOLD_WEBHOOK_RESEND_DAYS", 7)
if WEBHOOK_MAX_ATTEMPTS < 1 or WEBHOOK_RETRY_SECONDS < 0 or WEBHOOK_TIMEOUT_SECONDS < 1 or WEBHOOK_RESEND_DAYS < 0:
    raise ImproperlyConfigured(
        "TWOFOLD_WEBHOOK_MAX_ATTEMPTS and TWOFOLD_WEBHOOK_TIMEOUT_SECONDS must be 1 or more, "
        "TWOFOLD_WEBHOOK_RETRY_SECONDS and TWOFOLD_WEBHOOK_RESEND_DAYS 0 or more"
    )
# A worker records a heartbeat this often; /readyz fails once none is younger than four of them.
WORKER_HEARTBEAT_SECONDS = env_int("TWOFOLD_WORKER_HEARTBEAT_SECONDS", 15)
if WORKER_HEARTBEAT_SECONDS < 1:
    raise ImproperlyConfigured("TWOFOLD_WORKER_HEARTBEAT_SECONDS must be 1 or more")
WORKER_HEARTBEAT_MAX_AGE = 4 * WORKER_HEARTBEAT_SECONDS

# Privacy: no aggregate (count, average, named group) over fewer people than this is shown.
# Raise it if your organisation asks; twofold.privacy refuses anything below 3.
TWOFOLD_MIN_GROUP_SIZE = env_int("TWOFOLD_MIN_GROUP_SIZE", 5)

# Career history (promotions, level and role changes, exits) on a person's page is for the person,
# their management chain and org admins. Some organisations publish it: TWOFOLD_CAREER_HISTORY_OPEN=1
# shows it to everyone who may see the person (docs/security.md, "Who sees what").
CAREER_HISTORY_OPEN = env_bool("TWOFOLD_CAREER_HISTORY_OPEN")

# The people import (docs/importing-people.md). A "whole workforce" import refuses to mark more than
# this share of the active people as having left unless it is explicitly forced, so that a truncated
# export cannot empty the directory.
IMPORT_MAX_DEACTIVATION_PERCENT = env_int("TWOFOLD_IMPORT_MAX_DEACTIVATION_PERCENT", 10)
if not 0 <= IMPORT_MAX_DEACTIVATION_PERCENT <= 100:
    raise ImproperlyConfigured("TWOFOLD_IMPORT_MAX_DEACTIVATION_PERCENT must be a percentage from 0 to 100")
# A file checked on the import page waits this long to be confirmed; the daily run deletes older ones.
# A confirmed people import of at least this many rows runs on a worker, its page showing progress.
IMPORT_BACKGROUND_ROWS = env_int("TWOFOLD_IMPORT_BACKGROUND_ROWS", 5000)
IMPORT_UPLOAD_RETENTION_HOURS = env_int("TWOFOLD_IMPORT_UPLOAD_RETENTION_HOURS", 24)
# Insights pages read snapshots computed by the worker (docs/insights.md#freshness): one older than
# this many seconds is recomputed in the background when a page shows it (the daily run refreshes
# them all anyway). TWOFOLD_INSIGHTS_LIVE=1 computes them inside each request instead.
INSIGHTS_SNAPSHOT_MAX_AGE = env_int("TWOFOLD_INSIGHTS_MAX_AGE_SECONDS", 6 * 3600)
INSIGHTS_LIVE = env_bool("TWOFOLD_INSIGHTS_LIVE")
if IMPORT_UPLOAD_RETENTION_HOURS < 1:
    raise ImproperlyConfigured("TWOFOLD_IMPORT_UPLOAD_RETENTION_HOURS must be at least 1")

# Retention (docs/security.md, "Retention"): the daily run deletes or empties what is older than
# this many days; 0 keeps it for good. Counted from the meeting (private notes, deleted), from the
# answer (check-in comments, emptied; the scores stay) and from the resolution (concerns' text and
# resolution, emptied; open and acknowledged concerns are kept whatever their age).
RETENTION_PRIVATE_NOTES_DAYS = env_int("TWOFOLD_RETENTION_PRIVATE_NOTES_DAYS", 730)
RETENTION_CHECK_IN_COMMENTS_DAYS = env_int("TWOFOLD_RETENTION_CHECK_IN_COMMENTS_DAYS", 365)
RETENTION_CONCERNS_DAYS = env_int("TWOFOLD_RETENTION_CONCERNS_DAYS", 365)
for _name in ("RETENTION_PRIVATE_NOTES_DAYS", "RETENTION_CHECK_IN_COMMENTS_DAYS", "RETENTION_CONCERNS_DAYS"):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"TWOFOLD_{_name} must be 0 (keep for good) or a number of days")

# Database sessions that record their account, so that a leaver's sessions can be ended at once.
SESSION_ENGINE = "twofold.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Features no page uses, switched off for the page and anything it could embed (twofold.headers).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"

# Content-Security-Policy (django-csp): everything from this origin, nothing inline. Styles and
# scripts live in static files (htmx comes from django-htmx's); the templates carry no style
# attributes and no inline scripts, which tests/test_csp.py holds them to.
FORM_ACTION = [SELF]
if OIDC_PROVIDER_LOGOUT:
    # Signing out is a form whose answer redirects to the provider's end-session endpoint, and
    # browsers hold such redirects to form-action too.
    _provider = urlsplit(OIDC_OP_END_SESSION_ENDPOINT or OIDC_ISSUER)
    FORM_ACTION.append(f"{_provider.scheme}://{_provider.netloc}")
CONTENT_SECURITY_POLICY: dict[str, dict[str, list[str]]] | None = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": FORM_ACTION,
        "frame-ancestors": [NONE],
    }
}
if DEBUG:
    # Django's own debug pages are styled inline: with DEBUG on, violations are reported, not blocked.
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

# Only a proxy that sets X-Forwarded-Proto itself (and drops a client's) may be believed about
# HTTPS; otherwise anyone could send the header and pass for a secure request.
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO")
# Likewise X-Forwarded-For, for the address the audit log records: believed (its last entry, the
# one the proxy added) only when a proxy in front sets it; otherwise the connection's address.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR")
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# Only a proxy that sets X-Request-ID itself (replacing a client's) may name a request; otherwise
# each request gets a generated id. Either way the response carries it back in X-Request-ID.
TRUST_X_REQUEST_ID = env_bool("TRUST_X_REQUEST_ID")

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request id, user, path,
# status, duration), for a log collector. The default is plain text for a terminal.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower()
try:
    LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO").upper())
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
