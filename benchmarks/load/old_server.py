"""The previous ``openkam serve``, kept as the load test's peer: one waitress process with 8
threads and the database task worker as a thread inside it.

    python benchmarks/load/old_server.py DATA_DIR PORT
"""

from __future__ import annotations

import os
import sys
import threading


def main() -> None:
    os.environ["OPENKAM_DATA_DIR"] = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openkam.web.settings")
    import django

    django.setup()
    from django_tasks_db.management.commands.db_worker import Worker
    from waitress import serve

    from openkam.web.wsgi import application

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
    threading.Thread(target=worker.run, name="openkam-tasks", daemon=True).start()
    serve(application, host="127.0.0.1", port=int(sys.argv[2]), threads=8, ident="OpenKAM")


if __name__ == "__main__":
    main()
