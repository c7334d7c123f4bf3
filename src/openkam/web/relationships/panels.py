"""The relationship map's panel on the account page: its coverage gaps."""

from __future__ import annotations

from django.utils import timezone

from openkam.web.relationships import coverage, services


def coverage_panel(request, account) -> dict:
    _, records, _, rels = services.map_records(account)
    gaps = coverage.coverage_gaps(records, rels, timezone.localdate(), services.stale_days())
    return {"account": account, "gaps": gaps, "contacts": len(records)}
