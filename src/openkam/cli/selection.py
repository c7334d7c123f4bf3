"""``openkam select``: the recommended key account portfolio, and recording a review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openkam.cli.common import DataDir, console, fail, setup_django

#: The per-account fields the JSON output promises (issues #5 and #13), before the
#: details. ``changes`` is a list of ``{"field", "from", "to", "reason"}``.
FIELDS = (
    "account_id",
    "attractiveness",
    "relative_strength",
    "quadrant",
    "decision",
    "kam",
    "sponsor",
    "reasons",
    "current_decision",
    "current_kam",
    "current_sponsor",
    "changes",
)


def select_command(
    criteria: Annotated[
        Path | None,
        typer.Option("--criteria", help="Criteria file (JSON, or YAML with PyYAML installed)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    apply: Annotated[
        bool,
        typer.Option(help="Record a review and set key status, KAM and sponsor as recommended."),
    ] = False,
    label: Annotated[str, typer.Option(help="Label of the recorded review.")] = "",
    exception_reason: Annotated[
        str,
        typer.Option(
            help="With --apply: why the programme accepts the rules the review breaks "
            "(kept as recorded exceptions); without it such a review is refused."
        ),
    ] = "",
    details: Annotated[
        bool, typer.Option(help="With --json, include each criterion's contribution.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Score the accounts and recommend the key account portfolio.

    Exits with status 1 and the clashing rules when no portfolio satisfies them (e.g. too
    few KAMs for the minimum programme size).
    """
    from openkam.engine.selection import SelectionInfeasible, config_to_dict, load_config

    config = None
    if criteria is not None:
        if not criteria.is_file():
            raise fail(f"no such file: {criteria}", 2)
        try:
            config = load_config(criteria)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
    setup_django(data_dir)
    from django.core.exceptions import ValidationError

    from openkam.web.portfolio import services

    try:
        if apply:
            from django.db import transaction

            # The file's criteria are saved only with the review they produced: a review
            # refused by the programme rules leaves nothing behind.
            with transaction.atomic():
                if config is not None:
                    services.save_criteria(
                        config_to_dict(config), None, f"from {criteria.name}", actor="cli"
                    )
                review = services.create_review(
                    None, label, apply=True, actor="cli", exception_reason=exception_reason
                )
            result = {**review.result, "accounts": review.rows()}
        else:
            result, _, _ = services.build_recommendation(config=config)
    except SelectionInfeasible as exc:
        raise fail(
            "no portfolio satisfies the programme rules:\n  - " + "\n  - ".join(exc.reasons)
        ) from None
    except ValidationError as exc:
        raise fail("; ".join(exc.messages)) from None

    accounts = [
        {
            **{k: r.get(k) for k in FIELDS},
            **(
                {
                    "binding": r["binding"],
                    "expected_gain": r["expected_gain"],
                    "strength_assessed": r["strength_assessed"],
                    "contributions": r["contributions"],
                }
                if details
                else {}
            ),
        }
        for r in result["accounts"]
    ]
    if as_json:
        out = {
            "accounts": accounts,
            "constraints": result["constraints"],
            "objective": result["objective"],
            "currency": result.get("currency", "EUR"),
        }
        if apply:
            out["review"] = {"id": review.pk, "label": review.label}
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    table = Table(title="Recommended key account portfolio")
    for col in ("account", "attract.", "strength", "quadrant", "decision", "KAM", "sponsor", "why"):
        table.add_column(col)
    for r in result["accounts"]:
        table.add_row(
            r["account_id"],
            f"{r['attractiveness']:.2f}",
            f"{r['relative_strength']:.2f}",
            r["quadrant"],
            "[bold]key[/]" if r["decision"] == "key" else "not key",
            r.get("kam_name") or "",
            r.get("sponsor_name") or "",
            r["reasons"][0],
        )
    console.print(table)
    p = result["constraints"]["programme"]
    ch = result["constraints"].get("changes", {})
    console.print(
        f"{p['selected']} key accounts (programme {p['min']}–{p['max']}), "
        f"expected value {result['objective']:,.0f} {result.get('currency', 'EUR')}; "
        f"changes: {ch.get('decision', 0)} key status, {ch.get('kam', 0)} KAM, "
        f"{ch.get('sponsor', 0)} sponsor"
    )
    for r in result["accounts"]:
        for c in r.get("changes", []):
            if c["field"] != "decision":
                console.print(
                    f"  {r['account_id']} {c['field']}: {c['from']} → {c['to']}: {c['reason']}"
                )
    if apply:
        console.print(f"Recorded and applied review {review.label!r} (id {review.pk}).")
