"""Small lookups asked once per GET request (openkam.web.core.request_memo), never kept
past it, and never kept in a request that writes or outside a request."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from openkam.web.core.request_memo import RequestMemoMiddleware, once


def _counting():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return calls, compute


def _serve(method: str, view):
    request = getattr(RequestFactory(), method)("/")
    return RequestMemoMiddleware(view)(request)


def test_a_get_request_asks_once_and_the_next_request_asks_again():
    calls, compute = _counting()
    seen = []

    def view(request):
        seen.append((once("k", compute), once("k", compute), once("other", compute)))
        return HttpResponse()

    _serve("get", view)
    _serve("get", view)
    # Within a request the same key gives the first answer; a new request asks again.
    assert seen == [(1, 1, 2), (3, 3, 4)]
    assert len(calls) == 4


def test_a_request_that_writes_and_code_outside_requests_always_ask():
    calls, compute = _counting()
    seen = []

    def view(request):
        seen.append((once("k", compute), once("k", compute)))
        return HttpResponse()

    _serve("post", view)
    assert seen == [(1, 2)]
    assert (once("k", compute), once("k", compute)) == (3, 4)


def test_the_current_run_is_read_afresh_by_the_next_request(recompute_profitability, import_files):
    from openkam.web.core import runs
    from openkam.web.core.models import Computation

    seen = []

    def view(request):
        seen.append(runs.current(Computation.Kind.PROFITABILITY))
        return HttpResponse()

    _serve("get", view)
    import_files(
        {
            "accounts": "account_id,name,industry,region,parent_account_id\nA1,Alpha,food,EMEA,\n",
            "products": "product_id,name,product_line\nP1,Widget,widgets\n",
            "invoices": "invoice_id,line_no,invoice_date,account_id,product_id,quantity,"
            "unit_list_price,discount_amount,cogs_amount\nI1,1,2024-03-01,A1,P1,1,10,0,5\n",
        }
    )
    recompute_profitability()
    _serve("get", view)
    assert seen[0] is None and seen[1] is not None
