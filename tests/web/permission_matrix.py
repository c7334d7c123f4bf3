"""The permission matrix: every API operation and every page, for every role, on an account
of the user's own and on another's, with the expected HTTP status.

``tests/web/test_permission_matrix.py`` reads the API operations from the OpenAPI schema and
the pages from the URL resolver: an operation or a page without an entry here fails that
test, which names it. To add one, copy a similar entry.

Roles and whom they are (``world`` in the test): admin Ada; champion Chris; kam Alice (KAM
of A1); sponsor Sam (sponsor of A1); viewer Vera; functional Olga (operations, on A1's team);
anonymous. "own" is account A1 (and its plan, contacts …), "other" is A2 (Bob's).

An expectation is one status for both accounts (``"200"``) or ``"own/other"``
(``"200/403"``). Rules below give the usual patterns; pass a dict to override roles.
A status ending in ``=`` (``"302="``) means the request is refused with a message on the
page and nothing is written; every 4xx answer is checked to have written nothing, too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("admin", "champion", "kam", "sponsor", "viewer", "functional", "anonymous")
SCOPES = ("own", "other")


def rule(**by_role: str) -> dict[str, str]:
    """An expectation for each role; ``rest`` gives the roles not named."""
    rest = by_role.pop("rest", None)
    out = {r: by_role.get(r, rest) for r in ROLES}
    missing = [r for r, v in out.items() if v is None]
    assert not missing, f"no expectation for {missing}"
    return out


#: Anyone signed in reads; anonymous is refused (API 401, pages redirect to login).
READ = rule(rest="200", anonymous="401")
#: A read allowed to everyone signed in, answering 404 while nothing is computed yet.
READ_NOT_COMPUTED = rule(rest="404", anonymous="401")
PAGE_READ = rule(rest="200", anonymous="302")
PUBLIC = rule(rest="200")


def account_write(ok: str, anonymous: str = "401", refused: str = "403") -> dict[str, str]:
    """Programme roles everywhere; the KAM and the account team on their own account only."""
    return rule(
        admin=ok,
        champion=ok,
        kam=f"{ok}/{refused}",
        functional=f"{ok}/{refused}",
        sponsor=refused,
        viewer=refused,
        anonymous=anonymous,
    )


def programme(ok: str, anonymous: str = "401") -> dict[str, str]:
    """The champion and admins only."""
    return rule(admin=ok, champion=ok, rest="403", anonymous=anonymous)


def admin_only(ok: str, anonymous: str = "401") -> dict[str, str]:
    return rule(admin=ok, rest="403", anonymous=anonymous)


def sign(ok: str, anonymous: str = "401") -> dict[str, str]:
    """The account's sponsor (own = the account they sponsor) and admins who do not manage it."""
    return rule(admin=ok, sponsor=f"{ok}/403", rest="403", anonymous=anonymous)


@dataclass(frozen=True)
class Case:
    """How to call one operation or page and what each role gets.

    ``params(world, scope)`` gives the URL's path parameters, ``body(world, scope)`` the
    request body (None: no body), ``query`` a query string.
    """

    expect: dict[str, str]
    params: Callable[[dict, str], dict[str, Any]] = lambda w, s: {}
    body: Callable[[dict, str], dict | None] | None = None
    #: The query string, or ``query(world, scope)`` giving it.
    query: str | Callable[[dict, str], str] = ""
    fmt: str = "json"
    note: str = ""
    extra: dict = field(default_factory=dict)


def acc(w, s):
    return {"account_id": w["account"][s].account_id}


def row(name: str, key: str = "id"):
    """Path parameter ``key`` = the pk of ``world[name][scope]``."""
    return lambda w, s: {key: w[name][s].pk}


def version(obj) -> int:
    obj.refresh_from_db()
    return obj.version


def _part_body(kind_fields: dict):
    def body(w, s):
        return {"account": w["account"][s].account_id, **kind_fields}

    return body


def _versioned(world_key: str, **fields):
    return lambda w, s: {**fields, "version": version(w[world_key][s])}


# --- the API -------------------------------------------------------------------------------

API: dict[str, Case] = {
    # accounts
    "GET /api/accounts/": Case(READ),
    "POST /api/accounts/": Case(
        programme("201"),
        body=lambda w, s: {"account_id": "NEW", "name": "New", "industry": "x", "region": "y"},
    ),
    "GET /api/accounts/{account_id}/": Case(READ, acc),
    "PUT /api/accounts/{account_id}/": Case(
        account_write("200"),
        acc,
        lambda w, s: {
            "account_id": w["account"][s].account_id,
            "name": "Renamed",
            "industry": "food",
            "region": "EMEA",
            "version": version(w["account"][s]),
        },
    ),
    "PATCH /api/accounts/{account_id}/": Case(
        account_write("200"), acc, _versioned("account", name="Renamed")
    ),
    # A1 has a subsidiary (A3): removing it is refused with a reason, not a server error.
    "DELETE /api/accounts/{account_id}/": Case(
        rule(admin="409/204", champion="409/204", rest="403", anonymous="401"), acc
    ),
    "GET /api/contacts/": Case(READ),
    "POST /api/contacts/": Case(
        # The account named in the body decides: 400 when it is not the user's.
        account_write("201", refused="400") | {"viewer": "403"},
        body=lambda w, s: {
            "contact_id": "CNEW",
            "account": w["account"][s].account_id,
            "name": "N",
        },
    ),
    "GET /api/contacts/{contact_id}/": Case(
        READ, lambda w, s: {"contact_id": w["contact"][s].contact_id}
    ),
    "PUT /api/contacts/{contact_id}/": Case(
        account_write("200"),
        lambda w, s: {"contact_id": w["contact"][s].contact_id},
        lambda w, s: {
            "contact_id": w["contact"][s].contact_id,
            "account": w["account"][s].account_id,
            "name": "Renamed",
            "version": version(w["contact"][s]),
        },
    ),
    "PATCH /api/contacts/{contact_id}/": Case(
        account_write("200"),
        lambda w, s: {"contact_id": w["contact"][s].contact_id},
        _versioned("contact", title="CFO"),
    ),
    "DELETE /api/contacts/{contact_id}/": Case(
        programme("204"), lambda w, s: {"contact_id": w["contact"][s].contact_id}
    ),
    "GET /api/products/": Case(READ),
    "GET /api/products/{product_id}/": Case(READ, lambda w, s: {"product_id": "P1"}),
    # people
    "GET /api/people/": Case(READ),
    "POST /api/people/": Case(
        programme("201"), body=lambda w, s: {"person_id": "P-New", "name": "New", "role": "viewer"}
    ),
    "GET /api/people/{person_id}/": Case(READ, lambda w, s: {"person_id": "P-Bob"}),
    "PUT /api/people/{person_id}/": Case(
        programme("200"),
        lambda w, s: {"person_id": "P-Bob"},
        lambda w, s: {
            "person_id": "P-Bob",
            "name": "Bob B.",
            "role": "kam",
            "version": version(w["people"]["Bob"]),
        },
    ),
    "PATCH /api/people/{person_id}/": Case(
        programme("200"),
        lambda w, s: {"person_id": "P-Bob"},
        lambda w, s: {"title": "KAM", "version": version(w["people"]["Bob"])},
    ),
    "DELETE /api/people/{person_id}/": Case(programme("204"), lambda w, s: {"person_id": "P-Vic"}),
    # plans and their rows
    "GET /api/plans/": Case(READ),
    "GET /api/plans/{account_id}/": Case(READ, acc),
    "PUT /api/plans/{account_id}/": Case(
        account_write("200"), acc, lambda w, s: {"version": version(w["plan"][s])}
    ),
    "PATCH /api/plans/{account_id}/": Case(
        account_write("200"), acc, _versioned("plan", strengths="Fast")
    ),
    "GET /api/plans/{account_id}/compare/": Case(READ, acc, query="a=1&b=1"),
    "GET /api/plans/{account_id}/versions/": Case(READ, acc),
    "GET /api/plans/{account_id}/versions/{number}/": Case(
        READ, lambda w, s: {**acc(w, s), "number": 1}
    ),
    "POST /api/plans/{account_id}/versions/{number}/sign/": Case(
        sign("200"), lambda w, s: {**acc(w, s), "number": 1}, lambda w, s: {}
    ),
}

# operations (commitments: A1's and A2's, both owned by Olga in operations)
_com = lambda w, s: {"commitment_id": w["commitment"][s].commitment_id}  # noqa: E731
#: The programme, the account's KAM, and the commitment's owner (Olga, on both accounts).
COMMITMENT_EDIT = rule(
    admin="{ok}",
    champion="{ok}",
    kam="{ok}/403",
    functional="{ok}",
    sponsor="403",
    viewer="403",
    anonymous="{anon}",
)


def commitment_edit(ok: str, anonymous: str = "401") -> dict[str, str]:
    return {r: v.format(ok=ok, anon=anonymous) for r, v in COMMITMENT_EDIT.items()}


def _commitment_body(w, s):
    return {
        "account": w["account"][s].account_id,
        "kind": "otif",
        "start_date": "2030-01-01",
        "end_date": "2030-12-31",
        "owner": "P-Olga",
        "measure": "otif_pct",
        "target": "95",
    }


API["GET /api/commitments/"] = Case(READ)
# Olga works in operations: she may record a promise to any account; a KAM only to theirs.
API["POST /api/commitments/"] = Case(
    commitment_edit("201") | {"functional": "201"}, body=_commitment_body
)
API["GET /api/commitments/{commitment_id}/"] = Case(READ, _com)
API["PUT /api/commitments/{commitment_id}/"] = Case(
    commitment_edit("200"),
    _com,
    lambda w, s: {**_commitment_body(w, s), "version": version(w["commitment"][s])},
)
API["PATCH /api/commitments/{commitment_id}/"] = Case(
    commitment_edit("200"), _com, _versioned("commitment", target="90")
)
API["DELETE /api/commitments/{commitment_id}/"] = Case(commitment_edit("204"), _com)
API["GET /api/commitment-status/"] = Case(READ)
API["GET /api/service-levels/"] = Case(READ)
API["GET /api/allocation/"] = Case(READ)

PARTS = {
    "objectives": ("objective", {"year": 2031, "metric": "net_sales", "target": "5"}),
    "value-propositions": ("value_proposition", {"solution": "S", "customer_gain": "G"}),
    "whitespace": (
        "whitespace",
        {"product_line": "Lx", "business_unit": "Ux", "potential": "5"},
    ),
    "risks": ("risk", {"description": "R"}),
    "actions": ("action", {"title": "T"}),
}
for prefix, (name, fields) in PARTS.items():
    API[f"GET /api/{prefix}/"] = Case(READ)
    # Sponsors may write somewhere, so they reach the service, which refuses (403).
    API[f"POST /api/{prefix}/"] = Case(account_write("201"), body=_part_body(fields))
    API[f"GET /api/{prefix}/{{id}}/"] = Case(READ, row(name))
    API[f"PUT /api/{prefix}/{{id}}/"] = Case(
        account_write("200"),
        row(name),
        lambda w, s, name=name, fields=fields: {**fields, "version": version(w[name][s])},
    )
    API[f"PATCH /api/{prefix}/{{id}}/"] = Case(
        account_write("200"), row(name), lambda w, s, name=name: {"version": version(w[name][s])}
    )
    API[f"DELETE /api/{prefix}/{{id}}/"] = Case(account_write("204"), row(name))

API |= {
    # relationship maps
    "GET /api/contact-profiles/": Case(READ),
    "GET /api/contact-profiles/{contact_id}/": Case(
        READ, lambda w, s: {"contact_id": w["contact"][s].contact_id}
    ),
    "PUT /api/contact-profiles/{contact_id}/": Case(
        account_write("200"),
        lambda w, s: {"contact_id": w["contact"][s].contact_id},
        lambda w, s: {"influence": 4, "version": version(w["profile"][s])},
    ),
    "PATCH /api/contact-profiles/{contact_id}/": Case(
        account_write("200"),
        lambda w, s: {"contact_id": w["contact"][s].contact_id},
        lambda w, s: {"influence": 4, "version": version(w["profile"][s])},
    ),
    "GET /api/coverage/{account_id}/": Case(READ, acc, query="days=90"),
    "GET /api/dotted-lines/": Case(READ),
    "POST /api/dotted-lines/": Case(
        account_write("201"),
        body=lambda w, s: {
            "contact": w["contact"][s].contact_id,
            "to_contact": w["contact2"][s].contact_id,
            "note": "n",
        },
    ),
    "GET /api/dotted-lines/{id}/": Case(READ, row("dotted")),
    "DELETE /api/dotted-lines/{id}/": Case(account_write("204"), row("dotted")),
    "GET /api/relationships/": Case(READ),
    "POST /api/relationships/": Case(
        account_write("201"),
        body=lambda w, s: {
            "contact": w["contact2"][s].contact_id,
            "person": "P-Chris",
            "strength": 3,
        },
    ),
    "GET /api/relationships/{id}/": Case(READ, row("relationship")),
    "PUT /api/relationships/{id}/": Case(
        account_write("200"),
        row("relationship"),
        lambda w, s: {
            "contact": w["contact"][s].contact_id,
            "person": w["relationship"][s].person.person_id,
            "strength": 4,
            "version": version(w["relationship"][s]),
        },
    ),
    "PATCH /api/relationships/{id}/": Case(
        account_write("200"), row("relationship"), _versioned("relationship", strength=4)
    ),
    "DELETE /api/relationships/{id}/": Case(account_write("204"), row("relationship")),
    # profitability and lifetime value
    "GET /api/profitability/": Case(READ),
    "GET /api/profitability/lines/": Case(READ, query="account_id=A1&period=2024"),
    "GET /api/profitability/matrix/": Case(READ_NOT_COMPUTED),
    "GET /api/profitability/mix/": Case(READ_NOT_COMPUTED, query="period=2024"),
    "GET /api/profitability/pools/": Case(READ),
    "GET /api/profitability/segments/": Case(READ_NOT_COMPUTED),
    "GET /api/profitability/trend/": Case(READ_NOT_COMPUTED),
    "GET /api/profitability/whale/": Case(READ_NOT_COMPUTED),
    "GET /api/profitability/settings/": Case(READ),
    "PUT /api/profitability/settings/": Case(
        programme("200"), body=lambda w, s: {"cost_of_capital": "0.09", "version": 1}
    ),
    "PATCH /api/profitability/settings/": Case(
        programme("200"), body=lambda w, s: {"cost_of_capital": "0.09", "version": 1}
    ),
    # Anyone who may write starts a recomputation (it changes no record, only figures).
    "POST /api/profitability/recompute/": Case(
        rule(rest="202", viewer="403", anonymous="401"), body=lambda w, s: {}
    ),
    "GET /api/clv/": Case(READ),
    "GET /api/clv/diagnostics/": Case(READ_NOT_COMPUTED),
    "POST /api/clv/recompute/": Case(
        rule(rest="202", viewer="403", anonymous="401"), body=lambda w, s: {}
    ),
    "GET /api/runs/": Case(READ),
    "GET /api/runs/{id}/": Case(READ, lambda w, s: {"id": w["run"].pk}),
    # selection
    "GET /api/selection/criteria/": Case(READ),
    "POST /api/selection/criteria/": Case(
        programme("201"), body=lambda w, s: {"config": w["criteria"].config, "note": "same"}
    ),
    "GET /api/selection/criteria/{number}/": Case(READ, lambda w, s: {"number": 1}),
    "GET /api/selection/scores/": Case(READ),
    "POST /api/selection/scores/": Case(
        account_write("201"),
        body=lambda w, s: {
            "account": w["account"][s].account_id,
            "criterion": "satisfaction",
            "value": 4,
        },
    ),
    "GET /api/selection/scores/{id}/": Case(READ, row("score")),
    "GET /api/selection/overrides/": Case(READ),
    "POST /api/selection/overrides/": Case(
        programme("201"),
        body=lambda w, s: {
            "account": w["account"][s].account_id,
            "decision": "not_key",
            "reason": "test",
        },
    ),
    "GET /api/selection/overrides/{id}/": Case(READ, row("override")),
    "DELETE /api/selection/overrides/{id}/": Case(programme("204"), row("override")),
    "GET /api/selection/reviews/": Case(READ),
    # Three accounts cannot satisfy the default programme rules: allowed, then refused (400).
    "POST /api/selection/reviews/": Case(programme("202"), body=lambda w, s: {"label": "T"}),
    "GET /api/selection/reviews/{id}/": Case(READ, lambda w, s: {"id": w["review"].pk}),
    "GET /api/selection/reviews/{id}/decisions/": Case(READ, lambda w, s: {"id": w["review"].pk}),
    "POST /api/selection/reviews/{id}/apply/": Case(
        programme("200"), lambda w, s: {"id": w["review"].pk}, lambda w, s: {}
    ),
    # imports: only the programme roles; an empty request then fails validation.
    "POST /api/imports/": Case(programme("400"), body=lambda w, s: {}, fmt="multipart"),
    # The token endpoint takes a username and password whoever calls it.
    "POST /api/token/": Case(PUBLIC, body=lambda w, s: {"username": "vera", "password": "pw-Vera"}),
}


# the KAM organisation (docs/roles.md, docs/organisation.md). Own: A1 (Alice KAM, Sam
# sponsor), other: A2 (Bob's, no sponsor). Only the champion and admins assign KAMs and
# sponsors, set rules, targets, the champion, assessments and training; a sponsor logs (and
# removes) their own visits to the accounts they sponsor.
_RULES = {
    "kam_min_accounts": 2,
    "kam_max_accounts": 5,
    "kam_must_be_full_time": True,
    "sponsor_min_level": "c_level",
    "sponsor_min_accounts": 1,
    "sponsor_max_accounts": 2,
    "allow_exceptions": True,
    "visit_every_days": 60,
}
#: The rules row does not exist until the first edit: its defaults carry version 1.
_RULES_VERSION = 1


def _visit_body(w, s):
    # Sam sponsors A1 only: logging a visit to A2 is refused as not his (400).
    return {
        "account": w["account"][s].account_id,
        "sponsor": "P-Sam",
        "date": "2024-02-01",
        "kind": "call",
    }


API |= {
    "GET /api/assignments/": Case(READ),
    "GET /api/assignments/{id}/": Case(READ, row("assignment")),
    # A1's sponsor gets a cadence of their own (200: no holder changed); A2 gets Alice as
    # KAM (201; A2 is not a key account, so no load rule is touched).
    "POST /api/assignments/": Case(
        programme("200/201"),
        body=lambda w, s: (
            {"account": "A1", "role": "sponsor", "person": "P-Sam", "visit_every_days": 30}
            if s == "own"
            else {"account": "A2", "role": "kam", "person": "P-Alice", "reason": "cover"}
        ),
    ),
    "GET /api/champion/": Case(READ),
    "GET /api/champion/{id}/": Case(READ, lambda w, s: {"id": w["champion"].pk}),
    "POST /api/champion/": Case(
        programme("201"),
        body=lambda w, s: {"person": "P-Ada", "since": "2024-01-01", "reports_to": None},
    ),
    "GET /api/competency-assessments/": Case(READ),
    "GET /api/competency-assessments/{id}/": Case(READ, row("assessment")),
    "POST /api/competency-assessments/": Case(
        programme("201"),
        body=lambda w, s: {
            "person": "P-Bob",
            "competency": "planning",
            "level": 4,
            "assessed_on": "2024-01-01",
        },
    ),
    "GET /api/competency-targets/": Case(READ),
    "GET /api/competency-targets/{competency}/": Case(
        READ, lambda w, s: {"competency": "planning"}
    ),
    "POST /api/competency-targets/": Case(
        programme("201"), body=lambda w, s: {"competency": "planning", "level": 5}
    ),
    "GET /api/training/": Case(READ),
    "GET /api/training/{id}/": Case(READ, row("training")),
    "POST /api/training/": Case(
        programme("201"),
        body=lambda w, s: {
            "person": "P-Bob",
            "course": "Negotiation",
            "kam_training": False,
            "date": "2024-01-01",
            "completed": True,
        },
    ),
    "DELETE /api/training/{id}/": Case(programme("204"), row("training")),
    "GET /api/sponsor-visits/": Case(READ),
    "GET /api/sponsor-visits/{id}/": Case(READ, row("visit")),
    "POST /api/sponsor-visits/": Case(
        rule(
            admin="201/400",
            champion="201/400",
            sponsor="201/400",
            rest="403",
            anonymous="401",
        ),
        body=_visit_body,
    ),
    # own: Sam's visit to A1; other: Bob's to A2.
    "DELETE /api/sponsor-visits/{id}/": Case(
        rule(admin="204", champion="204", sponsor="204/403", rest="403", anonymous="401"),
        row("visit"),
    ),
    "GET /api/sponsor-visit-status/": Case(READ),
    "GET /api/rule-violations/": Case(READ),
    "GET /api/programme-rules/{id}/": Case(READ, lambda w, s: {"id": "current"}),
    "PUT /api/programme-rules/{id}/": Case(
        programme("200"),
        lambda w, s: {"id": "current"},
        lambda w, s: {**_RULES, "version": _RULES_VERSION},
    ),
    "PATCH /api/programme-rules/{id}/": Case(
        programme("200"),
        lambda w, s: {"id": "current"},
        lambda w, s: {"visit_every_days": 60, "version": _RULES_VERSION},
    ),
}


# --- the pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page (by URL name): what a GET answers, and what its form's POST answers.

    ``post=None`` with a reason in ``note`` when the page has no form or is covered
    elsewhere; ``get=None`` for POST-only URLs.
    """

    get: dict[str, str] | None
    post: dict[str, str] | None = None
    params: Callable[[dict, str], dict[str, Any]] = lambda w, s: {}
    data: Callable[[dict, str], dict] = lambda w, s: {}
    query: str = ""
    note: str = ""


POST_ONLY_GET = rule(rest="405", anonymous="302")


def _c(w, s):
    return {"contact_id": w["contact"][s].contact_id}


def _part(kind: str, name: str):
    return lambda w, s: {
        "account_id": w["account"][s].account_id,
        "kind": kind,
        "pk": w[name][s].pk,
    }


def _account_form(w, s):
    a = w["account"][s]
    a.refresh_from_db()
    return {
        "name": "Renamed",
        "industry": a.industry,
        "region": a.region,
        "country": "",
        "parent": "",
        "kam": a.kam_id or "",
        "sponsor": a.sponsor_id or "",
        "notes": "",
        "version": a.version,
    }


PAGES: dict[str, Page] = {
    "home": Page(PAGE_READ),
    "favicon": Page(rule(rest="301"), note="a permanent redirect to the vendored icon"),
    "health": Page(PUBLIC),
    "login": Page(PUBLIC, note="the login form: tests/web/test_login_security.py"),
    "logout": Page(rule(rest="405"), post=rule(rest="302")),
    "accounts:list": Page(PAGE_READ),
    "accounts:detail": Page(PAGE_READ, params=acc),
    "accounts:edit": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=acc,
        data=_account_form,
    ),
    "accounts:contact_add": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=acc,
        data=lambda w, s: {"contact_id": "CNEW", "name": "New", "version": 1},
    ),
    "accounts:contact_edit": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=_c,
        data=lambda w, s: {"name": "Renamed", "version": version(w["contact"][s])},
    ),
    "people:list": Page(PAGE_READ),
    "people:detail": Page(PAGE_READ, params=lambda w, s: {"person_id": "P-Bob"}),
    # The address before /person/<id>/: a redirect for bookmarks, to anyone.
    "people:detail_before": Page(rule(rest="301"), params=lambda w, s: {"person_id": "P-Bob"}),
    "people:add": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        data=lambda w, s: {"person_id": "P-New", "name": "New", "role": "viewer", "active": "on"},
    ),
    "people:edit": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        params=lambda w, s: {"person_id": "P-Bob"},
        data=lambda w, s: {
            "name": "Bob B.",
            "role": "kam",
            "function": "key_account_management",
            "full_time_kam": "on",
            "active": "on",
            "version": version(w["people"]["Bob"]),
        },
    ),
    "people:assess": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        params=lambda w, s: {"person_id": "P-Bob"},
        data=lambda w, s: {"competency": "planning", "level": 4, "assessed_on": "2024-01-01"},
    ),
    "people:training": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        params=lambda w, s: {"person_id": "P-Bob"},
        data=lambda w, s: {"course": "Negotiation", "date": "2024-01-01", "completed": "on"},
    ),
    "people:targets": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        data=lambda w, s: {"planning": 5},
    ),
    "people:champion": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        data=lambda w, s: {"person": w["people"]["Ada"].pk, "since": "2024-01-01"},
    ),
    "people:rules": Page(
        PAGE_READ,
        post=programme("302", anonymous="302"),
        data=lambda w, s: {**_RULES, "version": _RULES_VERSION},
    ),
    "people:assign": Page(
        programme("200", anonymous="302"),
        post=programme("302", anonymous="302"),
        params=acc,
        # own: A1 keeps its KAM and sponsor, whose cadence changes; other: Alice covers A2.
        data=lambda w, s: (
            {"kam": "P-Alice", "sponsor": "P-Sam", "visit_every_days": 30}
            if s == "own"
            else {"kam": "P-Alice", "sponsor": "", "reason": "cover"}
        ),
    ),
    "people:visits": Page(PAGE_READ),
    # Sam sponsors A1: his visit to A2 is refused on the form (A2 has no sponsor).
    "people:visit_add": Page(
        rule(admin="200", champion="200", sponsor="200", rest="403", anonymous="302"),
        post=rule(
            admin="302/200=",
            champion="302/200=",
            sponsor="302/200=",
            rest="403",
            anonymous="302",
        ),
        data=lambda w, s: {**_visit_body(w, s), "sponsor": w["people"]["Sam"].pk},
    ),
    "profitability:index": Page(
        PAGE_READ,
        post=programme("302", anonymous="302"),
        data=lambda w, s: {"cost_of_capital": "0.09", "version": 1},
    ),
    "lifetime_value:index": Page(
        PAGE_READ,
        post=programme("302", anonymous="302"),
        data=lambda w, s: {
            "model": "bgnbd",
            "discount_rate": "0.1",
            "horizon_years": 5,
            "time_unit": "week",
            "version": 1,
        },
    ),
    "run": Page(PAGE_READ, params=lambda w, s: {"pk": w["run"].pk}),
    "profitability:recompute": Page(
        POST_ONLY_GET, post=rule(rest="302", viewer="403", anonymous="302")
    ),
    "lifetime_value:recompute": Page(
        POST_ONLY_GET, post=rule(rest="302", viewer="403", anonymous="302")
    ),
    "profitability:activities": Page(PAGE_READ, params=acc, query="period=2024&pool=delivery"),
    "profitability:lines": Page(PAGE_READ, params=acc, query="period=2024"),
    "portfolio:selection": Page(PAGE_READ),
    "portfolio:run": Page(rule(rest="*", anonymous="302"), post=programme("302", anonymous="302")),
    "portfolio:criteria": Page(
        PAGE_READ,
        # The criteria form (its fields belong to the selection app): the programme roles
        # may save; anyone else is shown the refusal on the page and nothing is written.
        post=rule(admin="*", champion="*", rest="200=", anonymous="302"),
        data=lambda w, s: {"name": "default"},
    ),
    "portfolio:reviews": Page(PAGE_READ),
    "portfolio:criteria_file": Page(PAGE_READ, note="the criteria as the CLI's JSON file"),
    "portfolio:matrix": Page(PAGE_READ, params=lambda w, s: {"pk": w["review"].pk}),
    "portfolio:row": Page(
        # The world's review is stored without rows: an account not in it is not found.
        rule(rest="404", anonymous="302"),
        params=lambda w, s: {"pk": w["review"].pk, "account_id": w["account"][s].account_id},
    ),
    "portfolio:compare": Page(
        PAGE_READ, query="a={review}&b={review}", note="query filled from world"
    ),
    "portfolio:review": Page(PAGE_READ, params=lambda w, s: {"pk": w["review"].pk}),
    "portfolio:apply": Page(
        # GET: the changes to confirm; a refused POST is shown with its reason.
        PAGE_READ,
        post=rule(admin="302", champion="302", rest="302=", anonymous="302"),
        params=lambda w, s: {"pk": w["review"].pk},
        data=lambda w, s: {"confirm": "yes"},
    ),
    "portfolio:scores": Page(
        PAGE_READ,
        # A refused score is shown on the page with its reason.
        post=account_write("302", anonymous="302", refused="200="),
        params=acc,
        data=lambda w, s: {"criterion": "satisfaction", "value": "4", "comment": ""},
    ),
    "portfolio:override": Page(
        POST_ONLY_GET,
        post=rule(admin="302", champion="302", rest="302=", anonymous="302"),
        params=acc,
        data=lambda w, s: {"decision": "not_key", "reason": "test"},
    ),
    "portfolio:withdraw": Page(
        POST_ONLY_GET,
        post=rule(admin="302", champion="302", rest="302=", anonymous="302"),
        params=lambda w, s: {"pk": w["override"][s].pk},
    ),
    "planning:overview": Page(PAGE_READ),
    "planning:shared": Page(PUBLIC, params=lambda w, s: {"token": w["plan"][s].share_token}),
    "planning:plan": Page(PAGE_READ, params=acc),
    "planning:start": Page(POST_ONLY_GET, post=account_write("302", anonymous="302"), params=acc),
    "planning:edit": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=acc,
        data=lambda w, s: {
            "relationship_stage": "basic",
            "review_every_months": 3,
            "version": version(w["plan"][s]),
        },
    ),
    "planning:review": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=acc,
        data=lambda w, s: {"version": version(w["plan"][s])},
    ),
    "planning:sharing": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=acc,
        data=lambda w, s: {"sections": ["objectives"], "version": version(w["plan"][s])},
    ),
    "planning:sharing_preview": Page(PAGE_READ, params=acc),
    "planning:history": Page(PAGE_READ, params=acc),
    "planning:compare": Page(PAGE_READ, params=acc, query="a=1&b=1"),
    "planning:sign": Page(
        POST_ONLY_GET,
        post=sign("302", anonymous="302"),
        params=lambda w, s: {**acc(w, s), "number": 1},
    ),
    "planning:export": Page(PAGE_READ, params=lambda w, s: {**acc(w, s), "fmt": "md"}),
    "planning:part_add": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=lambda w, s: {**acc(w, s), "kind": "risks"},
        data=lambda w, s: {"description": "R", "likelihood": "low", "impact": "low"},
    ),
    "planning:part_edit": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=_part("risks", "risk"),
        data=lambda w, s: {
            "description": "R2",
            "likelihood": "low",
            "impact": "low",
            "version": version(w["risk"][s]),
        },
    ),
    "planning:part_delete": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=_part("risks", "risk"),
    ),
    "operations:index": Page(PAGE_READ),
    "operations:service": Page(PAGE_READ),
    "operations:allocation": Page(PAGE_READ),
    "operations:allocation_export": Page(PAGE_READ, params=lambda w, s: {"fmt": "csv"}),
    "operations:commitment": Page(PAGE_READ, params=_com),
    "operations:commitment_create": Page(
        rule(rest="200", viewer="403", anonymous="302"),
        post=commitment_edit("302", anonymous="302"),
        data=lambda w, s: {
            **_commitment_body(w, s),
            "owner": w["people"]["Olga"].pk,
            "review_period": "quarter",
        },
    ),
    "operations:commitment_edit": Page(
        commitment_edit("200", anonymous="302"),
        post=commitment_edit("302", anonymous="302"),
        params=_com,
        data=lambda w, s: {
            **_commitment_body(w, s),
            "owner": w["people"]["Olga"].pk,
            "review_period": "quarter",
            "version": version(w["commitment"][s]),
        },
    ),
    "operations:commitment_delete": Page(
        POST_ONLY_GET, post=commitment_edit("302", anonymous="302"), params=_com
    ),
    "relationships:index": Page(PAGE_READ),
    "relationships:map": Page(PAGE_READ, params=acc),
    # Without htmx the contact's panel is the map page, opened at the contact.
    "relationships:contact": Page(rule(rest="302"), params=_c),
    "relationships:profile": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=_c,
        data=lambda w, s: {
            "buying_role": "other",
            "influence": 4,
            "attitude": "neutral",
            "version": version(w["profile"][s]),
        },
    ),
    "relationships:rel_add": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=lambda w, s: {"contact_id": w["contact2"][s].contact_id},
        data=lambda w, s: {"person": w["people"]["Chris"].pk, "strength": 3},
    ),
    "relationships:dotted_add": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=_c,
        data=lambda w, s: {"to_contact": w["contact2"][s].pk, "note": ""},
    ),
    "relationships:rel_delete": Page(
        POST_ONLY_GET,
        post=account_write("302", anonymous="302"),
        params=lambda w, s: {"pk": w["relationship"][s].pk},
    ),
    "relationships:contact_add": Page(
        account_write("200", anonymous="302"),
        post=account_write("302", anonymous="302"),
        params=acc,
        data=lambda w, s: {
            "contact_id": "CNEW",
            "name": "New",
            "buying_role": "other",
            "influence": 3,
            "attitude": "neutral",
        },
    ),
    "imports:upload": Page(
        PAGE_READ,
        # Without a file the form answers with its errors (200); others are refused.
        post=programme("200", anonymous="302"),
        data=lambda w, s: {"kind": "accounts"},
    ),
}


# --- the programme (readiness, partnerships, yearly reviews) --------------------------------
# ``partnership`` exists on A1 (own) and A2 (other); ``fresh`` are A4 (Alice's, Olga on its
# team) and A5 (Bob's), accounts without one, for creating; ``programme_review`` is 2030's.


def _partnership(w, s):
    return {"account_id": w["account"][s].account_id}


def _readiness_settings_version(w, s) -> int:
    from openkam.web.programme.models import ReadinessSettings

    return ReadinessSettings.current().version


def _review_year(w, s):
    return {"year": w["programme_review"].year}


API.update(
    {
        "GET /api/programme/readiness/": Case(READ),
        "GET /api/programme/readiness/history/": Case(READ),
        "POST /api/programme/readiness/history/": Case(programme("201")),
        "GET /api/programme/readiness/settings/": Case(READ),
        "PUT /api/programme/readiness/settings/": Case(
            programme("200"),
            body=lambda w, s: {
                "target_share": "0.70",
                "version": _readiness_settings_version(w, s),
            },
        ),
        "GET /api/partnerships/": Case(READ),
        "POST /api/partnerships/": Case(
            account_write("201"),
            body=lambda w, s: {
                "account_id": w["fresh"][s].account_id,
                "status": "proposed",
                "status_date": "2026-01-05",
            },
        ),
        "GET /api/partnerships/{account_id}/": Case(READ, _partnership),
        "PUT /api/partnerships/{account_id}/": Case(
            account_write("200"),
            _partnership,
            lambda w, s: {
                "account_id": w["account"][s].account_id,
                "status": "in_discussion",
                "status_date": "2026-01-05",
                "version": version(w["partnership"][s]),
            },
        ),
        "PATCH /api/partnerships/{account_id}/": Case(
            account_write("200"), _partnership, _versioned("partnership", notes="Met the CFO")
        ),
        "GET /api/programme/reviews/": Case(READ),
        # 2030's review is open: a second can only be opened once it is closed (400).
        "POST /api/programme/reviews/": Case(programme("400"), body=lambda w, s: {"year": 2031}),
        "GET /api/programme/reviews/{year}/": Case(READ, _review_year),
        "PUT /api/programme/reviews/{year}/": Case(
            programme("200"),
            _review_year,
            lambda w, s: {
                "year": 2030,
                "decisions": "Keep going.",
                "version": version(w["programme_review"]),
            },
        ),
        "PATCH /api/programme/reviews/{year}/": Case(
            programme("200"),
            _review_year,
            lambda w, s: {"decisions": "More.", "version": version(w["programme_review"])},
        ),
        "POST /api/programme/reviews/{year}/close/": Case(
            programme("200"),
            _review_year,
            lambda w, s: {
                "decisions": "Closed with decisions.",
                "version": version(w["programme_review"]),
            },
        ),
    }
)

PAGES.update(
    {
        "programme:readiness": Page(PAGE_READ),
        "programme:record": Page(POST_ONLY_GET, post=programme("302", anonymous="302")),
        "programme:settings": Page(
            PAGE_READ,
            post=programme("302", anonymous="302"),
            data=lambda w, s: {
                "min_key_accounts": 5,
                "max_key_accounts": 25,
                "target_share": "0.70",
                "selection_review_days": 365,
                "programme_review_days": 365,
                "assessment_days": 365,
                "version": _readiness_settings_version(w, s),
            },
        ),
        "programme:champion": Page(PAGE_READ),
        "programme:partnerships": Page(PAGE_READ),
        "programme:partnership": Page(
            PAGE_READ,
            post=account_write("302", anonymous="302"),
            params=_partnership,
            data=lambda w, s: {
                "status": "paused",
                "status_date": "2026-01-05",
                "version": version(w["partnership"][s]),
            },
        ),
        "programme:reviews": Page(PAGE_READ),
        # The open 2030 review must be closed first: refused with a message, nothing written.
        "programme:review_open": Page(
            POST_ONLY_GET,
            post=rule(admin="302=", champion="302=", rest="403", anonymous="302"),
            data=lambda w, s: {"year": 2031},
        ),
        "programme:review": Page(
            PAGE_READ,
            post=programme("302", anonymous="302"),
            params=_review_year,
            data=lambda w, s: {
                "action": "save",
                "decisions": "Agreed.",
                "version": version(w["programme_review"]),
            },
        ),
    }
)


# --- scorecards ----------------------------------------------------------------------------
#
# "own" is Alice's scorecard (the KAM of A1, which Sam sponsors and Olga works on), "other"
# is Bob's. The world has no profitability figures: a reader allowed to see a scorecard gets
# 404 from the API ("recompute profitability first") and the page saying so (200); who may
# not see it is refused first, figures or not. Sam is an executive, so he sees every
# scorecard and the dashboard; a KAM sees their own; a viewer or an operations member none.


def _scorer(w, s):
    return {"person_id": "P-Alice" if s == "own" else "P-Bob"}


def _weights_version(w, s) -> int:
    from openkam.web.scorecards.models import ScorecardWeights

    saved = ScorecardWeights.objects.order_by("pk").first()
    return saved.version if saved else 1


def _weights_form(w, s) -> dict:
    from openkam.engine.scorecards import MEASURES
    from openkam.web.scorecards.models import ScorecardWeights

    defaults = ScorecardWeights()
    return {
        **{m: getattr(defaults, m) for m in MEASURES},
        "revenue_warning_share": 15,
        "version": _weights_version(w, s),
    }


#: Reading one person's scorecard: everyone who may see it, with no figures yet.
SEE_CARD = rule(
    admin="404",
    champion="404",
    sponsor="404",
    kam="404/403",
    viewer="403",
    functional="403",
    anonymous="401",
)
SEES_ALL = rule(admin="404", champion="404", sponsor="404", rest="403", anonymous="401")

API.update(
    {
        "GET /api/scorecards/": Case(READ_NOT_COMPUTED),
        "GET /api/scorecards/{person_id}/": Case(SEE_CARD, _scorer),
        "GET /api/scorecards/history/": Case(
            rule(
                admin="200",
                champion="200",
                sponsor="200",
                kam="200/403",
                viewer="403",
                functional="403",
                anonymous="401",
            ),
            query=lambda w, s: f"person={_scorer(w, s)['person_id']}",
        ),
        "GET /api/scorecards/dashboard/": Case(SEES_ALL),
        "POST /api/scorecards/record/": Case(programme("404"), body=lambda w, s: {}),
        "GET /api/scorecards/weights/": Case(READ),
        "PUT /api/scorecards/weights/": Case(
            programme("200"),
            body=lambda w, s: {"revenue_warning_share": 15, "version": _weights_version(w, s)},
        ),
    }
)

PAGES.update(
    {
        "scorecards:index": Page(PAGE_READ),
        "scorecards:detail": Page(
            rule(
                admin="200",
                champion="200",
                sponsor="200",
                kam="200/403",
                viewer="403",
                functional="403",
                anonymous="302",
            ),
            params=_scorer,
        ),
        "scorecards:export": Page(
            rule(
                admin="200",
                champion="200",
                sponsor="200",
                kam="200/403",
                viewer="403",
                functional="403",
                anonymous="302",
            ),
            params=lambda w, s: {**_scorer(w, s), "fmt": "xlsx"},
        ),
        "scorecards:dashboard": Page(
            rule(admin="200", champion="200", sponsor="200", rest="403", anonymous="302")
        ),
        "scorecards:weights": Page(
            PAGE_READ, post=programme("302", anonymous="302"), data=_weights_form
        ),
        # No figures: the champion's recording answers with the page saying so.
        "scorecards:record": Page(POST_ONLY_GET, post=programme("200", anonymous="302")),
        "scorecards:snapshots": Page(
            rule(admin="200", champion="200", sponsor="200", rest="403", anonymous="302"),
            # No figures: the form answers with the reason (200); only the champion and
            # admins take snapshots (an executive sees the page only).
            post=programme("200", anonymous="302"),
            data=lambda w, s: {"as_of": "2024-01-31"},
        ),
    }
)


# --- entries for the organisation, operations, scorecards and programme apps --------------
#
# PARTIAL entries (``ANY``), used only where an app's owner has not written an entry above:
# only what every endpoint must do is checked — anonymous is
# refused, a viewer writes nothing, and no read or refusal writes a row. Their owners should
# replace ``ANY`` by the expected status of each role (see the entries above) and add the
# rows the entry needs to the ``world`` fixture.

#: Not checked for this role yet (see PARTIAL above).
ANY = "*"
READ_PARTIAL = rule(rest=ANY, anonymous="401")
WRITE_PARTIAL = rule(rest=ANY, viewer="403", anonymous="401")
PAGE_PARTIAL = rule(rest=ANY, anonymous="302")
PAGE_WRITE_PARTIAL = rule(rest=ANY, viewer=ANY, anonymous="302")


def _empty(w, s):
    return {}


for key in [
    "GET /api/allocation/",
    "GET /api/assignments/",
    "GET /api/champion/",
    "GET /api/commitment-status/",
    "GET /api/commitments/",
    "GET /api/competency-assessments/",
    "GET /api/competency-targets/",
    "GET /api/partnerships/",
    "GET /api/programme/readiness/",
    "GET /api/programme/readiness/history/",
    "GET /api/programme/readiness/settings/",
    "GET /api/programme/reviews/",
    "GET /api/rule-violations/",
    "GET /api/service-levels/",
    "GET /api/sponsor-visit-status/",
    "GET /api/sponsor-visits/",
    "GET /api/training/",
]:
    API.setdefault(key, Case(READ_PARTIAL))

_DETAIL = {
    "GET /api/assignments/{id}/": {"id": 1},
    "GET /api/champion/{id}/": {"id": 1},
    "GET /api/commitments/{commitment_id}/": {"commitment_id": "CM-1"},
    "GET /api/competency-assessments/{id}/": {"id": 1},
    "GET /api/competency-targets/{competency}/": {"competency": "planning"},
    "GET /api/partnerships/{account_id}/": {"account_id": "A1"},
    "GET /api/programme-rules/{id}/": {"id": "current"},
    "GET /api/programme/reviews/{year}/": {"year": 2025},
    "GET /api/sponsor-visits/{id}/": {"id": 1},
    "GET /api/training/{id}/": {"id": 1},
}
for key, values in _DETAIL.items():
    API.setdefault(key, Case(READ_PARTIAL, lambda w, s, v=values: v))

_WRITES = {
    "POST /api/assignments/": {},
    "POST /api/champion/": {},
    "POST /api/commitments/": {},
    "DELETE /api/commitments/{commitment_id}/": {"commitment_id": "CM-1"},
    "PATCH /api/commitments/{commitment_id}/": {"commitment_id": "CM-1"},
    "PUT /api/commitments/{commitment_id}/": {"commitment_id": "CM-1"},
    "POST /api/competency-assessments/": {},
    "POST /api/competency-targets/": {},
    "POST /api/partnerships/": {},
    "PATCH /api/partnerships/{account_id}/": {"account_id": "A1"},
    "PUT /api/partnerships/{account_id}/": {"account_id": "A1"},
    "PATCH /api/programme-rules/{id}/": {"id": "current"},
    "PUT /api/programme-rules/{id}/": {"id": "current"},
    "POST /api/programme/readiness/history/": {},
    "PUT /api/programme/readiness/settings/": {},
    "POST /api/programme/reviews/": {},
    "PATCH /api/programme/reviews/{year}/": {"year": 2025},
    "PUT /api/programme/reviews/{year}/": {"year": 2025},
    "POST /api/programme/reviews/{year}/close/": {"year": 2025},
    "POST /api/sponsor-visits/": {},
    "DELETE /api/sponsor-visits/{id}/": {"id": 1},
    "POST /api/training/": {},
    "DELETE /api/training/{id}/": {"id": 1},
}
for key, values in _WRITES.items():
    API.setdefault(key, Case(WRITE_PARTIAL, lambda w, s, v=values: v, _empty))

_PARTIAL_PAGES = {
    # The tab icon: served to anyone.
    "favicon": Page(rule(rest="301")),
    "people:add": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "people:rules": Page(PAGE_PARTIAL),
    "people:targets": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "people:champion": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "people:visits": Page(PAGE_PARTIAL),
    "people:visit_add": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "people:assign": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=acc),
    "people:edit": Page(
        PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=lambda w, s: {"person_id": "P-Bob"}
    ),
    "people:assess": Page(
        PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=lambda w, s: {"person_id": "P-Bob"}
    ),
    "people:training": Page(
        PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=lambda w, s: {"person_id": "P-Bob"}
    ),
    "portfolio:criteria_file": Page(PAGE_PARTIAL),
    "portfolio:matrix": Page(PAGE_PARTIAL, params=lambda w, s: {"pk": w["review"].pk}),
    "portfolio:row": Page(
        PAGE_PARTIAL, params=lambda w, s: {"pk": w["review"].pk, "account_id": "A1"}
    ),
    "operations:index": Page(PAGE_PARTIAL),
    "operations:service": Page(PAGE_PARTIAL),
    "operations:allocation": Page(PAGE_PARTIAL),
    "operations:allocation_export": Page(PAGE_PARTIAL, params=lambda w, s: {"fmt": "csv"}),
    "operations:commitment_create": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "operations:commitment": Page(PAGE_PARTIAL, params=lambda w, s: {"commitment_id": "CM-1"}),
    "operations:commitment_edit": Page(
        PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=lambda w, s: {"commitment_id": "CM-1"}
    ),
    "operations:commitment_delete": Page(
        None, post=PAGE_WRITE_PARTIAL, params=lambda w, s: {"commitment_id": "CM-1"}
    ),
    "programme:readiness": Page(PAGE_PARTIAL),
    "programme:record": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "programme:settings": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "programme:champion": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "programme:partnerships": Page(PAGE_PARTIAL),
    "programme:partnership": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=acc),
    "programme:reviews": Page(PAGE_PARTIAL),
    "programme:review_open": Page(PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL),
    "programme:review": Page(
        PAGE_PARTIAL, post=PAGE_WRITE_PARTIAL, params=lambda w, s: {"year": 2025}
    ),
}
# Entries written by an app's owner above take precedence over these partial ones.
for _name, _page in _PARTIAL_PAGES.items():
    PAGES.setdefault(_name, _page)
