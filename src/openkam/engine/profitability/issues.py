"""Problems found in the ledger: errors stop the computation, warnings travel with the result."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class InputIssue:
    """One problem with the input, named so that someone can find and fix the records.

    Attributes
    ----------
    reason
        A short machine-readable code (see :data:`REASONS`).
    table
        The ledger table whose records are at fault.
    pool
        The cost pool concerned, if any.
    period
        The period concerned: a reporting period label ("2024-03") for activity and sales
        records, the pool's own period label for cost pools.
    count
        How many records are concerned.
    detail
        One sentence for a person.
    """

    reason: str
    table: str
    pool: str | None
    period: str | None
    count: int
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"pool {self.pool!r}" if self.pool is not None else "",
                f"period {self.period}" if self.period is not None else "",
                f"{self.count} record(s) in {self.table}",
            )
            if part
        )
        return f"{self.reason}: {self.detail} ({where})"


#: Reason codes and what they mean.
REASONS = {
    "no_pool_cost": "activities whose pool has no cost record covering their date",
    "capacity_not_positive": "a cost pool period whose practical capacity is zero or negative",
    "bad_pool_period": "a cost pool period that ends before it starts",
    "overlapping_pool_periods": "two cost records of one pool cover the same day",
    "reserved_pool": "a cost pool named like a computed cost-to-serve line",
    "unknown_account": "records for an account missing from the given account list",
    "hierarchy_cycle": "an account that is its own ancestor",
    "no_fx_rate": "amounts in a currency with no exchange rate on or before their date",
    "over_capacity": "a pool period whose activities use more than its practical capacity "
    "(warning: allocated exceeds cost, unused capacity is negative)",
}


def missing_rate_issue(missing) -> InputIssue:
    """The issue of a :class:`~openkam.engine.money_lines.MissingRate`: the currency is
    in ``pool`` (the column that names what to fix), the dates in ``period``."""
    span = (
        str(missing.first_date)
        if missing.first_date == missing.last_date
        else f"{missing.first_date}/{missing.last_date}"
    )
    return InputIssue("no_fx_rate", missing.table, None, span, missing.records, missing.message)


class ProfitabilityInputError(ValueError):
    """The ledger cannot be costed as it stands; ``issues`` lists every problem found.

    Nothing is computed when this is raised: fix the records and run again.
    """

    def __init__(self, issues: list[InputIssue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the profitability input:\n{lines}")
