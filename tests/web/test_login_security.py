"""Logins, tokens, the secret key, HTTPS settings, the CSP and the API docs."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from openkam.web.security import check_production_secret_key

SRC = Path(__file__).resolve().parents[2] / "src"


# --- failed logins are locked out ---------------------------------------------------------


def test_the_login_page_locks_out_after_five_failures(programme, client):
    for _ in range(4):
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    assert client.post("/login/", {"username": "alice", "password": "x"}).status_code == 429
    # Locked: refused even with the right password.
    locked = client.post("/login/", {"username": "alice", "password": "pw-Alice"})
    assert locked.status_code == 429
    # Another user from the same address is not affected.
    other = client.post("/login/", {"username": "bob", "password": "pw-Bob"})
    assert other.status_code == 302


def test_the_token_endpoint_locks_out_too(programme):
    api = APIClient()
    for _ in range(4):
        assert api.post("/api/token/", {"username": "vera", "password": "x"}).status_code == 400
    assert api.post("/api/token/", {"username": "vera", "password": "x"}).status_code == 429
    locked = api.post("/api/token/", {"username": "vera", "password": "pw-Vera"})
    assert locked.status_code == 429


# --- tokens expire and are revoked -------------------------------------------------------


def test_tokens_expire_and_a_new_one_is_issued(programme, settings):
    settings.OPENKAM_TOKEN_DAYS = 7
    api = APIClient()
    body = api.post("/api/token/", {"username": "vera", "password": "pw-Vera"}).json()
    assert set(body) == {"token", "expires"}
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/accounts/").status_code == 200
    # Eight days later the token no longer works …
    Token.objects.filter(key=body["token"]).update(created=timezone.now() - dt.timedelta(days=8))
    refused = api.get("/api/accounts/")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    # … and asking again gives a new one.
    fresh = APIClient().post("/api/token/", {"username": "vera", "password": "pw-Vera"}).json()
    assert fresh["token"] != body["token"]


def test_a_password_change_revokes_the_tokens(programme):
    vera = programme["users"]["Vera"]
    token = Token.objects.create(user=vera)
    vera.set_password("a-new-long-passphrase")
    vera.save()
    assert not Token.objects.filter(key=token.key).exists()
    # Saving the user without a new password keeps a token.
    token = Token.objects.create(user=vera)
    vera.first_name = "Vera"
    vera.save()
    assert Token.objects.filter(key=token.key).exists()


# --- the secret key and HTTPS settings ---------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "",
        "openkam-local-insecure-key-set-OPENKAM_SECRET_KEY-in-production",
        "change-me",
        "django-insecure-" + "x" * 60,
        "short-key",
        "a" * 60,
    ],
)
def test_production_refuses_a_missing_known_or_weak_key(key):
    with pytest.raises(ImproperlyConfigured):
        check_production_secret_key(key)


def _django(args: list[str], **env) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        # The browser tests allow async-unsafe calls in this process; a deployment does not.
        if not k.startswith("OPENKAM_")
        and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environ |= {"PYTHONPATH": str(SRC), **env}
    return subprocess.run(
        [sys.executable, "-m", "django", *args, "--settings=openkam.web.settings"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_refuses_production_with_the_built_in_key(tmp_path):
    result = _django(
        ["check"],
        OPENKAM_DATA_DIR=str(tmp_path),
        OPENKAM_ALLOWED_HOSTS="kam.example.com",
        OPENKAM_SECRET_KEY="openkam-local-insecure-key-set-OPENKAM_SECRET_KEY-in-production",
    )
    assert result.returncode != 0
    assert "built-in or an example key" in result.stderr


def test_check_deploy_is_clean_with_the_production_settings_on(tmp_path):
    env = {
        "OPENKAM_DATA_DIR": str(tmp_path),
        "OPENKAM_PRODUCTION": "true",
        "OPENKAM_ALLOWED_HOSTS": "kam.example.com",
        "OPENKAM_SECRET_KEY": "k" + "7fQ2-xZ9pL_mB4vR8sT1wY6uE3iO0aSdFgHjKlZxCvBnMq" * 2,
    }
    assert _django(["migrate", "-v", "0"], **env).returncode == 0  # as a deployment does
    result = _django(["check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_local_install_gets_a_random_key_of_its_own(tmp_path):
    from openkam.web.security import local_secret_key

    key = local_secret_key(tmp_path)
    assert len(key) >= 50 and local_secret_key(tmp_path) == key
    assert (tmp_path / ".secret_key").stat().st_mode & 0o077 == 0


# --- Content Security Policy ---------------------------------------------------------------


def test_every_page_carries_the_content_security_policy(programme, login):
    response = login(programme["users"]["Vera"]).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_handlers_or_javascript_urls():
    """Every page must work under the CSP: script only from static files."""
    offenders = []
    for path in (SRC / "openkam").rglob("templates/**/*.html"):
        text = path.read_text()
        for pattern, what in (
            (INLINE_SCRIPT, "inline <script>"),
            (HANDLER, "on…= handler"),
            (re.compile(r"javascript:", re.I), "javascript: URL"),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(SRC)}:{line}: {what}")
    assert offenders == [], "move these into static JS files:\n" + "\n".join(offenders)


# --- the API schema and docs ---------------------------------------------------------------


def test_the_schema_and_docs_need_a_login(programme, client, login):
    assert APIClient().get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/login/")
    reader = login(programme["users"]["Vera"])
    assert reader.get("/api/schema/").status_code == 200
    page = reader.get("/api/docs/")
    assert page.status_code == 200
    assert not INLINE_SCRIPT.search(page.content.decode())


# --- a refused request is one line in the log ----------------------------------------------


def test_a_refused_request_is_logged_as_one_line(programme, login):
    from openkam.web.core.logs import OneLineRefusals

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(OneLineRefusals())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = login(programme["users"]["Bob"]).get("/accounts/A1/edit/")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 403
    assert len(lines) == 1
    assert "\n" not in lines[0] and "Traceback" not in lines[0]
    assert "Forbidden" in lines[0] and "/accounts/A1/edit/" in lines[0] and "bob" in lines[0]


def test_no_handler_sees_a_refusals_traceback(programme, login, settings):
    # Given DEBUG on, when Django's own console handler of the "django" logger prints too:
    # the refusal reaches every handler as one line, without its traceback (the filter is
    # on the django.request logger, before any handler; settings.LOGGING).
    settings.DEBUG = True
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect()  # no filter of its own, like Django's console handler
    logger = logging.getLogger("django")
    logger.addHandler(handler)
    try:
        response = login(programme["users"]["Bob"]).get("/accounts/A1/edit/")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 403
    refused = [r for r in records if getattr(r, "status_code", None) == 403]
    assert len(refused) == 1 and refused[0].exc_info is None
    line = logging.Formatter().format(refused[0])
    assert "\n" not in line and "Traceback" not in line and "bob" in line
