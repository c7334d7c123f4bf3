"""`openkam serve`: the production layout the operations doc states (issue 18, part 6)."""

from __future__ import annotations

import sys
import time

from openkam.cli import serve


def test_web_workers_use_every_core_one_request_each_and_are_recycled(monkeypatch):
    server = serve._gunicorn("127.0.0.1", 8999, workers=serve.default_workers(), threads=1)
    cfg = server.cfg
    # Two processes per core, one request at a time each (docs/operations.md: measured
    # against 2 × 4 threads, 4 × 2 and 6 × 1 at 100,000 accounts).
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 2)
    assert serve.default_workers() == 4 and serve.THREADS == 1
    monkeypatch.setattr(serve.os, "cpu_count", lambda: 8)
    assert serve.default_workers() == 16
    assert cfg.threads == 1 and cfg.worker_class_str == "gthread"
    # Memory taken by a large page is given back when a worker is replaced.
    assert cfg.max_requests == 20_000 and cfg.max_requests_jitter == 2000
    # A silent connection holds a web thread 10 ms, not gunicorn's 5 s.
    from gunicorn.workers import gthread

    assert gthread.DEFAULT_WORKER_DATA_TIMEOUT == serve.FIRST_BYTES_WAIT == 0.01
    assert cfg.preload_app is True
    assert cfg.worker_connections >= 1000  # the previous server stopped accepting at ~100


def test_the_task_worker_is_its_own_process_restarted_if_it_dies(monkeypatch, tmp_path):
    # A stand-in for the worker's entry point: a process that exits at once.
    code = "import sys; sys.exit(0)"
    monkeypatch.setattr(
        serve.TaskWorker,
        "_spawn",
        lambda self: setattr(
            self, "_process", serve.subprocess.Popen([sys.executable, "-c", code])
        ),
    )
    worker = serve.TaskWorker(str(tmp_path))
    worker._spawn()
    first = worker._process
    first.wait(30)
    # The supervisor's check (run every 5 s by its thread): a dead worker is replaced.
    assert worker.check() is True
    assert worker._process is not first
    worker.stop()
    time.sleep(0.1)
    assert worker._process.poll() is not None


def test_a_forked_web_worker_never_stops_the_task_worker(tmp_path):
    worker = serve.TaskWorker(str(tmp_path))
    worker.owner = -1  # as seen from a forked web worker: not the process that started it
    worker.stop()
    assert not worker._stopping.is_set()
