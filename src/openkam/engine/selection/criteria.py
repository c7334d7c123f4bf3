"""Selection criteria and programme settings: what a selection review is configured with.

A :class:`SelectionConfig` is plain data (JSON-ready through :func:`config_to_dict` and
:func:`config_from_dict`), so the web app can version it and the CLI can read it from a file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

__all__ = [
    "AXES",
    "DIRECTIONS",
    "MISSING_RULES",
    "NORMALISATIONS",
    "Criterion",
    "Economics",
    "Hysteresis",
    "Programme",
    "SelectionConfig",
    "config_from_dict",
    "config_to_dict",
    "default_config",
    "load_config",
]

#: ``attractiveness``: how attractive the customer is to us; ``strength``: how attractive
#: the customer finds us (our relative strength), the two axes of the selection matrix.
AXES = ("attractiveness", "strength")
DIRECTIONS = ("higher", "lower")
#: ``minmax``: (x − min)/(max − min) across the portfolio; ``rank``: percentile rank across
#: the portfolio (robust to outliers such as one huge CLV); ``scale``: a fixed scale
#: ``[low, high]`` such as the 1–5 of assessed scores, independent of the portfolio.
NORMALISATIONS = ("minmax", "rank", "scale")
#: ``worst``: a missing value scores 0 (unknown counts against the account);
#: ``median``: the portfolio median of the normalised values (unknown is neutral);
#: ``exclude``: the criterion is left out for that account and the others re-weighted.
MISSING_RULES = ("worst", "median", "exclude")
SOURCES = ("data", "assessed", "input")


@dataclass(frozen=True)
class Criterion:
    """One weighted selection criterion.

    ``source`` is ``data`` (computed from the ledger and engines), ``assessed`` (scored by
    people, e.g. 1–5 with a comment) or ``input`` (an estimate people enter, e.g. the
    customer's total spend for share of wallet).
    """

    key: str
    label: str
    axis: str = "attractiveness"
    source: str = "data"
    weight: float = 1.0
    direction: str = "higher"
    normalisation: str = "minmax"
    missing: str = "median"
    scale: tuple[float, float] = (1.0, 5.0)
    description: str = ""

    def __post_init__(self):
        for name, value, allowed in (
            ("axis", self.axis, AXES),
            ("direction", self.direction, DIRECTIONS),
            ("normalisation", self.normalisation, NORMALISATIONS),
            ("missing", self.missing, MISSING_RULES),
            ("source", self.source, SOURCES),
        ):
            if value not in allowed:
                raise ValueError(
                    f"criterion {self.key!r}: {name} {value!r} is not one of {', '.join(allowed)}"
                )
        if self.weight < 0:
            raise ValueError(f"criterion {self.key!r}: weight must not be negative")
        if self.normalisation == "scale" and not self.scale[1] > self.scale[0]:
            raise ValueError(f"criterion {self.key!r}: scale needs low < high")


@dataclass(frozen=True)
class Programme:
    """Size and load rules of the programme (the seeds: 5–25 key accounts, a KAM carries
    2–5 full time, an executive sponsor 1–2)."""

    min_accounts: int = 5
    max_accounts: int = 25
    kam_min: int = 2
    kam_max: int = 5
    sponsor_min: int = 1
    sponsor_max: int = 2


@dataclass(frozen=True)
class Hysteresis:
    """Slow demotion: enter at ``entry``; a key account leaves only after ``reviews``
    consecutive reviews with attractiveness below ``exit`` (``exit`` ≤ ``entry``)."""

    entry: float = 6.0
    exit: float = 4.0
    reviews: int = 2


@dataclass(frozen=True)
class Economics:
    """What the optimisation weighs: the expected value uplift of KAM against its cost.

    ``uplift_rate`` ρ is the share of an account's value KAM is expected to add at full
    mutual attractiveness; ``kam_cost`` is the cost of one full-time KAM over the value's
    horizon; ``account_cost`` the other cost of making one account key (sponsor and team
    time). Accounts without a CLV are valued at ``fallback_years`` × annual net contribution.
    """

    uplift_rate: float = 0.15
    kam_cost: float = 150_000.0
    account_cost: float = 10_000.0
    fallback_years: float = 3.0
    #: A tiny bonus for keeping an account's current KAM and sponsor (continuity), small
    #: enough never to outweigh money.
    continuity_bonus: float = 1.0


@dataclass(frozen=True)
class SelectionConfig:
    """Everything a selection review is configured with."""

    criteria: tuple[Criterion, ...]
    attractiveness_threshold: float = 5.0
    strength_threshold: float = 5.0
    programme: Programme = field(default_factory=Programme)
    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    economics: Economics = field(default_factory=Economics)
    name: str = "default"

    def __post_init__(self):
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("criterion keys must be unique")
        p, h = self.programme, self.hysteresis
        if not 0 < p.min_accounts <= p.max_accounts:
            raise ValueError("programme: need 0 < min_accounts <= max_accounts")
        if not 0 < p.kam_min <= p.kam_max or not 0 < p.sponsor_min <= p.sponsor_max:
            raise ValueError("programme: need 0 < min load <= max load for KAMs and sponsors")
        if h.exit > h.entry:
            raise ValueError("hysteresis: the exit threshold must not exceed the entry threshold")
        if h.reviews < 1:
            raise ValueError("hysteresis: reviews must be at least 1")

    def axis(self, axis: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.axis == axis and c.weight > 0)

    def replace(self, **changes) -> SelectionConfig:
        return replace(self, **changes)


def _c(key, label, axis="attractiveness", source="data", **kw) -> Criterion:
    return Criterion(key=key, label=label, axis=axis, source=source, **kw)


#: The default criteria: the seeds' attractiveness factors and Cheverton's supplier side.
DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    _c("clv", "Customer lifetime value", weight=3, normalisation="rank", missing="exclude"),
    _c("net_contribution", "Net contribution (12 months)", weight=2, normalisation="rank"),
    _c("contribution_margin_pct", "Contribution margin %", weight=1, missing="median"),
    _c("net_sales_growth", "Growth of net sales %", weight=1, normalisation="rank"),
    _c("order_stability", "Stability of order flow", weight=1, missing="worst"),
    _c("dso", "Days sales outstanding", weight=1, direction="lower", missing="median"),
    _c("product_breadth", "Product lines bought", weight=1),
    _c(
        "whitespace",
        "Whitespace (potential − current)",
        weight=1,
        normalisation="rank",
        missing="exclude",
    ),
    *(
        _c(k, label, source="assessed", normalisation="scale", missing="median")
        for k, label in (
            ("market_stability", "Stability of the customer's business and market"),
            ("adjacent_markets", "Access to adjacent markets"),
            ("strategic_alignment", "Aligned strategy and values"),
            ("financial_security", "Financial security"),
            ("ease_of_business", "Ease of doing business"),
            ("brand_value", "Brand value association"),
        )
    ),
    _c(
        "share_of_wallet",
        "Share of wallet %",
        axis="strength",
        weight=2,
        normalisation="scale",
        scale=(0.0, 100.0),
        missing="exclude",
    ),
    _c(
        "relationship_stage",
        "Relationship stage",
        axis="strength",
        source="assessed",
        weight=2,
        normalisation="scale",
        missing="worst",
    ),
    _c(
        "satisfaction",
        "Satisfaction / survey score",
        axis="strength",
        source="assessed",
        normalisation="scale",
        missing="median",
    ),
    _c(
        "preferred_supplier",
        "Preferred-supplier status",
        axis="strength",
        source="assessed",
        normalisation="scale",
        missing="worst",
    ),
)


def default_config() -> SelectionConfig:
    """The default configuration (see ``docs/selection.md`` for every criterion)."""
    return SelectionConfig(criteria=DEFAULT_CRITERIA)


def config_to_dict(config: SelectionConfig) -> dict:
    """A JSON-ready dict of ``config`` (the file format of ``openkam select --criteria``)."""
    out = asdict(config)
    for c in out["criteria"]:
        c["scale"] = list(c["scale"])
    return out


def config_from_dict(data: dict) -> SelectionConfig:
    """Build a config from a dict; keys left out take their defaults.

    Raises ``ValueError`` naming the offending key when the dict is not a valid config.
    """
    base = default_config()
    try:
        criteria = tuple(
            Criterion(**{**c, "scale": tuple(c.get("scale", (1.0, 5.0)))})
            for c in data.get("criteria", config_to_dict(base)["criteria"])
        )
        return SelectionConfig(
            criteria=criteria,
            attractiveness_threshold=float(data.get("attractiveness_threshold", 5.0)),
            strength_threshold=float(data.get("strength_threshold", 5.0)),
            programme=Programme(**data.get("programme", {})),
            hysteresis=Hysteresis(**data.get("hysteresis", {})),
            economics=Economics(**data.get("economics", {})),
            name=str(data.get("name", "default")),
        )
    except TypeError as exc:
        raise ValueError(f"invalid selection configuration: {exc}") from None


def load_config(path: Path | str) -> SelectionConfig:
    """Read a configuration file: JSON, or YAML when PyYAML is installed."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:  # pragma: no cover - PyYAML is optional
            raise ValueError("YAML criteria files need PyYAML; use JSON instead") from None
        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected an object at the top level")
    return config_from_dict(data)


#: Relationship stages (McDonald, Millman & Rogers 1997; DESIGN.md §4) on the 1–5 scale of
#: assessed scores. A disintegrating relationship scores like an exploratory one: it offers
#: as little strength to build on.
RELATIONSHIP_STAGES: dict[str, float] = {
    "exploratory": 1.0,
    "basic": 2.0,
    "cooperative": 3.0,
    "interdependent": 4.0,
    "integrated": 5.0,
    "disintegrating": 1.0,
}
__all__.append("RELATIONSHIP_STAGES")
