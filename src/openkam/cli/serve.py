"""``openkam serve``: the web app on every core, and the background task worker beside it.

Production layout (see docs/operations.md for why):

* **web**: gunicorn (Linux, macOS) with two worker *processes* per core, each serving one
  request at a time (``gthread`` with one thread; idle keep-alive connections wait in its
  poller, not in a thread). Python runs one thread at a time per process: threads in one
  process take turns on one core, and a request coming back from the database waits for
  the running one to let go of the interpreter (up to 5 ms, some 25 times on an account
  page). One request per process goes to a process that is free; the second process per
  core covers the time the first waits on the database. Workers are replaced after
  ``max_requests`` requests (with jitter), which bounds their memory after large pages.
  Where gunicorn is unavailable (Windows), waitress serves in one process.
* **tasks**: the database task queue's worker runs as its *own* process, at a lower CPU
  priority (nice 10): recomputations and selection reviews never run on a request thread,
  and while one runs the kernel gives the web processes the CPU first. It is restarted if
  it dies, and stopped with the server.
* **idle**: gunicorn's master and workers sleep in ``select``; the task worker looks for
  work every ``TASK_POLL_SECONDS`` with one indexed query.
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
import threading
from typing import Annotated

import typer

from openkam.cli.common import DataDir, console, setup_django

#: How often the task worker looks for queued work when idle.
TASK_POLL_SECONDS = 2.0
#: Threads per web worker process (see the module's docstring for why one).
THREADS = 1
#: Web worker processes per core.
WORKERS_PER_CORE = 2
#: Threads of the single waitress process where gunicorn is unavailable.
WAITRESS_THREADS = 8
#: Requests a web worker serves before it is replaced (bounds memory growth). Not fewer:
#: a new worker starts with empty caches (the matrix and mix of each year, the current
#: runs), and at 25 requests/s 2,000 replaced each worker every 3 minutes.
MAX_REQUESTS = 20_000
#: Seconds an idle keep-alive connection stays open (it waits in the worker's poller, not
#: in a thread).
KEEPALIVE = 65
#: How long a web thread waits for the first bytes of a new connection before handing it
#: back to the worker's poller (gunicorn's default: 5 s).
FIRST_BYTES_WAIT = 0.01


def _patient_threads() -> None:
    """Let no silent connection hold a web thread.

    gunicorn's ``gthread`` worker gives each new connection to a thread, which waits up to
    5 s for the request before handing the connection back to the poller. Connections that
    send nothing (a browser's speculative preconnect, a stalled client, a port scan) then
    hold every web thread: 150 of them made every new request wait over 20 s
    (measured). Waiting 10 ms instead costs a client nothing — a request not there yet is
    taken from the poller as soon as it arrives — and keeps the threads for requests.
    """
    from gunicorn.workers import gthread

    if hasattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT"):
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTES_WAIT


def default_workers() -> int:
    """Two web processes per core (at least four, so that slow pages never block every
    page)."""
    return max(4, WORKERS_PER_CORE * (os.cpu_count() or 1))


def _task_worker_main(data_dir: str) -> None:
    """Entry point of the task worker process (spawned: a fresh interpreter)."""
    os.environ["OPENKAM_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openkam.web.settings")
    # Below the web processes: a recomputation uses the CPU the pages leave idle.
    with contextlib.suppress(AttributeError, OSError):  # Windows, or no permission
        os.nice(10)
    import django

    django.setup()
    _preload()
    _freeze_garbage_collector()
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=TASK_POLL_SECONDS,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"openkam-tasks-{os.getpid()}",
        excluded_queue_names=[],
    )
    worker.configure_signals()
    worker.run()


def _preload() -> None:
    """Import, once at start, what the first task would otherwise import on its own time:
    every app's views and URLs (their services define the tasks, and a review's first URL
    reversal imports them all) and the libraries the engine loads lazily."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    for name in ("pandas", "scipy.optimize", "scipy.sparse", "openkam.engine.selection"):
        with contextlib.suppress(ImportError):
            __import__(name)


def _freeze_garbage_collector() -> None:
    """Exempt what is loaded at start (Django, the apps, the libraries: some 250,000
    objects) from the garbage collector's full passes. A review creates tens of thousands
    of small objects, and each full pass walked every loaded object again: a third of a
    review's time. It also keeps the pages a forked web worker shares with its parent."""
    gc.collect()
    gc.freeze()


class TaskWorker:
    """The task worker process, restarted if it dies, stopped with the server.

    A plain child process (not ``multiprocessing``), so the web workers gunicorn forks
    from this process inherit nothing of it.
    """

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.owner = os.getpid()
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._supervise, name="task-supervisor", daemon=True)

    def start(self) -> TaskWorker:
        self._spawn()
        self._watch.start()
        return self

    def _spawn(self) -> None:
        code = "from openkam.cli.serve import _task_worker_main as m; import sys; m(sys.argv[1])"
        self._process = subprocess.Popen([sys.executable, "-c", code, self.data_dir])

    def _supervise(self) -> None:
        while not self._stopping.wait(5.0):
            self.check()

    def check(self) -> bool:
        """Restart the worker if it has died; True when it had to."""
        if self._process is not None and self._process.poll() is not None:
            console.print("[yellow]the task worker stopped; restarting it[/]")
            self._spawn()
            return True
        return False

    def stop(self) -> None:
        if os.getpid() != self.owner:
            return  # a forked web worker leaving: the task worker is not its to stop
        self._stopping.set()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()


def _warm_before_fork() -> None:
    """Read the current runs once in the master, so every worker forked from it (and every
    worker that later replaces one) starts with them: the profitability run's summary is
    18 MB of JSON with 100,000 accounts, seconds of a first request in each worker. The
    master's database connections are closed before the fork."""
    from django.db import connections

    try:
        from openkam.web.core.runs import current

        for kind in ("profitability", "clv"):
            current(kind)
    except Exception as exc:  # noqa: BLE001 - a cold start is slower, never broken
        console.print(f"[yellow]not preloaded: {exc}[/]")
    finally:
        connections.close_all()


def _gunicorn(host: str, port: int, workers: int, threads: int):
    from gunicorn.app.base import BaseApplication

    _patient_threads()

    class Server(BaseApplication):
        def load_config(self):
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 30,
                # Longer than a client's or a proxy's idle time (60 s is common): the client
                # closes an idle connection first. With 5 s, a user who paused longer had
                # the server close it just as the next request went out (2 connection
                # resets in 15,000 requests under load).
                "keepalive": KEEPALIVE,
                "max_requests": MAX_REQUESTS,
                "max_requests_jitter": MAX_REQUESTS // 10,
                "backlog": 2048,
                "worker_connections": 1000,
                "proc_name": "openkam",
                # Django and the engine are imported once, before the fork: workers start
                # (and are replaced after max_requests) in a fraction of a second.
                "preload_app": True,
                # No control socket: it would be one fixed path shared by every server.
                "control_socket_disable": True,
                # The heartbeat file lives in memory, not on a disk that may stall.
                "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
            }
            for key, value in options.items():
                if value is not None:
                    self.cfg.set(key, value)

        def load(self):
            from django.urls import get_resolver

            from openkam.web.wsgi import application

            # Import every view before the fork, not on each worker's first request.
            get_resolver().url_patterns  # noqa: B018
            _freeze_garbage_collector()
            return application

    return Server()


def serve(
    host: str, port: int, workers: int | None = None, threads: int = THREADS, tasks: bool = True
) -> None:
    """Serve the (already set up) Django app until interrupted, with the task worker."""
    from django.conf import settings
    from django.db import connections

    from openkam.web.ingest import record_pending_imports

    # Imports a crash left unrecorded are recorded before the first request.
    record_pending_imports()
    connections.close_all()  # never share a database connection with forked workers
    workers = workers or default_workers()
    worker = TaskWorker(str(settings.DATA_DIR)).start() if tasks else None
    try:
        try:
            server = _gunicorn(host, port, workers, threads)
        except ImportError:
            server = None
        console.print(
            f"OpenKAM is serving on [bold]http://{host}:{port}/[/] "
            + (
                f"({workers} processes × {threads} thread{'s' if threads != 1 else ''}"
                if server
                else f"(waitress, 1 process × {WAITRESS_THREADS} threads"
            )
            + (", task worker in its own process" if tasks else "")
            + ")  (Ctrl+C stops it)"
        )
        if server is not None:
            server.run()
        else:  # pragma: no cover - no gunicorn (Windows)
            from waitress import serve as waitress_serve

            from openkam.web.wsgi import application

            waitress_serve(
                application, host=host, port=port, threads=WAITRESS_THREADS, ident="OpenKAM"
            )
    finally:
        if worker is not None:
            worker.stop()


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Web worker processes [default: two per core, at least 4].", show_default=False
        ),
    ] = None,
    threads: Annotated[int, typer.Option(help="Threads per web worker process.")] = THREADS,
    tasks: Annotated[
        bool, typer.Option("--tasks/--no-tasks", help="Run the background task worker too.")
    ] = True,
    data_dir: DataDir = None,
) -> None:
    """Serve the web app (and run background recomputations) on HOST:PORT."""
    setup_django(data_dir)
    serve(host, port, workers=workers, threads=threads, tasks=tasks)
