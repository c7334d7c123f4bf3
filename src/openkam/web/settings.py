"""Django settings, read from environment variables with safe local defaults.

Every variable is listed in ``.env.example``. The embedded default needs no server: SQLite in
the data directory. ``OPENKAM_DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from openkam.config import data_dir


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = _flag("OPENKAM_DEBUG", False)
SECRET_KEY = os.environ.get("OPENKAM_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and _flag("OPENKAM_PRODUCTION", False):
        raise ImproperlyConfigured("OPENKAM_SECRET_KEY must be set when OPENKAM_PRODUCTION is on")
    # A local, single-machine install: a fixed development key is acceptable there only.
    SECRET_KEY = "openkam-local-insecure-key-set-OPENKAM_SECRET_KEY-in-production"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("OPENKAM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("OPENKAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

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
    "openkam.web.core",
    "openkam.web.people",
    "openkam.web.accounts",
    "openkam.web.insights",
    "openkam.web.portfolio",
    "openkam.web.planning",
    "openkam.web.relationships",
    "openkam.web.imports",
    "openkam.web.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("OPENKAM_TIME_ZONE", "UTC")
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
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["openkam.web.core.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
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
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("OPENKAM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPENKAM_LOG_LEVEL", "WARNING")},
}

# Our logo on exported plans (a PNG or JPEG path); the account's logo is DATA_DIR/logos/<id>.png.
OPENKAM_LOGO = os.environ.get("OPENKAM_LOGO") or None
