"""Work that follows a change runs in the background task worker, one pending run at a time:
the programme's readiness snapshot after any change, and the selection criteria's warm-up
after an import (so the first review after an import reads them back like any other)."""

from __future__ import annotations

import pytest
from django.db import transaction

from openkam.web.core.tasks import enqueue_once, pending
from openkam.web.portfolio import services
from openkam.web.programme import services as programme_services
from openkam.web.programme.models import ReadinessSnapshot

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queued(settings):
    """Given: the database task queue of ``openkam serve`` (tests otherwise run tasks at
    once); returns the queued runs of a task by name."""
    settings.TASKS = DB_TASKS
    from django_tasks_db.models import DBTaskResult

    def runs(task, status="READY"):
        return DBTaskResult.objects.filter(task_path=task.module_path, status=status).count()

    return runs


def test_changes_queue_one_readiness_check_and_none_runs_on_the_request(
    programme, settings, queued, django_capture_on_commit_callbacks
):
    settings.OPENKAM_READINESS_AUTO = True
    alice, a1 = programme["users"]["Alice"], programme["accounts"]["A1"]
    refresh = programme_services.refresh_readiness
    # Two changes in one transaction, then a third in another, before the worker starts.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        programme_services.set_partnership(a1, {"status": "proposed"}, None, alice)
        services.record_score(a1, "satisfaction", 4, "NPS 45", alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_score(a1, "satisfaction", 5, "NPS 60", alice)
    # One check waits for the worker; nothing was computed on the changes' thread.
    assert queued(refresh) == 1 and pending(refresh)
    assert not ReadinessSnapshot.objects.exists()
    # The worker runs it: the snapshot is kept there.
    refresh.call()
    assert ReadinessSnapshot.objects.count() == 1


def test_a_started_check_does_not_swallow_later_changes(
    programme, settings, queued, django_capture_on_commit_callbacks
):
    """A check already running may have read the data before a change: the change queues
    a new one; the finished runs are pruned as it is queued."""
    from django_tasks_db.models import DBTaskResult

    settings.OPENKAM_READINESS_AUTO = True
    alice, a1 = programme["users"]["Alice"], programme["accounts"]["A1"]
    refresh = programme_services.refresh_readiness
    with django_capture_on_commit_callbacks(execute=True):
        services.record_score(a1, "satisfaction", 4, "", alice)
    DBTaskResult.objects.filter(task_path=refresh.module_path).update(status="RUNNING")
    with django_capture_on_commit_callbacks(execute=True):
        services.record_score(a1, "satisfaction", 5, "", alice)
    assert (queued(refresh), queued(refresh, "RUNNING")) == (1, 1)
    DBTaskResult.objects.filter(task_path=refresh.module_path).update(status="SUCCESSFUL")
    with django_capture_on_commit_callbacks(execute=True):
        services.record_score(a1, "satisfaction", 3, "", alice)
    assert (queued(refresh), queued(refresh, "SUCCESSFUL")) == (1, 0)


def test_queueing_never_fails_the_change(
    programme, monkeypatch, django_capture_on_commit_callbacks
):
    """A queue that refuses the task is logged; the change that asked for it stands."""

    class Broken:
        module_path = "tests.broken"

        def enqueue(self):
            raise RuntimeError("queue down")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_once(Broken())  # no exception


INVOICES = (
    "invoice_id,line_no,invoice_date,account_id,product_id,quantity,unit_list_price,"
    "discount_amount,cogs_amount\n"
    "I1,1,2024-01-10,A1,P1,10,12.50,5.00,60.00\n"
    "I2,1,2024-02-10,A2,P1,4,12.50,0.00,24.00\n"
)


def test_an_import_queues_the_criteria_warm_up_and_the_first_review_reads_it(
    programme, settings, queued, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from openkam.web.ingest import run_import

    settings.DATA_DIR = tmp_path
    settings.OPENKAM_WARM_AFTER_IMPORT = True
    warm = services.warm_selection_criteria
    (tmp_path / "products.csv").write_text("product_id,name,product_line\nP1,Widget,widgets\n")
    (tmp_path / "invoices.csv").write_text(INVOICES)
    with django_capture_on_commit_callbacks(execute=True):
        run_import("products", [tmp_path / "products.csv"])
    with django_capture_on_commit_callbacks(execute=True):
        run_import("invoices", [tmp_path / "invoices.csv"])
    # Two imports that change what the criteria read: one warm-up waits for the worker.
    assert queued(warm) == 1
    # The same file again adds nothing: nothing more to warm.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_import("invoices", [tmp_path / "invoices.csv"])
    assert not [c for c in callbacks if "Enqueue" in type(c).__name__]
    assert queued(warm) == 1
    assert not list((tmp_path / "cache").glob("selection-metrics-*.json"))
    # The worker warms the criteria...
    warm.call()
    assert len(list((tmp_path / "cache").glob("selection-metrics-*.json"))) == 1

    # ...and the first review after the import reads them back, without the ledger.
    def no_ledger_read(*args, **kwargs):
        raise AssertionError("the review read the ledger again")

    monkeypatch.setattr(services, "ledger_metrics", no_ledger_read)
    values = services.gather_values(services.config_of(services.current_criteria()))
    # Hand-calculated: A1 bought 10 × 12.50 − 5.00 = 120.00 net; A2 4 × 12.50 = 50.00.
    assert values["A1"]["net_sales"] == pytest.approx(120.0)
    assert values["A2"]["net_sales"] == pytest.approx(50.0)
