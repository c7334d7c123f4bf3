"""Parent / subsidiary roll-up: each parent's subtree as one row.

The hierarchy is an Arrow table ``(account_id, parent_account_id)``; a null or empty parent
marks a top account. Every account that has at least one child gets a *subtree* row per
period: the sum of its own row and those of all its descendants (not just its children).
Rows are flagged by ``scope``: ``"account"`` for an account's own figures, ``"subtree"`` for a
roll-up, so that totals add ``"account"`` rows only and never count a sale twice.
"""

from __future__ import annotations

import pyarrow as pa

from openkam.engine.profitability.issues import InputIssue


def parent_map(hierarchy: pa.Table) -> dict[str, str]:
    """account_id → parent_account_id for the accounts that have a parent."""
    missing = {"account_id", "parent_account_id"} - set(hierarchy.column_names)
    if missing:
        raise ValueError(f"the hierarchy table lacks columns {sorted(missing)}")
    pairs = hierarchy.select(["account_id", "parent_account_id"]).to_pylist()
    return {
        str(r["account_id"]): str(r["parent_account_id"])
        for r in pairs
        if r["parent_account_id"] not in (None, "")
    }


def hierarchy_issues(parents: dict[str, str]) -> list[InputIssue]:
    """One ``hierarchy_cycle`` issue per cycle of the parent relation."""
    issues, done = [], set()
    for start in parents:
        path, node = [], start
        while node in parents and node not in done and node not in path:
            path.append(node)
            node = parents[node]
        if node in path:
            cycle = path[path.index(node) :]
            issues.append(
                InputIssue(
                    "hierarchy_cycle",
                    "accounts",
                    None,
                    None,
                    len(cycle),
                    "accounts are their own ancestors: " + " → ".join([*cycle, node]),
                )
            )
        done.update(path)
    return issues


def subtree_pairs(parents: dict[str, str]) -> pa.Table:
    """(member, ancestor): every account paired with each ancestor, and every parent with
    itself, so that grouping members by ancestor sums whole subtrees. The relation must be
    acyclic (see :func:`hierarchy_issues`)."""
    members, ancestors = [], []
    for account in parents:
        node = account
        while node in parents:
            node = parents[node]
            members.append(account)
            ancestors.append(node)
    for parent in set(parents.values()):
        members.append(parent)
        ancestors.append(parent)
    return pa.table(
        {"member": pa.array(members, pa.string()), "ancestor": pa.array(ancestors, pa.string())}
    )
