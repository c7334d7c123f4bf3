"""Programme services: the only writers of partnerships, readiness snapshots, the
champion's readiness thresholds and yearly programme reviews (with their audit trail)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from openkam.web.accounts.models import Account
from openkam.web.core import audit
from openkam.web.core.concurrency import save_versioned
from openkam.web.core.permissions import require_edit
from openkam.web.core.roles import person_of, runs_programme
from openkam.web.planning.models import Plan, ValueProposition
from openkam.web.programme import readiness as checks
from openkam.web.programme.models import (
    Partnership,
    ProgrammeReview,
    ReadinessSettings,
    ReadinessSnapshot,
)

log = logging.getLogger(__name__)


def _require_programme(user) -> None:
    if not runs_programme(user):
        raise PermissionDenied("Only the KAM champion or an administrator may do this.")


# --- readiness ----------------------------------------------------------------------------


def readiness_now(today: dt.date | None = None) -> dict:
    """The readiness check now, as JSON (``openkam readiness --json``)."""
    today = today or timezone.localdate()
    return checks.as_json(checks.readiness(today), today)


def statuses_of(result: dict) -> dict[str, str]:
    return {str(s["step"]): s["status"] for s in result["steps"]}


def record_readiness(
    today: dt.date | None = None, *, force: bool = False
) -> ReadinessSnapshot | None:
    """Keep a snapshot when a step's status moved since the last one (or ``force``)."""
    result = readiness_now(today)
    statuses = statuses_of(result)
    last = ReadinessSnapshot.objects.order_by("-taken_at", "-id").first()
    if not force and last is not None and last.statuses == statuses:
        return None
    return ReadinessSnapshot.objects.create(statuses=statuses, result=result)


@task()
def refresh_readiness() -> None:
    """Background task: the readiness check after changes (``programme.signals``); a
    failure is logged and never touches the changes that asked for it."""
    try:
        record_readiness()
    except Exception:
        log.exception("readiness snapshot failed")


def progress(limit: int = 200) -> list[dict]:
    """Snapshots oldest first, for the progress chart: ``{"at", "statuses"}``."""
    rows = ReadinessSnapshot.objects.order_by("-taken_at", "-id").values("taken_at", "statuses")
    return [
        {"at": timezone.localtime(r["taken_at"]).isoformat(timespec="minutes"), **r}
        for r in reversed(list(rows[:limit]))
    ]


def update_settings(values: dict, expected_version: int | None, user) -> dict:
    """The champion changes the readiness thresholds."""
    _require_programme(user)
    current = ReadinessSettings.current()
    if current.pk is None:
        with transaction.atomic():
            current.save()
            audit.record("create", current, user=user, changes=audit.snapshot(current))
        expected_version = current.version if expected_version is not None else None
    if values.get("min_key_accounts", current.min_key_accounts) > values.get(
        "max_key_accounts", current.max_key_accounts
    ):
        raise ValidationError("The fewest key accounts cannot exceed the most.")
    return save_versioned(current, values, expected_version, user=user)


# --- partnerships -------------------------------------------------------------------------


def set_partnership(
    account: Account,
    values: dict,
    expected_version: int | None,
    user,
    *,
    benefits: list[int] | None = None,
    actor: str = "",
) -> Partnership:
    """Record the customer's answer to the partnership (status, date, who agreed, the
    benefits offered). ``benefits`` are ids of the account plan's value propositions."""
    if not actor:
        require_edit(user, account)
    contact = values.get("agreed_by")
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"agreed_by": f"{contact.name} is not a contact of {account.name}."})
    if values.get("status") == Partnership.Status.AGREED and contact is None:
        existing = Partnership.objects.filter(account=account).first()
        if "agreed_by" in values or existing is None or existing.agreed_by_id is None:
            raise ValidationError(
                {"agreed_by": "Say who on the customer's side agreed to the partnership."}
            )
    when = values.get("status_date")
    if when is not None and when > timezone.localdate():
        raise ValidationError({"status_date": "The date cannot be in the future."})
    offered = None
    if benefits is not None:
        plan = Plan.objects.filter(account=account).first()
        offered = list(ValueProposition.objects.filter(plan=plan, pk__in=benefits))
        if len(offered) != len(set(benefits)):
            raise ValidationError(
                {"benefits": "Benefits must be value propositions of this account's plan."}
            )
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().filter(account=account).first()
        if partnership is None:
            values.setdefault("status_date", timezone.localdate())
            partnership = Partnership(account=account, **values)
            partnership.full_clean()
            partnership.save()
            audit.record(
                "create",
                partnership,
                user=user,
                actor=actor,
                changes=audit.snapshot(partnership),
                account_key=account.account_id,
            )
        else:
            save_versioned(
                partnership,
                values,
                expected_version,
                user=user,
                actor=actor,
                account_key=account.account_id,
            )
        if offered is not None:
            before = sorted(partnership.benefits.values_list("pk", flat=True))
            partnership.benefits.set(offered)
            after = sorted(v.pk for v in offered)
            if before != after:
                audit.record(
                    "update",
                    partnership,
                    user=user,
                    actor=actor,
                    changes={"benefits": [before, after]},
                    account_key=account.account_id,
                )
    return partnership


# --- yearly programme review ----------------------------------------------------------------


def gather(year: int) -> dict:
    """What the yearly review looks at, gathered from the data: readiness, the key
    accounts, plans reviewed and signed off, partnerships and (where installed) scorecards."""
    from openkam.web.portfolio.models import Review

    today = timezone.localdate()
    key = Account.objects.filter(key_status=Account.KeyStatus.KEY)
    plans = Plan.objects.filter(account__in=key)
    agreed = Partnership.objects.filter(account__in=key, status=Partnership.Status.AGREED)
    last = Review.objects.filter(status=Review.Status.APPLIED).order_by("-applied_at").first()
    gathered = {
        "gathered_on": today.isoformat(),
        "readiness": statuses_of(readiness_now(today)),
        "key_accounts": key.count(),
        "plans": {
            "count": plans.count(),
            "reviewed_this_year": plans.filter(last_reviewed__year=year).count(),
            "signed_off_this_year": plans.filter(versions__signed_at__year=year).distinct().count(),
            "review_overdue": plans.filter(next_review__lt=today).count(),
        },
        "partnerships_agreed": agreed.count(),
        "selection_review": (
            {"id": last.pk, "label": last.label, "applied_at": last.applied_at.isoformat()}
            if last is not None and last.applied_at
            else None
        ),
    }
    gathered["scorecards"] = _scorecards_of(year)
    return gathered


def _scorecards_of(year: int) -> dict:
    """The year's recorded KAM scorecards: how many, and each KAM's score, contribution and
    net sales with both ranks (the seeds: judged on contribution, revenue only beside)."""
    from openkam.web.scorecards.models import Scorecard

    rows = Scorecard.objects.filter(period=str(year), role="kam").select_related("person")
    people = [
        {
            "person_id": s.person.person_id,
            "name": s.person.name,
            "score": s.score,
            "net_contribution": str(s.net_contribution),
            "net_sales": str(s.net_sales),
            "currency": s.currency,
            "rank_by_contribution": s.rank_by_contribution,
            "rank_by_revenue": s.rank_by_revenue,
        }
        for s in rows.order_by("rank_by_contribution", "person__name")
    ]
    return {"period": str(year), "recorded": len(people), "people": people}


def open_review(year: int, user) -> ProgrammeReview:
    """The champion opens the year's review; it starts from last year's."""
    _require_programme(user)
    if ProgrammeReview.objects.filter(year=year).exists():
        raise ValidationError(f"The {year} programme review exists already.")
    if ProgrammeReview.objects.filter(status=ProgrammeReview.Status.OPEN).exists():
        raise ValidationError("Close the open programme review before opening another.")
    from openkam.web.portfolio.models import Review

    with transaction.atomic():
        review = ProgrammeReview.objects.create(
            year=year,
            previous=ProgrammeReview.objects.filter(year__lt=year).order_by("-year").first(),
            selection_review=Review.objects.filter(status=Review.Status.APPLIED)
            .order_by("-applied_at")
            .first(),
            gathered=gather(year),
            opened_by=user if getattr(user, "is_authenticated", False) else None,
        )
        audit.record("create", review, user=user, changes={"year": year}, message="opened")
    return review


def refresh_review(review: ProgrammeReview, user) -> ProgrammeReview:
    """Gather the figures again while the review is open."""
    _require_programme(user)
    if review.status != ProgrammeReview.Status.OPEN:
        raise ValidationError("A closed review keeps what it gathered.")
    save_versioned(review, {"gathered": gather(review.year)}, None, user=user)
    return review


def update_review(review: ProgrammeReview, values: dict, expected_version: int | None, user):
    _require_programme(user)
    if review.status != ProgrammeReview.Status.OPEN:
        raise ValidationError("A closed review cannot be changed.")
    return save_versioned(review, values, expected_version, user=user)


def close_review(review: ProgrammeReview, decisions: str, expected_version: int | None, user):
    """Close the review with its decisions, signed by the person closing it."""
    _require_programme(user)
    if review.status != ProgrammeReview.Status.OPEN:
        raise ValidationError("This review is closed already.")
    if not (decisions or review.decisions).strip():
        raise ValidationError({"decisions": "Write the review's decisions before closing it."})
    values = {
        "decisions": (decisions or review.decisions).strip(),
        "status": ProgrammeReview.Status.CLOSED,
        "closed_by": user if getattr(user, "is_authenticated", False) else None,
        "closed_at": timezone.now(),
        "signed_by": person_of(user),
        "gathered": gather(review.year),
    }
    return save_versioned(review, values, expected_version, user=user)
