"""What every lifetime-value model class shares: its fit result, save and load."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Self

from openkam.engine.clv.results import FitResult


class Model:
    """Base of the model classes: holds the :class:`FitResult` once fitted or loaded."""

    #: Short name written in results (``bgnbd``, ``pnbd``, ``gg``, ``sbg``).
    name: ClassVar[str]
    #: Parameter names in the order of the parameter vector.
    param_names: ClassVar[tuple[str, ...]]

    def __init__(self, result: FitResult | None = None) -> None:
        if result is not None and result.model != self.name:
            raise ValueError(f"a {result.model!r} result cannot drive a {self.name!r} model")
        self.result = result

    @classmethod
    def from_params(cls, time_unit: str | None = None, **params: float) -> Self:
        """A model with given parameters (e.g. published estimates), without fitting."""
        missing = set(cls.param_names) - set(params)
        if missing:
            raise ValueError(f"{cls.name}: missing parameter(s) {', '.join(sorted(missing))}")
        bad = {k: v for k, v in params.items() if not v > 0}
        if bad:
            raise ValueError(f"{cls.name}: parameters must be positive, got {bad}")
        result = FitResult(
            model=cls.name,
            params={k: float(params[k]) for k in cls.param_names},
            std_errors=dict.fromkeys(cls.param_names),
            log_likelihood=float("nan"),
            n_customers=0,
            converged=True,
            time_unit=time_unit,
        )
        return cls(result)

    @property
    def params(self) -> dict[str, float]:
        """The parameter estimates; raises if the model is neither fitted nor loaded."""
        if self.result is None:
            raise ValueError(f"{self.name}: the model is not fitted; call fit() or load()")
        return self.result.params

    def _p(self) -> tuple[float, ...]:
        p = self.params
        return tuple(p[n] for n in self.param_names)

    def save(self, path: str | Path) -> None:
        """Save the fit result as JSON."""
        if self.result is None:
            raise ValueError(f"{self.name}: nothing to save, the model is not fitted")
        self.result.save(path)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A model from a JSON result written by :meth:`save`."""
        return cls(FitResult.load(path))

    def __repr__(self) -> str:
        if self.result is None:
            return f"{type(self).__name__}(not fitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.result.params.items())
        return f"{type(self).__name__}({ps})"
