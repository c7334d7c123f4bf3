"""An org chart laid out as an SVG tree, server-side (no JavaScript library, no internet).

Layout: each leaf takes one column in depth-first order and a manager sits centred over
its reports (the simple layered layout of Reingold & Tilford 1981, without their subtree
compaction). A manager whose reports have no reports of their own gets them stacked in one
column below it, as printed org charts do, which keeps a real buying centre of twenty or
thirty people about as wide as the page.
"""

from __future__ import annotations

from dataclasses import dataclass

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 150, 58, 20, 46, 16
#: Stacked reports: indent from their manager's left edge, and the gap between two of them.
INDENT, GAP_STACK = 22, 12


@dataclass
class Placed:
    id: str
    x: float
    y: float
    depth: int
    #: Placed in a stack below its manager (drawn with an elbow from the manager's side).
    stacked: bool = False


def tree_layout(
    parents: dict[str, str | None], order: list[str] | None = None
) -> dict[str, Placed]:
    """Positions (top-left corner, in px) of every node of a forest given as child -> parent.

    A parent that is not itself a node, or a cycle, makes the child a root, so every node
    is placed exactly once.
    """
    order = order or sorted(parents)
    children: dict[str | None, list[str]] = {}
    for node in order:
        parent = parents.get(node)
        children.setdefault(parent if parent in parents else None, []).append(node)
    placed: dict[str, Placed] = {}
    cursor = 0.0  # left edge of the next free column, in px

    def place(node: str, depth: int, seen: set[str]) -> float:
        nonlocal cursor
        seen = seen | {node}
        kids = [k for k in children.get(node, []) if k not in seen and k not in placed]
        if not kids:
            x = cursor
            cursor += NODE_W + GAP_X
            placed[node] = Placed(node, x + PAD, depth * (NODE_H + GAP_Y) + PAD, depth)
            return x
        leaves = [k for k in kids if not children.get(k)]
        managers = [k for k in kids if children.get(k)]
        xs = []
        if len(leaves) > 1 or (leaves and managers):
            # Reports without reports of their own: one stacked column, left of the others.
            x = cursor
            cursor += NODE_W + INDENT + GAP_X
            top = (depth + 1) * (NODE_H + GAP_Y) + PAD
            for i, kid in enumerate(leaves):
                y = top + i * (NODE_H + GAP_STACK)
                placed[kid] = Placed(kid, x + INDENT + PAD, y, depth + 1, stacked=True)
            xs.append(x + INDENT / 2)
        else:
            managers = kids
        xs += [place(k, depth + 1, seen) for k in managers]
        x = (xs[0] + xs[-1]) / 2
        placed[node] = Placed(node, x + PAD, depth * (NODE_H + GAP_Y) + PAD, depth)
        return x

    for root in children.get(None, []):
        place(root, 0, set())
    for node in order:  # nodes only reachable through a cycle
        if node not in placed:
            place(node, 0, set())
    return placed


def canvas_size(placed: dict[str, Placed]) -> tuple[int, int]:
    if not placed:
        return 2 * PAD + NODE_W, 2 * PAD + NODE_H
    width = max(p.x for p in placed.values()) + NODE_W + PAD
    height = max(p.y for p in placed.values()) + NODE_H + PAD
    return int(width), int(height)
