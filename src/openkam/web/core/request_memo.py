"""Values looked up once per request, however many panels and template tags ask.

A page is put together from independent parts (the account page's panels, the home page's
template tags), and several of them ask for the same small things: which run is current,
the product list, the programme rules. Each ask is a query, and each query costs about a
millisecond of the server's CPU in Django and the database driver. :func:`once` keeps the
answer for the rest of the request.

Only reads are kept: the memo is made for GET and HEAD requests (which change nothing), so
a request that writes always reads afresh what it wrote. Outside a request (the task
worker, the CLI) nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("openkam_request_memo", default=None)


def once(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, asked once per safe request under ``key``."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


class RequestMemoMiddleware:
    """Gives each GET and HEAD request its own memo for :func:`once` (server threads run
    one request at a time, each in its own context)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
