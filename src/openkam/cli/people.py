"""``openkam assign`` and ``openkam people``: who holds which key account, and the
programme's organisation rules."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from openkam.cli.common import DataDir, console, fail, setup_django

people_app = typer.Typer(
    help="Our people and the organisation rules of the key account programme.",
    no_args_is_help=True,
)


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"--effective {value!r} is not a date (YYYY-MM-DD)", 2) from None


def assign_command(
    account: Annotated[str, typer.Argument(help="The account id.")],
    kam: Annotated[
        str | None,
        typer.Option("--kam", help="Person id of the new KAM ('none' to leave it without)."),
    ] = None,
    sponsor: Annotated[
        str | None,
        typer.Option(
            "--sponsor", help="Person id of the new executive sponsor ('none' for nobody)."
        ),
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option("--effective", help="Date the change takes effect (YYYY-MM-DD; today)."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")] = "",
    exception: Annotated[
        str,
        typer.Option(
            "--exception",
            help="Accept a change that breaks a programme rule, with this written reason "
            "(when the rules allow exceptions).",
        ),
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Make PERSON the KAM and/or sponsor of ACCOUNT, with the programme's rules.

    Exits 1 with the broken rule (person, rule, count) when the change is refused, and 2
    for bad input (unknown account or person, a malformed or impossible date).
    """
    if kam is None and sponsor is None:
        raise fail("give --kam and/or --sponsor", 2)
    when = _date(effective)
    setup_django(data_dir)
    from django.core.exceptions import ValidationError

    from openkam.web.accounts.models import Account
    from openkam.web.people.assignments import UNSET, RuleViolation, assign
    from openkam.web.people.models import Person

    acc = Account.objects.filter(account_id=account).first()
    if acc is None:
        raise fail(f"unknown account {account!r}", 2)

    def person(value: str | None, option: str):
        if value is None:
            return UNSET
        if value.lower() in ("none", "-", ""):
            return None
        found = Person.objects.filter(person_id=value).first()
        if found is None:
            raise fail(f"{option}: unknown person {value!r}", 2)
        return found

    new = {"kam": person(kam, "--kam"), "sponsor": person(sponsor, "--sponsor")}
    try:
        changes = assign(
            acc,
            **new,
            effective=when,
            reason=reason,
            exception_reason=exception,
            actor="cli",
            source="cli",
        )
    except RuleViolation as exc:
        if as_json:
            console.print_json(
                json.dumps(
                    {
                        "account_id": account,
                        "refused": True,
                        "violations": [v.as_dict() for v in exc.violations],
                        "exception_allowed": exc.exception_allowed,
                    }
                )
            )
            raise typer.Exit(1) from None
        raise fail(escape(str(exc)), 1) from None
    except ValidationError as exc:
        raise fail(escape(" ".join(exc.messages)), 2) from None
    acc.refresh_from_db()
    result = {
        "account_id": account,
        "kam": acc.kam.person_id if acc.kam else None,
        "sponsor": acc.sponsor.person_id if acc.sponsor else None,
        "effective": (when or dt.date.today()).isoformat(),
        "changes": changes,
        "exception_reason": exception if changes and exception else "",
    }
    if as_json:
        console.print_json(json.dumps(result))
        return
    if not changes:
        console.print(f"{escape(account)}: nothing changed.")
        return
    for field, (old, value) in changes.items():
        console.print(
            f"{escape(account)}: {field} {escape(str(old or 'nobody'))} → "
            f"{escape(str(value or 'nobody'))} from {result['effective']}"
        )


@people_app.command("rules")
def rules_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """The programme's organisation rules and every rule broken now (with the exception
    accepted for it, if any). Exits 0 either way: a broken rule is a finding, not an
    error."""
    setup_django(data_dir)
    from openkam.web.people import rules as org_rules
    from openkam.web.people.models import ProgrammeRules

    current = ProgrammeRules.current()
    violations = org_rules.current_violations(current)
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "rules": org_rules.rules_summary(current),
                    "violations": [v.as_dict() for v in violations],
                }
            )
        )
        return
    for rule in org_rules.rules_summary(current):
        console.print(f"[bold]{escape(rule['title'])}[/]: {escape(str(rule['value']))}")
    if not violations:
        console.print("No rule is broken.")
        return
    table = Table(title=f"{len(violations)} rule(s) broken now")
    for column in ("person", "rule", "account", "count", "exception"):
        table.add_column(column)
    for v in violations:
        table.add_row(
            escape(v.person_name),
            escape(v.message),
            v.account_id or "",
            "" if v.count is None else str(v.count),
            escape(v.exception_reason) or "[red]none[/]",
        )
    console.print(table)


@people_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Our people with function, level and key-account load against the rules."""
    setup_django(data_dir)
    from openkam.web.people import services

    rows = services.people_with_load()
    if as_json:
        console.print_json(json.dumps([services.person_row_json(r) for r in rows]))
        return
    table = Table()
    for column in ("person", "name", "role", "function", "level", "full time", "KAM", "sponsor"):
        table.add_column(column)
    for r in rows:
        p = r["person"]
        table.add_row(
            p.person_id,
            escape(p.name),
            p.get_role_display(),
            p.get_function_display() if p.function else "",
            p.get_executive_level_display() if p.executive_level else "",
            "yes" if p.full_time_kam else "",
            r["kam_load"]["text"] if r["kam_load"]["count"] or r["is_kam"] else "",
            r["sponsor_load"]["text"] if r["sponsor_load"]["count"] or r["is_sponsor"] else "",
        )
    console.print(table)
