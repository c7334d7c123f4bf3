"""Recomputation runs: results stored all or nothing, and a summary the database accepts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from openkam.web.core import runs
from openkam.web.core.models import Computation


@pytest.fixture
def queued(db):
    return Computation.objects.create(kind=Computation.Kind.CLV, params={})


def test_not_a_number_is_stored_as_null(queued):
    # A model fit on an extreme history can give NaN or an infinite standard error; JSON has
    # no such numbers and the database refuses Python's "NaN".
    summary = {"log_likelihood": float("nan"), "std_errors": [1.5, np.float64("inf")], "n": 3}
    warnings = [{"detail": "x", "value": -math.inf}]
    runs.run_with_tracking(
        queued.pk, lambda run, report: ({}, warnings, summary), lambda r, x: None
    )
    queued.refresh_from_db()
    assert queued.status == Computation.Status.DONE, queued.error
    assert queued.summary == {
        "log_likelihood": None,
        "std_errors": [1.5, None],
        "n": 3,
        "ledger_fingerprint": None,  # no ledger in this data directory
    }
    assert queued.warnings == [{"detail": "x", "value": None}]


def test_a_failure_is_recorded_and_nothing_stored(queued):
    def store(run, result):
        raise RuntimeError("disk full")

    runs.run_with_tracking(queued.pk, lambda run, report: ({}, [], {}), store)
    queued.refresh_from_db()
    assert queued.status == Computation.Status.FAILED
    assert queued.error == "disk full" and not queued.is_current
