"""Start-up checks of the security settings (used by ``web/settings.py``).

The secret key signs sessions, CSRF tokens and password-reset links: whoever knows it can
forge them. A production setting refuses to start without a key of its own; a local
install (and the demo) makes a random one in its data directory.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: Keys that were ever printed in this repository or its examples: never valid in production.
KNOWN_KEYS = frozenset(
    {
        "openkam-local-insecure-key-set-OPENKAM_SECRET_KEY-in-production",
        "change-me",
        "changeme",
        "secret",
        "openkam-demo",
    }
)

#: Django's own ``check --deploy`` asks for 50 characters with 5 different ones.
MIN_LENGTH = 50


def check_production_secret_key(key: str) -> None:
    """Refuse to start a production setting whose secret key is missing, known or weak."""
    if not key:
        raise ImproperlyConfigured(
            "OPENKAM_SECRET_KEY must be set in production (DEBUG off, served beyond this "
            'machine or OPENKAM_PRODUCTION on). Make one with: python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"'
        )
    if key in KNOWN_KEYS or key.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "OPENKAM_SECRET_KEY is the built-in or an example key; production needs its own."
        )
    if len(key) < MIN_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"OPENKAM_SECRET_KEY is too short or simple: at least {MIN_LENGTH} random "
            "characters are needed in production."
        )


def local_secret_key(data_dir: Path) -> str:
    """The random secret key of a local install, made once and kept in its data directory
    (readable by its owner only)."""
    path = Path(data_dir) / ".secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= MIN_LENGTH:
        return key
    key = secrets.token_urlsafe(MIN_LENGTH)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created readable by the owner only, before the key is written into it.
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(key + "\n")
    return key
