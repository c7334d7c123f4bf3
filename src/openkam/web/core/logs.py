"""Logging helpers: a refused request is one line in the log, not a traceback."""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    """Django logs a ``PermissionDenied`` (403) with its traceback, as if it were a crash.
    A refusal is the permission check working: keep one line, with the reason, the path
    and the user."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            reason = str(record.exc_info[1] or "").strip()
            request = getattr(record, "request", None)
            user = getattr(getattr(request, "user", None), "username", "") or "anonymous"
            message = record.getMessage()
            record.msg = "%s (user %s)%s"
            record.args = (message, user, f": {reason}" if reason else "")
            record.exc_info = None
            record.exc_text = None
        return True
