"""The demo supplier's KAM organisation: who does what, who holds which key account since
when, and the programme's records around them.

Called once from ``web/demo.py`` after the demo's people and accounts are loaded. Every
assignment goes through ``people.assignments`` (the rules hold, the history is kept), dated
from the ledger's first month.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq

from openkam.web.accounts.models import Account, AccountTeamMember
from openkam.web.core.roles import Role
from openkam.web.people import assignments
from openkam.web.people.models import ExecutiveLevel, Function, Person

#: The board of the demo supplier: the seeds want a C-level sponsor on every key account and
#: each sponsors 1–2, so a programme of ~20 key accounts needs about a dozen board members.
BOARD_TITLES = (
    "Chief Executive Officer",
    "Chief Operating Officer",
    "Chief Financial Officer",
    "Chief Commercial Officer",
    "Chief Technology Officer",
    "Chief Supply Chain Officer",
    "Chief Marketing Officer",
    "President EMEA",
    "President Americas",
    "President Asia-Pacific",
    "Chief Digital Officer",
    "Chief Strategy Officer",
    "Chief Quality Officer",
    "Chief People Officer",
    "Chief Sustainability Officer",
    "Chief Procurement Officer",
)

#: Function of each demo access role (functional roles carry their own name).
FUNCTION_OF_ROLE = {
    Role.CHAMPION: Function.KEY_ACCOUNT_MANAGEMENT,
    Role.KAM: Function.KEY_ACCOUNT_MANAGEMENT,
    Role.SPONSOR: Function.EXECUTIVE,
    Role.ADMIN: Function.SALES,
    Role.OPERATIONS: Function.OPERATIONS,
    Role.SUPPLY_CHAIN: Function.SUPPLY_CHAIN,
    Role.FINANCE: Function.FINANCE,
    Role.CUSTOMER_SERVICE: Function.CUSTOMER_SERVICE,
}
VIEWER_FUNCTIONS = {
    "Financial Controller": Function.FINANCE,
    "Market Analyst": Function.MARKETING,
    "Product Manager": Function.MARKETING,
}


def ledger_window(folder: Path) -> tuple[dt.date, dt.date]:
    """The demo ledger's first and last day (from its manifest)."""
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    return (
        dt.date.fromisoformat(manifest.get("first_date") or manifest["start"]),
        dt.date.fromisoformat(manifest.get("last_date") or manifest["start"]),
    )


def seed_organisation(folder: Path) -> None:
    """Give the demo's people their functions, levels and titles, and assign the key
    accounts' KAMs and sponsors (with history), and the account teams."""
    folder = Path(folder)
    first, _last = ledger_window(folder)
    start = first.replace(day=1)
    titles = dict(
        (r["person_id"], r["title"])
        for r in pq.read_table(folder / "people_details.parquet").to_pylist()
    )
    rows = pq.read_table(folder / "assignments.parquet").to_pylist()
    _set_people(titles)
    _assign(rows, start)


def _set_people(titles: dict[str, str]) -> None:
    people = list(Person.objects.order_by("person_id"))
    board = iter(BOARD_TITLES)
    for person in people:
        title = titles.get(person.person_id, person.title)
        if person.role == Role.SPONSOR:
            title = next(board, title)
            person.executive_level = (
                ExecutiveLevel.C_LEVEL
                if title.startswith(("Chief", "President"))
                else ExecutiveLevel.VICE_PRESIDENT
            )
        person.title = title
        if person.role == Role.VIEWER:
            person.function = VIEWER_FUNCTIONS.get(title, Function.SALES)
        else:
            person.function = FUNCTION_OF_ROLE.get(person.role, Function.SALES)
        person.full_time_kam = person.role == Role.KAM
    Person.objects.bulk_update(people, ["title", "function", "executive_level", "full_time_kam"])


def _assign(rows: list[dict], start: dt.date) -> None:
    accounts = {a.account_id: a for a in Account.objects.all()}
    people = {p.person_id: p for p in Person.objects.all()}
    changes: dict[str, dict] = {}
    team = []
    for row in rows:
        account = accounts[row["account_id"]]
        person = people[row["person_id"]]
        if row["role"] in ("kam", "sponsor"):
            change = changes.setdefault(
                account.account_id,
                {"account": account, "key_status": Account.KeyStatus.KEY},
            )
            change[row["role"]] = person
        else:
            team.append(
                AccountTeamMember(
                    account=account, person=person, responsibility=row.get("responsibility") or ""
                )
            )
    assignments.assign_many(
        list(changes.values()),
        effective=start,
        reason="Key account programme launched",
        actor="demo",
        source="demo",
    )
    AccountTeamMember.objects.bulk_create(team, ignore_conflicts=True)
