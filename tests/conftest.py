"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from openkam.engine.backends import ENGINES

# Property tests draw the same examples on every run, so that a run of the suite (and CI) is
# reproducible; OPENKAM_HYPOTHESIS_RANDOM=1 draws new ones, to search for new failures.
settings.register_profile(
    "openkam", derandomize=os.environ.get("OPENKAM_HYPOTHESIS_RANDOM") != "1", database=None
)
settings.load_profile("openkam")


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for every Spark test (it takes seconds to start)."""
    from openkam.engine.backends import spark_session

    return spark_session()


@pytest.fixture(params=ENGINES)
def engine(request):
    """Run an engine test once per engine; Spark runs are marked ``spark``."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def pytest_collection_modifyitems(items):
    # Marked at collection, so that `-m "not spark"` deselects the Spark runs.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("engine") == "spark":
            item.add_marker(pytest.mark.spark)
