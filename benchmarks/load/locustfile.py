"""50 people using OpenKAM: browsing the main pages and writing through the API.

Every simulated user has the demo champion's session (signed in once by bench_load.py)
and pauses 1-3 s between requests, like a person reading a page.
Most requests are pages: home, the account list (with a search now and then), an account
page, profitability, lifetime value, the selection page, plans, relationship maps, people.
One in ten is an API write: a PATCH of an account's notes with its version (optimistic
locking; a 409 from a concurrent edit is an expected answer, not an error).

``OPENKAM_BENCH_MIX=accounts`` (``bench_load.py --mix accounts``, the 100,000-account run)
browses only the account list and the account pages: the first page, sorts and filters, a
search for part of a name or an id, a deep page reached by its Previous/Next link (keyset)
and a typed page number (offset).

Run by ``bench_load.py``; by hand: ``locust -f benchmarks/load/locustfile.py --host
http://127.0.0.1:8104 --headless -u 50 -r 5 -t 10m``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from urllib.parse import quote

import requests
from locust import HttpUser, between, task

SESSION = os.environ.get("OPENKAM_BENCH_SESSION", "")
TOKEN = os.environ.get("OPENKAM_BENCH_TOKEN", "")
#: Accounts to visit, [id, name, pk]: written by bench_load.py from the database (JSON).
SAMPLE = json.loads(os.environ.get("OPENKAM_BENCH_ACCOUNTS") or "[]")
ACCOUNTS = [a[0] for a in SAMPLE]
MIX = os.environ.get("OPENKAM_BENCH_MIX", "main")
INDUSTRIES = ["Chemicals", "Food & Beverage", "Automotive", "Retail"]
SORTS = [
    "name",
    "-name",
    "account_id",
    "industry",
    "-region",
    "status",
    "kam",
    "-net_sales",
    "contribution",
    "-margin",
    "-clv",
]
FILTERS = [
    "industry={industry}",
    "region={region}",
    "key_status=key",
    "quadrant=key",
    "result=loss",
    "key_status=not_key&sort=-name",
]


def cursor(values: list) -> str:
    """A Previous/Next link's cursor (openkam.web.accounts.paging.encode_cursor)."""
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Person(HttpUser):
    wait_time = between(1, 3)
    weight = 0 if MIX == "accounts" else 1

    def on_start(self) -> None:
        # bench_load.py signs in once and hands every user the session and the API token:
        # 50 password hashes at once (about 0.3 s of CPU each, by design) would otherwise
        # be most of the test. The API goes through its own session without the cookie, as
        # a script would (a session cookie makes DRF ask writes for a CSRF token).
        self.client.cookies.set("sessionid", SESSION)
        self.api_client = requests.Session()
        self.api_headers = {"Authorization": f"Token {TOKEN}"}

    def _api(self, method: str, path: str, name: str, **kwargs):
        start = time.perf_counter()
        response = self.api_client.request(
            method, f"{self.host}{path}", headers=self.api_headers, timeout=60, **kwargs
        )
        ok = response.status_code < 400 or response.status_code in (409, 412)
        self.environment.events.request.fire(
            request_type=method,
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=len(response.content),
            response=response,
            exception=None if ok else RuntimeError(f"HTTP {response.status_code}"),
            context={},
        )
        return response

    def _account(self) -> str:
        return random.choice(ACCOUNTS) if ACCOUNTS else "ACC-00001"

    @task(4)
    def home(self):
        self.client.get("/", name="home")

    @task(6)
    def account_list(self):
        if random.random() < 0.3:
            self.client.get(f"/accounts/?q={random.randint(0, 9)}", name="account list (search)")
        else:
            self.client.get(f"/accounts/?page={random.randint(1, 20)}", name="account list")

    @task(8)
    def account_page(self):
        self.client.get(f"/accounts/{self._account()}/", name="account page")

    @task(2)
    def profitability(self):
        self.client.get("/insights/profitability/", name="profitability")

    @task(2)
    def clv(self):
        self.client.get("/insights/clv/", name="lifetime value")

    @task(2)
    def selection(self):
        self.client.get("/selection/", name="selection")

    @task(2)
    def plans(self):
        self.client.get("/plans/", name="plans")

    @task(2)
    def relationship_map(self):
        self.client.get(f"/relationships/{self._account()}/", name="relationship map")

    @task(1)
    def people(self):
        self.client.get("/people/", name="people")

    @task(3)
    def api_write(self):
        account = self._account()
        got = self._api("GET", f"/api/accounts/{account}/", "api read")
        if got.status_code != 200:
            return
        self._api(
            "PATCH",
            f"/api/accounts/{account}/",
            "api write",
            json={
                "notes": f"load test note {random.randint(0, 10**6)}",
                "version": got.json()["version"],
            },
        )


class AccountBrowser(HttpUser):
    """The 100,000-account run: the account list every way it is used, and account pages."""

    wait_time = between(1, 3)
    weight = 1 if MIX == "accounts" else 0

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", SESSION)

    def _sample(self):
        return random.choice(SAMPLE) if SAMPLE else ["ACC-00001", "Customer", "1"]

    @task(4)
    def first_page(self):
        self.client.get("/accounts/", name="account list")

    @task(3)
    def sorted_or_filtered(self):
        if random.random() < 0.5:
            url = f"/accounts/?sort={random.choice(SORTS)}"
        else:
            industry = random.choice(INDUSTRIES)
            url = "/accounts/?" + random.choice(FILTERS).format(
                industry=quote(industry), region="EMEA"
            )
        self.client.get(url, name="account list (sort, filter)")

    @task(3)
    def search(self):
        account_id, name, _ = self._sample()
        words = [w for w in name.split() if len(w) >= 3]
        term = random.choice(words) if words and random.random() < 0.5 else account_id[-5:]
        self.client.get(f"/accounts/?q={term}", name="account list (search)")

    @task(2)
    def deep_page(self):
        # Where a user lands after following Next links: the page after a random account.
        _, name, pk = self._sample()
        after = cursor([name, int(pk)])
        self.client.get(
            f"/accounts/?after={after}&page={random.randint(2, 2000)}",
            name="account list (deep page)",
        )

    @task(1)
    def typed_page(self):
        self.client.get(
            f"/accounts/?page={random.randint(2, 2000)}", name="account list (typed page)"
        )

    @task(8)
    def account_page(self):
        self.client.get(f"/accounts/{self._sample()[0]}/", name="account page")
