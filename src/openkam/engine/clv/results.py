"""The result of fitting a lifetime-value model: plain data, saved and loaded as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class FitResult:
    """A fitted model: what was estimated, how well, and what went wrong.

    Attributes
    ----------
    model
        ``"bgnbd"``, ``"pnbd"``, ``"gg"`` or ``"sbg"``.
    params
        Maximum-likelihood estimates by name (e.g. ``r, alpha, a, b``).
    std_errors
        Asymptotic standard errors from the inverse Hessian of the log-likelihood; ``None``
        for a parameter when the Hessian is not positive definite (see ``warnings``).
    log_likelihood
        Maximised log-likelihood (natural log, summed over customers).
    n_customers
        Customers (or accounts) the model was fitted on.
    converged
        Whether the optimiser reported success with a small gradient, no parameter at its
        bound and a positive-definite Hessian (a proper maximum).
    warnings
        Everything the caller should know: excluded customers, non-convergence.
    time_unit
        Unit of recency, T and predicted horizons (``day``, ``week``, ``month``), if known;
        for sBG the unit of one contract period.
    """

    model: str
    params: dict[str, float]
    std_errors: dict[str, float | None]
    log_likelihood: float
    n_customers: int
    converged: bool
    warnings: list[str] = field(default_factory=list)
    time_unit: str | None = None

    def to_dict(self) -> dict:
        """A JSON-ready dict; a non-finite number becomes ``None`` (JSON has no NaN)."""
        d = asdict(self)
        d["params"] = {k: _finite(v) for k, v in self.params.items()}
        d["std_errors"] = {k: _finite(v) for k, v in self.std_errors.items()}
        d["log_likelihood"] = _finite(self.log_likelihood)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FitResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            model=d["model"],
            params={k: float(v) for k, v in d["params"].items()},
            std_errors={k: None if v is None else float(v) for k, v in d["std_errors"].items()},
            log_likelihood=float(d["log_likelihood"]),
            n_customers=int(d["n_customers"]),
            converged=bool(d["converged"]),
            warnings=list(d.get("warnings", [])),
            time_unit=d.get("time_unit"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> FitResult:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        """Write the result as JSON to ``path``."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FitResult:
        """Read a result written by :meth:`save`."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _finite(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return float(v)
