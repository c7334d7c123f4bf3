"""CDNOW data shared by the lifetime-value tests (see tests/data/cdnow/ATTRIBUTION.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

CDNOW = Path(__file__).parents[2] / "data" / "cdnow"

#: Fader, Hardie & Lee (2005): calibration weeks 1-39 of 1997, holdout weeks 40-78.
CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


@pytest.fixture(scope="session")
def cdnow_transactions() -> pa.Table:
    """The 6,919 records of the CDNOW sample: customer, YYYYMMDD date, CDs, dollars."""
    raw = np.loadtxt(CDNOW / "CDNOW_sample.txt", dtype=str)
    return pa.table(
        {
            "customer": pa.array(raw[:, 1].astype(np.int64)),
            "yyyymmdd": pa.array(raw[:, 2].astype(np.int64)),
            "cds": pa.array(raw[:, 3].astype(np.int64)),
            "dollars": pa.array(raw[:, 4].astype(float)),
        }
    )


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions):
    """Our weekly calibration/holdout summary of the CDNOW sample, on DuckDB."""
    from openkam.engine.backends import from_arrow
    from openkam.engine.clv import summarise_transactions

    return summarise_transactions(
        from_arrow(cdnow_transactions),
        customer_col="customer",
        date_col="yyyymmdd",
        value_col="dollars",
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
        time_unit="week",
    )


@pytest.fixture(scope="session")
def published_summary() -> dict[str, np.ndarray]:
    """Hardie's own calibration summary of the sample (ID, x, t_x, T, zbar; 2 decimals)."""
    d = np.genfromtxt(
        CDNOW / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    return {name: d[name] for name in d.dtype.names}
