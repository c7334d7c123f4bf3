"""``python -m openkam.cli`` runs the ``openkam`` command."""

from openkam.cli import main

main()
