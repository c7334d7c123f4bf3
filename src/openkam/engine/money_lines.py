"""Ledger amounts in the reporting currency: each line converted and rounded once.

Invoice lines, rebates and cost pools may carry an ISO 4217 ``currency`` (empty: the
reporting currency). An amount in another currency is converted at the latest rate on or
before its document date (the invoice date, the rebate date, a pool period's first day),
from the ``fx_rates`` ledger table (``rate`` = units of the reporting currency per unit of
``currency``). A foreign amount with no such rate is an error naming the currency and the
date, never a guess.

The rounding rule, the same on DuckDB and Spark:

- an invoice line's gross amount is quantity × unit list price rounded to the cent, as the
  invoice prints it (half away from zero, as both engines' ``round`` does);
- a foreign amount (that gross amount, the discount, the cost of goods, a rebate, a pool's
  cost) is then multiplied by its rate and rounded to the cent once, half away from zero;
- everything after that is a sum of cents, so a month, a quarter and a year add up.

The rate is found with an equi-join on a small calendar of (currency, day) → rate, which
both engines broadcast: an as-of join written once for both. A ledger whose amounts are all
in the reporting currency (the Parquet footers say so) skips the join altogether.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import narwhals as nw
import pyarrow as pa
import pyarrow.parquet as pq

from openkam.engine.ledger import Ledger, file_identity
from openkam.engine.money import DEFAULT_REPORTING_CURRENCY, check_currency
from openkam.engine.schema import FX_RATE

__all__ = [
    "FX_RATE",
    "Conversion",
    "MissingRate",
    "MissingRates",
    "line_gross",
    "with_gross",
    "reporting_currency",
]

# Rates have 8 decimals (schema.FX_RATE): an amount (18, 2) × rate (18, 8) then has 10
# decimals and 37 digits, within both engines' exact decimal range.
_MONEY = nw.Decimal(18, 2)
#: The document date of each money table, and its money columns.
DOCUMENT_DATE = {"invoices": "invoice_date", "rebates": "rebate_date", "cost_pools": "period_start"}
MONEY_COLUMNS = {
    "invoices": ("gross_amount", "discount_amount", "cogs_amount"),
    "rebates": ("amount",),
    "cost_pools": ("cost",),
}


def reporting_currency() -> str:
    """The reporting currency: ``OPENKAM_REPORTING_CURRENCY`` if set, else EUR."""
    code = os.environ.get("OPENKAM_REPORTING_CURRENCY", "").strip().upper()
    return check_currency(code or DEFAULT_REPORTING_CURRENCY)


def line_gross() -> nw.Expr:
    """An invoice line's gross amount in its own currency: quantity × unit list price,
    rounded to the cent (half away from zero), as the invoice prints it."""
    return (nw.col("quantity") * nw.col("unit_list_price")).round(2).cast(_MONEY)


def with_gross(invoices: nw.LazyFrame) -> nw.LazyFrame:
    """``invoices`` with ``gross_amount`` (:func:`line_gross`) unless they have it already
    (the lines of :meth:`Conversion.invoices` have it in the reporting currency)."""
    if "gross_amount" in invoices.collect_schema().names():
        return invoices
    return invoices.with_columns(gross_amount=line_gross())


@dataclass(frozen=True)
class MissingRate:
    """Amounts in ``currency`` dated before its first rate (or with no rate at all)."""

    table: str
    currency: str
    first_date: dt.date
    last_date: dt.date
    records: int
    first_rate: dt.date | None

    @property
    def message(self) -> str:
        since = (
            f"its first rate is dated {self.first_rate}"
            if self.first_rate
            else "the ledger has no rate for it"
        )
        span = (
            str(self.first_date)
            if self.first_date == self.last_date
            else f"{self.first_date} to {self.last_date}"
        )
        return (
            f"{self.records} {self.table.replace('_', ' ')} record(s) in {self.currency} dated "
            f"{span} have no {self.currency} exchange rate on or before their date ({since}): "
            "import fx-rates"
        )


class MissingRates(ValueError):
    """Foreign amounts without an exchange rate; ``missing`` lists them per table and
    currency."""

    def __init__(self, missing: list[MissingRate]):
        self.missing = missing
        super().__init__("; ".join(m.message for m in missing))


@dataclass
class Conversion:
    """How one ledger's amounts become amounts in the reporting currency.

    Make it with :meth:`of`; then :meth:`invoices`, :meth:`rebates` and :meth:`cost_pools`
    give the tables with their money columns in the reporting currency (invoices gain
    ``gross_amount``), and :attr:`signature` identifies the rates (for caches).
    """

    ledger: Ledger
    currency: str
    rates: dict[str, tuple[list[dt.date], list[Decimal]]] = field(default_factory=dict)
    #: Tables holding amounts in another currency than the reporting one.
    foreign: frozenset[str] = frozenset()
    signature: str = ""
    _calendar: nw.LazyFrame | None = None

    @classmethod
    def of(cls, ledger: Ledger, currency: str | None = None) -> Conversion:
        """The conversion of ``ledger`` into ``currency`` (default:
        :func:`reporting_currency`)."""
        currency = check_currency(currency or reporting_currency())
        foreign = frozenset(t for t in DOCUMENT_DATE if _has_foreign(ledger, t, currency))
        conversion = cls(ledger, currency, foreign=foreign)
        if foreign:
            conversion.rates = _read_rates(ledger)
            files = [f"{p.name}:{file_identity(p)}" for p in ledger.files("fx_rates")]
            conversion.signature = hashlib.sha256(
                "\n".join([currency, *files]).encode()
            ).hexdigest()[:12]
        return conversion

    # --- the tables -------------------------------------------------------------------

    def invoices(self, files=None) -> nw.LazyFrame:
        """The invoice lines with ``gross_amount``, ``discount_amount`` and
        ``cogs_amount`` in the reporting currency (and ``currency`` as recorded)."""
        frame = self.ledger.table("invoices", files).with_columns(gross_amount=line_gross())
        return self._convert(frame, "invoices")

    def rebates(self, files=None) -> nw.LazyFrame:
        """The rebate records with ``amount`` in the reporting currency."""
        return self._convert(self.ledger.table("rebates", files), "rebates")

    def cost_pools(self) -> pa.Table:
        """The cost pool periods (an Arrow table) with ``cost`` in the reporting currency."""
        pools = self.ledger.table("cost_pools").collect("pyarrow").to_arrow()
        if "cost_pools" not in self.foreign or not pools.num_rows:
            return pools
        costs = []
        for cost, code, start in zip(
            pools["cost"].to_pylist(),
            pools["currency"].to_pylist(),
            pools["period_start"].to_pylist(),
            strict=True,
        ):
            if not code or code == self.currency or cost is None:
                costs.append(cost)
            else:
                rate = self.rate(code, start)
                costs.append((cost * rate).quantize(Decimal("0.01"), ROUND_HALF_UP))
        index = pools.schema.get_field_index("cost")
        return pools.set_column(index, "cost", pa.array(costs, pools.schema.field("cost").type))

    def rate(self, currency: str, day: dt.date) -> Decimal:
        """The latest rate of ``currency`` on or before ``day``; MissingRates if none."""
        if currency == self.currency:
            return Decimal(1)
        days, values = self.rates.get(currency, ([], []))
        i = bisect.bisect_right(days, day)
        if i == 0:
            raise MissingRates(
                [MissingRate("cost_pools", currency, day, day, 1, days[0] if days else None)]
            )
        return values[i - 1]

    # --- checks -----------------------------------------------------------------------

    def missing(self) -> list[MissingRate]:
        """Every table's foreign amounts dated before the first rate of their currency."""
        found = []
        for table in sorted(self.foreign):
            date = DOCUMENT_DATE[table]
            summary = (
                self.ledger.table(table)
                .filter(_is_foreign(self.currency))
                .group_by("currency")
                .agg(nw.col(date).min().alias("first"))
                .collect("pyarrow")
                .to_arrow()
                .to_pylist()
            )
            for row in summary:
                days = self.rates.get(row["currency"], ([], []))[0]
                first_rate = days[0] if days else None
                if first_rate is not None and row["first"] >= first_rate:
                    continue
                before = self.ledger.table(table).filter(nw.col("currency") == row["currency"])
                if first_rate is not None:
                    before = before.filter(nw.col(date) < nw.lit(first_rate, dtype=nw.Date))
                stats = (
                    before.select(
                        nw.col(date).min().alias("first"),
                        nw.col(date).max().alias("last"),
                        nw.len().alias("records"),
                    )
                    .collect("pyarrow")
                    .to_arrow()
                    .to_pylist()[0]
                )
                found.append(
                    MissingRate(
                        table,
                        row["currency"],
                        stats["first"],
                        stats["last"],
                        int(stats["records"]),
                        first_rate,
                    )
                )
        return found

    def check(self) -> None:
        """Raise :class:`MissingRates` if any foreign amount lacks a rate."""
        missing = self.missing()
        if missing:
            raise MissingRates(missing)

    # --- internals --------------------------------------------------------------------

    def _convert(self, frame: nw.LazyFrame, table: str) -> nw.LazyFrame:
        if table not in self.foreign:
            return frame
        date = DOCUMENT_DATE[table]
        joined = frame.join(
            self._rate_calendar(),
            left_on=["currency", date],
            right_on=["_fx_currency", "_fx_date"],
            how="left",
        )
        foreign = _is_foreign(self.currency)
        return joined.with_columns(
            nw.when(foreign)
            .then((nw.col(c).cast(_MONEY) * nw.col("_fx_rate")).round(2).cast(_MONEY))
            .otherwise(nw.col(c).cast(_MONEY))
            .alias(c)
            for c in MONEY_COLUMNS[table]
        ).drop("_fx_currency", "_fx_date", "_fx_rate", strict=False)

    def _rate_calendar(self) -> nw.LazyFrame:
        """(currency, day, rate): every day from each currency's first rate to the last
        document date, with the rate in force that day."""
        if self._calendar is None:
            last = max(
                (
                    d
                    for t in self.foreign
                    if (d := self.ledger.column_max(t, DOCUMENT_DATE[t])) is not None
                ),
                default=None,
            )
            codes, days, rates = [], [], []
            for code, (dates, values) in sorted(self.rates.items()):
                end = max(last or dates[-1], dates[-1])
                for i, start in enumerate(dates):
                    stop = dates[i + 1] if i + 1 < len(dates) else end + dt.timedelta(days=1)
                    n = (stop - start).days
                    codes.extend([code] * n)
                    days.extend(start + dt.timedelta(days=k) for k in range(n))
                    rates.extend([values[i]] * n)
            calendar = pa.table(
                {
                    "_fx_currency": pa.array(codes, pa.string()),
                    "_fx_date": pa.array(days, pa.date32()),
                    "_fx_rate": pa.array(rates, FX_RATE),
                }
            )
            self._calendar = self.ledger.from_arrow(calendar)
        return self._calendar


def _is_foreign(currency: str) -> nw.Expr:
    # An empty or missing currency is the reporting currency.
    return ~nw.col("currency").is_null() & (nw.col("currency") != currency)


def _has_foreign(ledger: Ledger, table: str, currency: str) -> bool:
    """Whether any file of ``table`` holds an amount in another currency, from the
    Parquet footers' statistics (min and max of ``currency``) where they are there."""
    for path in ledger.files(table):
        meta = pq.ParquetFile(path).metadata
        names = meta.schema.names
        if "currency" not in names:
            continue
        index = names.index("currency")
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            if group.num_rows == 0:
                continue
            stats = group.column(index).statistics
            if stats is None or not stats.has_min_max:
                if stats is not None and stats.null_count == group.num_rows:
                    continue
                return True  # no statistics: assume so, the join will tell
            if stats.min != currency or stats.max != currency:
                return True
    return False


def _read_rates(ledger: Ledger) -> dict[str, tuple[list[dt.date], list[Decimal]]]:
    rows = (
        ledger.table("fx_rates")
        .select("currency", "rate_date", "rate")
        .collect("pyarrow")
        .to_arrow()
        .to_pylist()
    )
    rates: dict[str, tuple[list[dt.date], list[Decimal]]] = {}
    for row in sorted(rows, key=lambda r: (r["currency"], r["rate_date"])):
        dates, values = rates.setdefault(row["currency"], ([], []))
        dates.append(row["rate_date"])
        values.append(row["rate"])
    return rates
