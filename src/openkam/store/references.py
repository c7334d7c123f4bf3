"""References between kinds: unknown accounts, products, pools, and cycles in hierarchies.

What is known outside the files being imported comes from the caller (the operational
database knows the accounts, products, contacts and people; the ledger knows the cost
pools). A reference is checked only against kinds the caller supplied, so a notebook user
can validate a file without a database; the CLI and the web app always supply them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openkam.engine.schema import KINDS, Kind
from openkam.store.issues import CellIssues

#: Other spellings accepted as keys of ``known``.
ALIASES = {"pools": "cost-pools", "cost_pools": "cost-pools", "pool": "cost-pools"}
NOUNS = {
    "accounts": "account",
    "products": "product",
    "cost-pools": "cost pool",
    "contacts": "contact",
    "people": "person",
}


@dataclass
class Known:
    """Identifiers known outside the import, per kind, and known hierarchy edges.

    Build it from the ``known`` mapping callers pass: ``{"accounts": ids, "products": ids,
    "pools": names, "contacts": ids}``. The ids may be any iterable of strings; for
    ``accounts`` and ``contacts`` they may also be a mapping ``id -> parent id`` (or
    ``None``), which lets cycle detection see the existing hierarchy too.
    """

    ids: dict[str, pa.Array] = field(default_factory=dict)
    parents: dict[str, dict[str, str | None]] = field(default_factory=dict)

    @classmethod
    def of(cls, known: Mapping[str, Iterable[str]] | None) -> Known:
        out = cls()
        for name, values in (known or {}).items():
            kind = ALIASES.get(name, name)
            if kind not in KINDS:
                raise ValueError(f"unknown kind in known: {name!r}")
            if isinstance(values, Mapping):
                out.parents[kind] = dict(values)
            out.add(kind, values)
        return out

    def has(self, kind: str) -> bool:
        return kind in self.ids

    def add(self, kind: str, values: Iterable[str]) -> None:
        """Union more identifiers into ``kind``."""
        new = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
        old = self.ids.get(kind)
        self.ids[kind] = new if old is None else pa.concat_arrays([old, new.cast(pa.string())])


def check_references(
    kind: Kind, table: pa.Table, rows: np.ndarray, known: Known, *, self_refs=False
):
    """Cells that reference an identifier nobody knows.

    Self-references (an account's parent, a contact's manager) are skipped unless
    ``self_refs``, because they can be satisfied by rows later in the same import.
    Returns a list of ``(CellIssues, bad_mask)``.
    """
    found = []
    for column in kind.columns:
        target = column.references
        if target is None or not known.has(target) or ((target == kind.name) != self_refs):
            continue
        values = table[column.name]
        unknown = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, known.ids[target])))
        bad = unknown.to_numpy(zero_copy_only=False)
        if isinstance(bad, pa.ChunkedArray):  # pragma: no cover - defensive
            bad = np.asarray(bad)
        idx = np.flatnonzero(bad)
        if not len(idx):
            continue
        noun = NOUNS.get(target, target)

        def describe(i: int, idx=idx, values=values, noun=noun):
            return (f"is not a known {noun}", values[int(idx[i])].as_py())

        found.append((CellIssues(column.name, rows[idx], describe), bad))
    return found


def find_cycles(parents: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle in a hierarchy given as ``child -> parent`` (each node has one parent).

    Returns each cycle once, as the list of its members in parent order.
    """
    done: set[str] = set()
    cycles = []
    for start in parents:
        if start in done:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        node = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parents.get(node)
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


def hierarchy_column(kind: Kind) -> str | None:
    """The column holding a row's parent in the same kind, if the kind is a hierarchy."""
    for column in kind.columns:
        if column.references == kind.name:
            return column.name
    return None


__all__ = ["Known", "check_references", "find_cycles", "hierarchy_column"]
