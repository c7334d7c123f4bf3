"""The demo's scorecard history: CLV snapshots at each past year end, and every period's
scores recorded, so the pages show ΔCLV and a KAM's history at once."""

from __future__ import annotations

import datetime as dt

from openkam.web.people.models import Assignment
from openkam.web.scorecards import services
from openkam.web.scorecards.models import ClvSnapshot


def seed_scorecards() -> list[str]:
    """Keep CLV snapshots at the year ends before the last and record the scores of every
    year and quarter with figures. Does nothing without an assignment history. Returns the
    periods recorded."""
    if not Assignment.objects.filter(role=Assignment.Role.KAM).exists():
        return []
    try:
        periods = services.available_periods()
    except services.NoFigures:
        return []
    services.snapshot_current_run()
    years = sorted({p[:4] for p in periods})
    for year in years[:-1]:
        day = dt.date(int(year), 12, 31)
        if not ClvSnapshot.objects.filter(as_of=day).exists():
            try:
                services.take_snapshot_as_of(day, actor="demo")
            except ValueError:  # too little history at that date to fit the models
                continue
    for label in reversed(periods):
        services.record(services.resolve_period(label), actor="demo")
    return periods
