"""50 people using OpenKAM: browsing the main pages and writing through the API.

Every simulated user has the demo champion's session (signed in once by bench_load.py)
and pauses 1-3 s between requests, like a person reading a page.
Most requests are pages: home, the account list (with a search now and then), an account
page, profitability, lifetime value, the selection page, plans, relationship maps, people.
One in ten is an API write: a PATCH of an account's notes with its version (optimistic
locking; a 409 from a concurrent edit is an expected answer, not an error).

Run by ``bench_load.py``; by hand: ``locust -f benchmarks/load/locustfile.py --host
http://127.0.0.1:8104 --headless -u 50 -r 5 -t 10m``.
"""

from __future__ import annotations

import os
import random
import time

import requests
from locust import HttpUser, between, task

SESSION = os.environ.get("OPENKAM_BENCH_SESSION", "")
TOKEN = os.environ.get("OPENKAM_BENCH_TOKEN", "")
#: Account ids to visit: written by bench_load.py from the database.
ACCOUNTS = [a for a in os.environ.get("OPENKAM_BENCH_ACCOUNTS", "").split(",") if a]


class Person(HttpUser):
    wait_time = between(1, 3)

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
