"""Test settings: the defaults, with a few values made fast and isolated."""

import os
import tempfile
from pathlib import Path

import dj_database_url

from openkam.web.settings import *  # noqa: F403

DATA_DIR = Path(tempfile.mkdtemp(prefix="openkam-test-"))
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir()
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Readiness snapshots on every change are tested in tests/web/test_programme*.
OPENKAM_READINESS_AUTO = False
# The selection criteria are not warmed after each import of a test (it reads the ledger).
OPENKAM_WARM_AFTER_IMPORT = False
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

if os.environ.get("OPENKAM_TEST_DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["OPENKAM_TEST_DATABASE_URL"])}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
