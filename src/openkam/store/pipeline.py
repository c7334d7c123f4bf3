"""Overlap reading, validating and writing: each stage runs in its own thread.

pyarrow releases the GIL while it parses CSV, computes and encodes Parquet, so on two
cores a background reader and a background writer make an import nearly twice as fast
as one thread doing the three in turn. Queues are short so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(make: Callable[[], Iterator[T]], depth: int = 2) -> Iterator[T]:
    """Iterate ``make()`` in a background thread, at most ``depth`` items ahead.

    Exceptions raised by the iterator are re-raised in the consumer. If the consumer stops
    early, the producer is told to stop at its next item.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in make():
                if not put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer
            put((_DONE, exc))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="openkam-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = items.get()
            if item is _DONE:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        thread.join()


class BackgroundWorker:
    """Run ``work(item)`` for submitted items, in order, in one background thread.

    ``close()`` waits for the queue to drain and re-raises the first error, if any.
    """

    def __init__(self, work: Callable[[object], None], depth: int = 2):
        self._work = work
        self._items: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="openkam-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._items.get()
            if item is _DONE:
                return
            if self._error is None:
                try:
                    self._work(item)
                except BaseException as exc:  # reported by submit() or close()
                    self._error = exc

    def submit(self, item) -> None:
        if self._error is not None:
            raise self._error
        self._items.put(item)

    def close(self) -> None:
        self._items.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error


__all__ = ["BackgroundWorker", "prefetch"]
