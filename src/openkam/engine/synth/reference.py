"""Reference data of the demo: accounts, contacts, our people and their assignments.

These tables are small (thousands of rows), so they are built with plain Python where that
reads better; the ledger-sized tables are in :mod:`openkam.engine.synth.ledger`.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from openkam.engine.schema import ACCOUNTS, CONTACTS, PEOPLE
from openkam.engine.synth import catalog
from openkam.engine.synth.profiles import Accounts

ASSIGNMENTS_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
    ]
)
PEOPLE_DETAILS_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
    ]
)
#: Relationship-map attributes of each contact (C6): the buying-centre role, influence and
#: attitude (1–5 and a label), the strength of our relationship (1–5) and our owner.
CONTACT_DETAILS_SCHEMA = pa.schema(
    [
        pa.field("contact_id", pa.string(), nullable=False),
        pa.field("buying_role", pa.string(), nullable=False),
        pa.field("influence", pa.int8(), nullable=False),
        pa.field("attitude", pa.string(), nullable=False),
        pa.field("relationship_strength", pa.int8(), nullable=False),
        pa.field("owner_person_id", pa.string(), nullable=True),
    ]
)
ATTITUDES = ("opponent", "sceptic", "neutral", "supporter", "champion")


def account_id_digits(n: int) -> int:
    """Digits of the account number in ``ACC-00001``: five, more for huge demos."""
    return max(5, len(str(n)))


def account_ids(n: int) -> list[str]:
    d = account_id_digits(n)
    return [f"ACC-{i:0{d}d}" for i in range(1, n + 1)]


@cache
def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def account_names(acc: Accounts, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Unique company names and their e-mail domains; subsidiaries carry the group's name."""
    stems = np.array(catalog.NAME_STEMS)
    names: list[str] = [""] * acc.n
    stem_of: list[str] = [""] * acc.n
    taken: set[str] = set()
    # Parents first, so a subsidiary can borrow its group's stem.
    depth = np.zeros(acc.n, dtype=int)
    for _ in range(4):
        depth = np.where(acc.parent >= 0, depth[np.maximum(acc.parent, 0)] + 1, 0)
    for i in np.argsort(depth, kind="stable"):
        industry = catalog.INDUSTRIES[acc.industry[i]]
        country = catalog.COUNTRIES[acc.country[i]]
        if acc.parent[i] >= 0:
            stem = stem_of[acc.parent[i]]
            noun = catalog.INDUSTRY_NOUNS[industry][0]
            base = f"{stem} {noun} {country.name}"
        else:
            nouns = catalog.INDUSTRY_NOUNS[industry]
            for _attempt in range(20):
                stem = str(stems[rng.integers(len(stems))])
                base = f"{stem} {nouns[rng.integers(len(nouns))]}"
                if f"{base} {country.legal_form}" not in taken:
                    break
        name = f"{base} {country.legal_form}"
        suffix = 2
        while name in taken:
            name = f"{base} {suffix} {country.legal_form}"
            suffix += 1
        taken.add(name)
        names[i] = name
        stem_of[i] = stem
    domains = [
        f"{_slug(n.rsplit(' ', 1)[0])[:24]}.{catalog.COUNTRIES[c].tld}"
        for n, c in zip(names, acc.country, strict=True)
    ]
    return names, domains


def accounts_table(acc: Accounts, names: list[str]) -> pa.Table:
    """The ``accounts`` reference table (columns of ``schema.ACCOUNTS``)."""
    ids = account_ids(acc.n)
    return pa.Table.from_arrays(
        [
            pa.array(ids),
            pa.array(names),
            pa.array([catalog.INDUSTRIES[i] for i in acc.industry]),
            pa.array([catalog.COUNTRIES[c].region for c in acc.country]),
            pa.array([ids[p] if p >= 0 else None for p in acc.parent], type=pa.string()),
            pa.array([catalog.COUNTRIES[c].name for c in acc.country]),
        ],
        schema=ACCOUNTS.arrow_schema,
    )


def _person_name(rng: np.random.Generator, region: str) -> tuple[str, str]:
    first = catalog.FIRST_NAMES[region][rng.integers(len(catalog.FIRST_NAMES[region]))]
    last = catalog.LAST_NAMES[region][rng.integers(len(catalog.LAST_NAMES[region]))]
    return first, last


def _email(first: str, last: str, domain: str, taken: set[str]) -> str:
    local = f"{_slug(first)}.{_slug(last)}"
    email, k = f"{local}@{domain}", 2
    while email in taken:
        email, k = f"{local}{k}@{domain}", k + 1
    taken.add(email)
    return email


def people(acc: Accounts, rng: np.random.Generator) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Our people, their titles, and the account assignments (kam, sponsor, team).

    Each key account gets one key account manager (each manager serves 2–5 accounts), one
    executive sponsor (each sponsors 1–2) and one to three functional team members.
    """
    keys = np.flatnonzero(acc.key)
    keys = keys[rng.permutation(len(keys))]
    n_key = len(keys)
    n_kam = max(1, int(np.ceil(n_key / 3.5)))
    n_sponsor = max(1, int(np.ceil(n_key / 1.6)))
    rows: list[tuple[str, str]] = [("champion", "Head of Key Account Management")]
    rows += [("admin", "Sales Operations Manager"), ("admin", "CRM Administrator")]
    rows += [("viewer", t) for t in ("Financial Controller", "Market Analyst", "Product Manager")]
    rows += [("kam", "Key Account Manager")] * n_kam
    titles = list(catalog.EXECUTIVE_TITLES)
    rows += [("sponsor", titles[i % len(titles)]) for i in range(n_sponsor)]
    for role, title in catalog.FUNCTIONAL_ROLES:
        rows += [(role, title)] * 2
    regions = ("EMEA", "Americas", "APAC")
    ids, names, emails, roles, titles_out = [], [], [], [], []
    taken: set[str] = set()
    for i, (role, title) in enumerate(rows):
        first, last = _person_name(rng, regions[int(rng.choice(3, p=[0.55, 0.3, 0.15]))])
        ids.append(f"PER-{i + 1:03d}")
        names.append(f"{first} {last}")
        emails.append(_email(first, last, catalog.SUPPLIER_DOMAIN, taken))
        roles.append(role)
        titles_out.append(title)
    # Their place in the organisation (function, level, reporting line) is left empty here:
    # the web app's demo loader seeds the organisation with its history.
    given = {"person_id": ids, "name": names, "email": emails, "role": roles}
    people_table = pa.Table.from_arrays(
        [
            pa.array(given[f.name], f.type) if f.name in given else pa.nulls(len(ids), f.type)
            for f in PEOPLE.arrow_schema
        ],
        schema=PEOPLE.arrow_schema,
    )
    details = pa.Table.from_arrays(
        [pa.array(ids), pa.array(titles_out)], schema=PEOPLE_DETAILS_SCHEMA
    )

    by_role: dict[str, list[str]] = {}
    for pid, role in zip(ids, roles, strict=True):
        by_role.setdefault(role, []).append(pid)
    a_ids = account_ids(acc.n)
    assign: list[tuple[str, str, str]] = []
    kams = by_role["kam"]
    # Deal key accounts round-robin: loads of 2–5 when there are 3.5 accounts per manager.
    for j, k in enumerate(keys):
        assign.append((a_ids[k], kams[j % n_kam], "kam"))
    sponsors = by_role["sponsor"]
    for j, k in enumerate(keys):
        assign.append((a_ids[k], sponsors[j % n_sponsor], "sponsor"))
    team = [p for r, _ in catalog.FUNCTIONAL_ROLES for p in by_role[r]]
    for k in keys:
        for p in rng.choice(team, int(rng.integers(1, 4)), replace=False):
            assign.append((a_ids[k], str(p), "team"))
    assignments = pa.Table.from_pylist(
        [{"account_id": a, "person_id": p, "role": r} for a, p, r in assign],
        schema=ASSIGNMENTS_SCHEMA,
    )
    return people_table, details, assignments


def contacts(
    acc: Accounts,
    domains: list[str],
    assignments: pa.Table,
    rng: np.random.Generator,
) -> tuple[pa.Table, pa.Table]:
    """Contacts per account (more at large and key accounts) in an org tree, with the
    relationship-map attributes.

    Each account's contacts take a prefix of ``catalog.CONTACT_POSITIONS``, whose parents
    always come first, so ``reports_to`` stays inside the account and the tree is acyclic by
    construction.
    """
    positions = catalog.CONTACT_POSITIONS
    count = 2 + rng.poisson(0.6 + 9 * acc.q**3) + np.where(acc.key, 5, 0)
    count = np.minimum(count, len(positions))
    total = int(count.sum())
    owner = np.repeat(np.arange(acc.n), count)
    first_of = np.cumsum(count) - count
    pos = np.arange(total) - np.repeat(first_of, count)
    region = [catalog.COUNTRIES[c].region for c in acc.country]
    u_first, u_last = rng.random(total), rng.random(total)
    has_email = rng.random(total) > 0.05  # real CRMs are incomplete
    has_phone = rng.random(total) > 0.2
    digits = rng.integers([10, 100, 1000], [99, 999, 9999], (total, 3))
    influence_hi, influence_lo = rng.integers(3, 6, total), rng.integers(1, 5, total)
    attitude = rng.choice(len(ATTITUDES), total, p=[0.05, 0.15, 0.4, 0.3, 0.1])
    strength = rng.integers(1, 6, total)
    owned = rng.random(total) < 0.7

    owners_of: dict[str, list[str]] = {}
    for a, p in zip(
        assignments.column("account_id").to_pylist(),
        assignments.column("person_id").to_pylist(),
        strict=True,
    ):
        owners_of.setdefault(a, []).append(p)
    a_ids = account_ids(acc.n)
    cols: dict[str, list] = {name: [] for name in CONTACTS.arrow_schema.names}
    det: dict[str, list] = {name: [] for name in CONTACT_DETAILS_SCHEMA.names}
    taken: set[str] = set()
    for j in range(total):
        i, p = int(owner[j]), int(pos[j])
        if p == 0:
            taken = set()
        title, boss = positions[p]
        if acc.q[i] < 0.3 and boss is None:
            title = "Managing Director"
        firsts, lasts = catalog.FIRST_NAMES[region[i]], catalog.LAST_NAMES[region[i]]
        first = firsts[int(u_first[j] * len(firsts))]
        last = lasts[int(u_last[j] * len(lasts))]
        cid = f"CON-{j + 1:06d}"
        country = catalog.COUNTRIES[acc.country[i]]
        d1, d2, d3 = digits[j]
        cols["contact_id"].append(cid)
        cols["account_id"].append(a_ids[i])
        cols["name"].append(f"{first} {last}")
        cols["title"].append(title)
        cols["email"].append(_email(first, last, domains[i], taken) if has_email[j] else None)
        cols["phone"].append(f"{country.phone_prefix} {d1} {d2} {d3}" if has_phone[j] else None)
        cols["reports_to_contact_id"].append(
            None if boss is None else f"CON-{first_of[i] + boss + 1:06d}"
        )
        owners = owners_of.get(a_ids[i], [])
        det["contact_id"].append(cid)
        det["buying_role"].append(
            catalog.BUYING_ROLES.get(title, "influencer" if "Manager" in title else "user")
        )
        det["influence"].append(int(influence_hi[j] if boss in (None, 0) else influence_lo[j]))
        det["attitude"].append(ATTITUDES[attitude[j]])
        det["relationship_strength"].append(int(strength[j]))
        det["owner_person_id"].append(owners[p % len(owners)] if owners and owned[j] else None)
    table = pa.Table.from_pydict(cols, schema=CONTACTS.arrow_schema)
    details = pa.Table.from_pydict(det, schema=CONTACT_DETAILS_SCHEMA)
    return table, details
