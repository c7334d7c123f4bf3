"""Canonical schemas of the data OpenKAM takes in.

One place defines, for every import kind, its columns, their types and which are required.
The importers validate against it, the demo generator writes it, the engine reads it, and
``docs/data-model.md`` documents it. Money is stored as exact decimals so that totals are
exact to the cent on every engine (DuckDB and Spark both sum decimals without drift).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

#: Monetary amounts (line amounts, rebates, pool costs): exact to the cent.
MONEY = pa.decimal128(18, 2)
#: Unit prices may carry sub-cent precision.
PRICE = pa.decimal128(18, 4)
#: Quantities (units sold, driver units of activities): three decimals.
QUANTITY = pa.decimal128(18, 3)


@dataclass(frozen=True)
class Column:
    """A column of a canonical schema."""

    name: str
    type: pa.DataType
    required: bool = True
    description: str = ""
    #: For reference columns: the kind whose key this column must match.
    references: str | None = None


@dataclass(frozen=True)
class Kind:
    """An import kind: a table of the canonical model."""

    name: str
    columns: tuple[Column, ...]
    #: Columns whose values identify a record; duplicates in a file are errors and a
    #: re-import of the same key with the same values changes nothing.
    key: tuple[str, ...]
    #: Where the records live: the Parquet ``ledger`` or the operational ``database``.
    home: str
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=not c.required) for c in self.columns])

    def schema_without(self, *names: str) -> pa.Schema:
        """:attr:`arrow_schema` less some optional columns (a ledger file may leave an
        optional column out: readers see it as null)."""
        return pa.schema([f for f in self.arrow_schema if f.name not in names])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


ID_NOTE = (
    "Optional identifier. When a file has none, the importer derives one from the row's"
    " content and its occurrence among identical rows, so re-importing a file changes nothing"
    " and two identical records in one file stay two."
)

S = pa.string()
D = pa.date32()

CURRENCY_NOTE = (
    "ISO 4217 code of the record's amounts (e.g. USD); empty: the reporting currency."
    " Converted at the latest fx-rates rate on or before the record's date."
)
#: Exchange rates: units of the reporting currency per unit of a currency, 8 decimals.
FX_RATE = pa.decimal128(18, 8)

ACCOUNTS = Kind(
    "accounts",
    (
        Column("account_id", S, description="Your identifier of the customer account."),
        Column("name", S),
        Column("industry", S),
        Column("region", S),
        Column(
            "parent_account_id",
            S,
            required=False,
            references="accounts",
            description="The parent account; sales roll up to it.",
        ),
        Column("country", S, required=False),
    ),
    key=("account_id",),
    home="database",
    description="Customer accounts, optionally in a parent/subsidiary hierarchy.",
)

PRODUCTS = Kind(
    "products",
    (
        Column("product_id", S),
        Column("name", S),
        Column("product_line", S),
    ),
    key=("product_id",),
    home="database",
    description="Products and the product line each belongs to.",
)

INVOICES = Kind(
    "invoices",
    (
        Column("invoice_id", S),
        Column("line_no", pa.int32()),
        Column("invoice_date", D),
        Column("account_id", S, references="accounts"),
        Column("product_id", S, references="products"),
        Column("quantity", QUANTITY, description="Units; negative for a return."),
        Column("unit_list_price", PRICE, description="List price per unit."),
        Column("discount_amount", MONEY, description="On-invoice discount of the line."),
        Column("cogs_amount", MONEY, description="Cost of goods sold of the line."),
        Column("due_date", D, required=False),
        Column("paid_date", D, required=False),
        Column("business_unit", S, required=False, description="The customer's buying unit."),
        Column(
            "currency",
            S,
            required=False,
            description=CURRENCY_NOTE,
        ),
    ),
    key=("invoice_id", "line_no"),
    home="ledger",
    description="Invoice lines; a return is a line with negative quantity.",
)

REBATES = Kind(
    "rebates",
    (
        Column("account_id", S, references="accounts"),
        Column("rebate_date", D),
        Column("rebate_id", S, required=False, description=ID_NOTE),
        Column("amount", MONEY, description="Off-invoice rebate or allowance paid."),
        Column("kind", S, required=False, description="e.g. volume, early-payment, marketing."),
        Column(
            "currency",
            S,
            required=False,
            description=CURRENCY_NOTE,
        ),
    ),
    key=("rebate_id",),
    home="ledger",
    description="Rebates and off-invoice allowances, including early-payment discounts.",
)

ACTIVITIES = Kind(
    "activities",
    (
        Column("activity_date", D),
        Column("account_id", S, references="accounts"),
        Column("pool", S, references="cost-pools"),
        Column("quantity", QUANTITY, description="Driver units consumed (orders, hours …)."),
        Column("activity_id", S, required=False, description=ID_NOTE),
    ),
    key=("activity_id",),
    home="ledger",
    description="Cost-to-serve activity records, in the driver unit of their pool.",
)

COST_POOLS = Kind(
    "cost-pools",
    (
        Column("pool", S),
        Column("period_start", D),
        Column("period_end", D, description="Inclusive."),
        Column("cost", MONEY, description="Total cost of the pool in the period."),
        Column("capacity", QUANTITY, description="Practical capacity in driver units."),
        Column("driver_unit", S, description="e.g. order line, delivery, hour."),
        Column(
            "currency",
            S,
            required=False,
            description=CURRENCY_NOTE,
        ),
    ),
    key=("pool", "period_start"),
    home="ledger",
    description="Cost pools of time-driven activity-based costing, per period.",
)

FX_RATES = Kind(
    "fx-rates",
    (
        Column("currency", S, description="ISO 4217 code, e.g. USD."),
        Column("rate_date", D, description="The rate applies from this date on."),
        Column(
            "rate",
            FX_RATE,
            description="Units of the reporting currency per unit of the currency (> 0).",
        ),
    ),
    key=("currency", "rate_date"),
    home="ledger",
    description=(
        "Exchange rates into the reporting currency (OPENKAM_REPORTING_CURRENCY, EUR unless"
        " set); an amount is converted at the latest rate on or before its date."
    ),
)

CONTACTS = Kind(
    "contacts",
    (
        Column("contact_id", S),
        Column("account_id", S, references="accounts"),
        Column("name", S),
        Column("title", S),
        Column("email", S, required=False),
        Column("phone", S, required=False),
        Column("reports_to_contact_id", S, required=False, references="contacts"),
    ),
    key=("contact_id",),
    home="database",
    description="People at the customer.",
)

PEOPLE = Kind(
    "people",
    (
        Column("person_id", S),
        Column("name", S),
        Column("email", S),
        Column(
            "role",
            S,
            description="admin, champion, kam, sponsor, viewer or a function (e.g. operations).",
        ),
        Column("title", S, required=False, description="Job title."),
        Column(
            "function",
            S,
            required=False,
            description="sales, key_account_management, finance, operations, supply_chain, "
            "marketing, technical, customer_service or executive.",
        ),
        Column(
            "executive_level",
            S,
            required=False,
            description="Empty (not an executive), director, vice_president or c_level: who "
            "may sponsor a key account.",
        ),
        Column(
            "full_time_kam",
            S,
            required=False,
            description="yes or no: works as a key account manager full time.",
        ),
        Column(
            "reports_to_person_id",
            S,
            required=False,
            references="people",
            description="Their manager (another person).",
        ),
    ),
    key=("person_id",),
    home="database",
    description="Our own people: key account managers, executive sponsors, the champion, teams.",
)

RELATIONSHIPS = Kind(
    "relationships",
    (
        Column("contact_id", S, references="contacts"),
        Column("person_id", S, references="people", description="Our person who knows them."),
        Column(
            "strength",
            pa.int32(),
            description="1 knows the name, 2 occasional, 3 working, 4 strong, 5 trusted advisor.",
        ),
        Column("last_contact", D, required=False),
        Column("notes", S, required=False),
    ),
    key=("contact_id", "person_id"),
    home="database",
    description="How well each of our people knows each contact at the customer.",
)

COMPETENCIES = Kind(
    "competencies",
    (
        Column("person_id", S, references="people", description="The person assessed."),
        Column(
            "competency",
            S,
            description="financial_acumen, planning, influencing, consultative, technical or "
            "customer_business (the seeds' KAM competency profile).",
        ),
        Column("level", pa.int32(), description="1 (novice) to 5 (expert)."),
        Column("assessed_on", D, description="Date of the assessment."),
        Column(
            "assessed_by_person_id",
            S,
            required=False,
            references="people",
            description="Who assessed (one of our people).",
        ),
        Column("notes", S, required=False, description="Free notes."),
    ),
    key=("person_id", "competency", "assessed_on"),
    home="database",
    description="Assessments of our people's KAM competencies; the latest per competency counts.",
)

TRAINING = Kind(
    "training",
    (
        Column("person_id", S, references="people", description="Who took the course."),
        Column("course", S, description="The course's name."),
        Column("date", D, description="When it took or takes place."),
        Column("completed", S, required=False, description="yes or no (default no)."),
        Column(
            "kam_training",
            S,
            required=False,
            description="yes when the course trains key account management (default no).",
        ),
    ),
    key=("person_id", "course", "date"),
    home="database",
    description="Courses our people took or are booked on.",
)

SPONSOR_VISITS = Kind(
    "sponsor-visits",
    (
        Column("account_id", S, references="accounts", description="The account visited."),
        Column(
            "sponsor_person_id",
            S,
            references="people",
            description="The executive sponsor; must be the account's sponsor on that day.",
        ),
        Column("date", D, description="Date of the contact (not in the future)."),
        Column(
            "kind",
            S,
            required=False,
            description="visit, call or quarterly_review (default visit).",
        ),
        Column(
            "people_met",
            S,
            required=False,
            description="Contact ids of the people met at the account, separated by ';'.",
        ),
        Column("notes", S, required=False, description="Free notes."),
    ),
    key=("account_id", "sponsor_person_id", "date", "kind"),
    home="database",
    description="Executive sponsors' contacts with their key accounts.",
)

ASSIGNMENTS = Kind(
    "assignments",
    (
        Column("account_id", S, references="accounts", description="The account."),
        Column("role", S, description="kam or sponsor."),
        Column(
            "person_id",
            S,
            references="people",
            description="Who holds the role from start_date (until the next row of the same "
            "account and role).",
        ),
        Column("start_date", D, description="First day they hold it (not in the future)."),
        Column("reason", S, required=False, description="Why (kept in the history)."),
    ),
    key=("account_id", "role", "start_date"),
    home="database",
    description="Who is KAM and sponsor of which account from when. The programme's rules "
    "must hold once the whole file is applied, or nothing is imported.",
)

ORDERS = Kind(
    "orders",
    (
        Column("order_id", S, description="The customer's order (your sales order number)."),
        Column("line_no", pa.int32()),
        Column("order_date", D),
        Column("account_id", S, references="accounts"),
        Column("product_id", S, references="products"),
        Column("quantity", QUANTITY, description="Units ordered (positive)."),
        Column("requested_date", D, required=False, description="When the customer asked for it."),
        Column("promised_date", D, description="When we promised it: OTIF is measured against it."),
    ),
    key=("order_id", "line_no"),
    home="ledger",
    description="Sales order lines: what each account ordered, asked for and was promised.",
)

DELIVERIES = Kind(
    "deliveries",
    (
        Column("order_id", S, description="The order line delivered (with line_no)."),
        Column("line_no", pa.int32()),
        Column("delivery_date", D),
        Column("quantity", QUANTITY, description="Units delivered on that day (positive)."),
    ),
    key=("order_id", "line_no", "delivery_date"),
    home="ledger",
    description="Deliveries against order lines; a line may be delivered in several parts.",
)

SUPPLY = Kind(
    "supply",
    (
        Column("product_id", S, references="products"),
        Column(
            "available_date",
            D,
            description="When the quantity is available to promise: stock on hand carries"
            " today's date (or earlier), an expected receipt its arrival date.",
        ),
        Column("quantity", QUANTITY, description="Units available from that date (positive)."),
    ),
    key=("product_id", "available_date"),
    home="ledger",
    description="Available supply per product over time, for allocating open order lines.",
)

COMMITMENTS = Kind(
    "commitments",
    (
        Column(
            "commitment_id",
            S,
            required=False,
            description="Optional identifier; without one the commitment is identified by"
            " account, kind, product or product line and start date.",
        ),
        Column("account_id", S, references="accounts"),
        Column(
            "kind",
            S,
            description="priority_allocation, lead_time, otif, dedicated_stock,"
            " consignment_stock, vmi or service_level.",
        ),
        Column("product_id", S, required=False, references="products"),
        Column("product_line", S, required=False, description="Instead of one product."),
        Column(
            "protected_quantity",
            QUANTITY,
            required=False,
            description="Units reserved for the account when supply is short (priority).",
        ),
        Column("start_date", D),
        Column("end_date", D, description="Inclusive."),
        Column(
            "owner", S, references="people", description="person_id in operations or supply chain."
        ),
        Column(
            "measure",
            S,
            description="otif_pct, fill_rate_pct, avg_lead_time_days or none.",
        ),
        Column("target", QUANTITY, required=False, description="The measure's target."),
    ),
    key=("commitment_id",),
    home="database",
    description="What operations promised a key account, its owner, measure and target.",
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        ACCOUNTS,
        PRODUCTS,
        INVOICES,
        REBATES,
        ACTIVITIES,
        COST_POOLS,
        FX_RATES,
        CONTACTS,
        PEOPLE,
        RELATIONSHIPS,
        COMPETENCIES,
        TRAINING,
        SPONSOR_VISITS,
        ASSIGNMENTS,
        ORDERS,
        DELIVERIES,
        SUPPLY,
        COMMITMENTS,
    )
}

#: Ledger tables are stored as Parquet; their directory name under the ledger root.
LEDGER_TABLES = {k.name: k.name.replace("-", "_") for k in KINDS.values() if k.home == "ledger"}
