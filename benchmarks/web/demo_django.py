"""Command line and Django set-up shared by the benchmarks that run on a demo's database."""

from __future__ import annotations

import argparse
import os


def demo_args(description: str, repeat: int) -> argparse.Namespace:
    """Parse ``--data-dir`` (a data directory with the demo) and ``--repeat``, then set Django
    up on that data directory (its database, SQLite or ``OPENKAM_DATABASE_URL``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", required=True, help="a data directory with the demo")
    parser.add_argument("--repeat", type=int, default=repeat)
    args = parser.parse_args()
    os.environ["OPENKAM_DATA_DIR"] = args.data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "openkam.web.settings"
    import django

    django.setup()
    return args
