"""50 people using OpenKAM: browsing the main pages and writing through the API.

Each simulated user signs in (the demo's champion login, through the login form, so pages
see a real session), then pauses 1-3 s between requests, like a person reading a page.
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
import re

from locust import HttpUser, between, task

USERNAME = os.environ.get("OPENKAM_BENCH_USER", "champion")
PASSWORD = os.environ.get("OPENKAM_BENCH_PASSWORD", "openkam-demo")
#: Account ids to visit: written by bench_load.py from the database.
ACCOUNTS = [a for a in os.environ.get("OPENKAM_BENCH_ACCOUNTS", "").split(",") if a]


class Person(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        # The token first: once the session cookie is set, DRF asks a POST for a CSRF token.
        self.api = (
            self.client.post(
                "/api/token/", {"username": USERNAME, "password": PASSWORD}, name="api token"
            )
            .json()
            .get("token")
        )
        page = self.client.get("/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            "/login/",
            {
                "username": USERNAME,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
        )
        self.api = (
            self.client.post(
                "/api/token/", {"username": USERNAME, "password": PASSWORD}, name="api token"
            )
            .json()
            .get("token")
        )

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
        headers = {"Authorization": f"Token {self.api}"}
        account = self._account()
        got = self.client.get(f"/api/accounts/{account}/", headers=headers, name="api read")
        if got.status_code != 200:
            return
        version = got.json().get("version")
        with self.client.patch(
            f"/api/accounts/{account}/",
            json={"notes": f"load test note {random.randint(0, 10**6)}", "version": version},
            headers=headers,
            name="api write",
            catch_response=True,
        ) as response:
            if response.status_code in (200, 409, 412):
                response.success()
