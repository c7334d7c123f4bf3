"""``openkam serve``: the web app and its background task worker, in one process."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from openkam.cli.common import DataDir, console, setup_django


def start_worker() -> threading.Thread:
    """Run the database task queue's worker beside the web server (no broker needed)."""
    # The packaged worker command installs signal handlers, which only the main thread may
    # do; its Worker class runs fine in a thread without them.
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="openkam-serve",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="openkam-tasks", daemon=True)
    thread.start()
    return thread


def serve(host: str, port: int, threads: int = 8) -> None:
    """Serve the (already set up) Django app with waitress until interrupted."""
    from waitress import serve as waitress_serve

    from openkam.web.wsgi import application

    start_worker()
    console.print(f"OpenKAM is serving on [bold]http://{host}:{port}/[/]  (Ctrl+C stops it)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="OpenKAM")


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
) -> None:
    """Serve the web app (and run background recomputations) on HOST:PORT."""
    setup_django(data_dir)
    serve(host, port)
