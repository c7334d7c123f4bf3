"""The organisation's panel on the account page: who held it when, and its sponsor's
contacts."""

from __future__ import annotations

from openkam.web.core.roles import person_of, runs_programme
from openkam.web.people import assignments, services


def organisation_panel(request, account) -> dict:
    """KAM and sponsor history, the sponsor's cadence and last contacts with the account."""
    me = person_of(request.user)
    status = services.visit_status([account])
    return {
        "account": account,
        "history": assignments.history(account),
        "status": status[0] if status else None,
        "visits": account.sponsor_visits.select_related("sponsor").prefetch_related("people_met")[
            :8
        ],
        "may_assign": assignments.may_assign(request.user),
        "may_log": runs_programme(request.user) or (me is not None and account.sponsor_id == me.pk),
    }
