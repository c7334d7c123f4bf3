"""Django settings, read from environment variables with safe local defaults.

Every variable is listed in ``.env.example``. The embedded default needs no server: SQLite in
the data directory. ``OPENKAM_DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from openkam.config import data_dir
from openkam.engine.money_lines import reporting_currency
from openkam.web.security import check_production_secret_key, local_secret_key


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = _flag("OPENKAM_DEBUG", False)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("OPENKAM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("OPENKAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

#: A production setting: declared, or served to hosts beyond this machine with DEBUG off.
#: Then the secret key must come from the environment and be no known or demo value.
PRODUCTION = _flag("OPENKAM_PRODUCTION", False) or (
    not DEBUG and bool(set(ALLOWED_HOSTS) - {"127.0.0.1", "localhost", "::1", "testserver"})
)
SECRET_KEY = os.environ.get("OPENKAM_SECRET_KEY", "")
if PRODUCTION:
    check_production_secret_key(SECRET_KEY)
elif not SECRET_KEY:
    # A local, single-machine install (and the demo): a random key of its own, kept in the
    # data directory, never a key printed in the source.
    SECRET_KEY = local_secret_key(DATA_DIR)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "openkam.web.core",
    "openkam.web.people",
    "openkam.web.accounts",
    "openkam.web.profitability",
    "openkam.web.lifetime_value",
    "openkam.web.portfolio",
    "openkam.web.planning",
    "openkam.web.relationships",
    "openkam.web.operations",
    "openkam.web.scorecards",
    "openkam.web.imports",
    "openkam.web.programme",
    "openkam.web.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "openkam.web.core.middleware.RefuseNulCharactersMiddleware",
    "openkam.web.core.request_memo.RequestMemoMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into its answer (429).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins (web login, admin and the API token endpoint) and locks out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "openkam.web.urls"
WSGI_APPLICATION = "openkam.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openkam.web.core.context_processors.navigation",
                "openkam.web.core.context_processors.reporting_currency",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'openkam.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("OPENKAM_DATABASE_URL") or _default_db, conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web app read while the task worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        # ASVS 2.1.1: at least 12 characters.
        "OPTIONS": {"min_length": int(os.environ.get("OPENKAM_PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("OPENKAM_TIME_ZONE", "UTC")
# Every amount is reported in this ISO 4217 currency; amounts recorded in another are
# converted at the ledger's fx-rates (openkam.engine.money_lines). EUR unless set.
OPENKAM_REPORTING_CURRENCY = reporting_currency()
USE_I18N = True
USE_TZ = True
# Numbers are grouped explicitly (|intcomma) where people read amounts; never in years,
# ids or the coordinates of an SVG chart.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve straight from the app folders: no collectstatic step for a local install.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    # The token scheme first: a request without valid credentials answers 401 with a
    # WWW-Authenticate header (an expired token says so), not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "openkam.web.core.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["openkam.web.core.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "DEFAULT_METADATA_CLASS": "openkam.web.core.metadata.DescriptionMetadata",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenKAM API",
    "DESCRIPTION": "Key account management: accounts, contacts, people, profitability, lifetime "
    "value, selection and plans. Authenticate with a session or `Authorization: Token <key>`.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package, not a CDN: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set shared by fields of the same name (else drf-spectacular names
    # them by hash and warns, and `check --deploy` is not clean).
    "ENUM_NAME_OVERRIDES": {
        "PersonRoleEnum": "openkam.web.core.roles.Role",
        "AssignmentRoleEnum": "openkam.web.people.models.Assignment.Role",
        "ExecutiveLevelEnum": "openkam.web.people.models.ExecutiveLevel",
        "ActionStatusEnum": "openkam.web.planning.models.Action.Status",
        "ReviewStatusEnum": "openkam.web.portfolio.models.Review.Status",
        "ComputationStatusEnum": "openkam.web.core.models.Computation.Status",
        "PartnershipStatusEnum": "openkam.web.programme.models.Partnership.Status",
        "ProgrammeReviewStatusEnum": "openkam.web.programme.models.ProgrammeReview.Status",
        "CheckStatusEnum": ["met", "partly", "not_met"],
        "LoadStatusEnum": ["ok", "over", "under", ""],
    },
    # The schema and its docs describe every endpoint: signed-in users only, unless a
    # deployment makes them public.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"]
    if _flag("OPENKAM_PUBLIC_API_DOCS", False)
    else ["rest_framework.permissions.IsAuthenticated"],
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("OPENKAM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "openkam.web.core.logs.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_refusals"]}},
    # On the logger too: with DEBUG on, Django's own console handler of the "django" logger
    # would otherwise print the refusal's traceback before ours printed its one line.
    "loggers": {"django.request": {"filters": ["one_line_refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPENKAM_LOG_LEVEL", "WARNING")},
}

# --- Security (docs/security.md) --------------------------------------------------------

# API tokens stop working this many days after they were issued (a new one from
# /api/token/); a password change revokes them at once.
OPENKAM_TOKEN_DAYS = float(os.environ.get("OPENKAM_TOKEN_DAYS", "7"))

# Failed logins (web, admin and /api/token/): after 5 failures for one username from one
# address, that pair is locked out for 15 minutes (ASVS 2.2.1). The lockout answers 429.
AXES_FAILURE_LIMIT = int(os.environ.get("OPENKAM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("OPENKAM_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Behind a reverse proxy, django-axes reads the client's address from this header.
if os.environ.get("OPENKAM_CLIENT_IP_HEADER"):
    AXES_IPWARE_META_PRECEDENCE_ORDER = [os.environ["OPENKAM_CLIENT_IP_HEADER"], "REMOTE_ADDR"]

# HTTPS: on by default with OPENKAM_PRODUCTION, each can be set on its own. With them on (and a
# secret key from the environment) ``python -m django check --deploy`` reports nothing.
_https = _flag("OPENKAM_PRODUCTION", False)
SESSION_COOKIE_SECURE = _flag("OPENKAM_SECURE_COOKIES", _https)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _flag("OPENKAM_SSL_REDIRECT", _https)
SECURE_HSTS_SECONDS = int(os.environ.get("OPENKAM_HSTS_SECONDS", "31536000" if _https else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("OPENKAM_HSTS_INCLUDE_SUBDOMAINS", _https)
SECURE_HSTS_PRELOAD = _flag("OPENKAM_HSTS_PRELOAD", _https)
if _flag("OPENKAM_BEHIND_PROXY", False):
    # The proxy terminates TLS and says so in this header (set it only behind a proxy).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Pages send the CSRF token from the page itself (forms, htmx headers), never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(float(os.environ.get("OPENKAM_SESSION_HOURS", "12")) * 3600)
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): scripts only from our own static files, no
# inline script, no eval; nothing may frame the app. Inline style attributes remain
# allowed (a few progress bars set their width); no script can be injected through them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Our logo on exported plans (a PNG or JPEG path); the account's logo is DATA_DIR/logos/<id>.png.
OPENKAM_LOGO = os.environ.get("OPENKAM_LOGO") or None
