"""Results kept per process under the identity of what they were worked out from.

A finished run never changes, and the ledger's fingerprint changes with every import: a
result computed from them (an account's lines, its sales by year, its waterfall) is
kept under them and can never be shown once they moved on. Only such immutable
identities may be part of a key, never a time: an edit is never hidden behind a cache.
Bounded: the least recently used go first.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

#: How many accounts' worked-out figures (sales by year, waterfall, product mix) a process
#: keeps: the accounts a sales organisation works on day to day, about 16 KB each
#: (measured at 100,000 accounts, docs/operations.md).
ACCOUNTS_KEPT = 2048

#: Every store, so that tests can empty them all (:func:`forget_all`).
_every: weakref.WeakSet[Kept] = weakref.WeakSet()


class Kept(Generic[T]):
    """The last ``size`` results by key (thread-safe; a value is worked out outside the
    lock, so two threads may both work out the same one)."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()
        _every.add(self)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def forget_all() -> None:
    """Empty every store (tests: an earlier test's runs and records had other ids, or the
    same ids in another database)."""
    for store in list(_every):
        store.clear()
