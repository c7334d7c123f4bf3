"""The demo's programme: customers' answers to the partnership and last year's review.

A programme part-way through its rollout: most key accounts agreed to the partnership, a
few are still in discussion, one declined (a demotion candidate) and one paused; last year's
programme review was held and closed, this year's is not open yet.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from openkam.web.accounts.models import Account, Contact
from openkam.web.core import audit
from openkam.web.planning.models import ValueProposition
from openkam.web.programme.models import Partnership, ProgrammeReview
from openkam.web.programme.services import gather, record_readiness

#: The answers in turn over the key accounts (by name): mostly agreed, as a programme in
#: its second year would be.
ANSWERS = ["agreed", "agreed", "in_discussion", "agreed", "agreed", "proposed", "agreed",
           "declined", "agreed", "in_discussion", "agreed", "paused"]  # fmt: skip


def _decision_maker(account: Account) -> Contact | None:
    """The contact with the most influence on the buying decision (economic buyer first)."""
    return (
        Contact.objects.filter(account=account, profile__left_company=False)
        .order_by(
            F("profile__influence").desc(nulls_last=True),
            "profile__buying_role",
            "contact_id",
        )
        .first()
        or Contact.objects.filter(account=account).order_by("contact_id").first()
    )


def seed_partnerships(today: dt.date) -> int:
    count = 0
    key = Account.objects.filter(key_status=Account.KeyStatus.KEY).order_by("name")
    for i, account in enumerate(key):
        status = ANSWERS[i % len(ANSWERS)]
        agreed_by = _decision_maker(account) if status == "agreed" else None
        if status == "agreed" and agreed_by is None:
            status = "in_discussion"
        partnership = Partnership.objects.create(
            account=account,
            status=status,
            # Agreements came in over last year; open talks are recent.
            status_date=today
            - dt.timedelta(days=(400 - 23 * i) if status == "agreed" else 20 + 9 * i),
            agreed_by=agreed_by,
            notes={
                "declined": "Prefers tendering every year; no appetite for a joint plan.",
                "paused": "Paused during the customer's merger; to resume next quarter.",
            }.get(status, ""),
        )
        partnership.benefits.set(ValueProposition.objects.filter(plan__account=account))
        audit.record(
            "create",
            partnership,
            actor="demo",
            changes=audit.snapshot(partnership),
            account_key=account.account_id,
        )
        count += 1
    return count


def seed_programme_review(today: dt.date) -> ProgrammeReview:
    """Last year's programme review, closed in January with its decisions."""
    year = today.year - 1
    review = ProgrammeReview.objects.create(
        year=year,
        status=ProgrammeReview.Status.CLOSED,
        gathered=gather(year),
        decisions=(
            "Keep the programme at its size; add an operations or supply chain lead to every "
            "key account team and train them in KAM; every sponsor visits each account once a "
            "quarter; next year's plan objectives on net contribution, not sales."
        ),
        closed_at=timezone.make_aware(dt.datetime(today.year, 1, 20, 16, 0)),
    )
    audit.record("create", review, actor="demo", changes={"year": year}, message="closed")
    return review


def seed_programme(today: dt.date) -> None:
    seed_partnerships(today)
    if today.month > 1 or today.day > 20:
        seed_programme_review(today)
    record_readiness(today, force=True)
