"""Problems found in an import, as structured records a person can act on.

Every problem names the file, the row as the user sees it, the column and the reason, so a
user can open the file and fix it. A large bad file may hold millions of problems: the log
keeps the first few hundred in full and counts the rest, which is all a person can read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: How many problems are kept in full; the rest are only counted.
MAX_ISSUES_KEPT = 1000
#: How much of an offending value a message quotes.
MAX_VALUE_SHOWN = 80


@dataclass(frozen=True, order=True)
class ImportIssue:
    """One problem in an import file.

    Parameters
    ----------
    file
        The file as the user named it.
    row
        The row as the user sees it: the line number for CSV and the sheet row for Excel
        (the header is row 1, the first record row 2), the 1-based record number for
        Parquet. ``None`` for problems of the whole file (e.g. a missing column).
    column
        The canonical column name (a key's columns joined by ", "), or ``None``.
    reason
        What is wrong, worded to follow the quoted value when there is one.
    value
        The offending value as found in the file, or ``None``.
    """

    file: str
    row: int | None
    column: str | None
    reason: str
    value: str | None = None

    def __post_init__(self) -> None:
        # A message quotes a value so the user can find it, never a whole megabyte cell.
        if self.value is not None and len(self.value) > MAX_VALUE_SHOWN + 40:
            cut = f"{self.value[:MAX_VALUE_SHOWN]}… ({len(self.value):,} characters)"
            object.__setattr__(self, "value", cut)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        what = self.reason if self.value is None else f'"{self.value}" {self.reason}'
        return f"{', '.join(where)}: {what}"


class ImportFailed(Exception):
    """An import found problems and loaded nothing.

    Attributes
    ----------
    issues
        The first problems in full (in file and row order), at most ``MAX_ISSUES_KEPT``.
    total
        How many problems there were in all.
    warnings
        Things that did not stop the import (e.g. ignored extra columns).
    """

    def __init__(self, issues: Sequence[ImportIssue], total: int, warnings=()):
        self.issues = list(issues)
        self.total = total
        self.warnings = list(warnings)
        super().__init__(self.summary())

    def summary(self, show: int = 20) -> str:
        """A readable report: the count and the first ``show`` problems."""
        head = f"{self.total} problem{'s' if self.total != 1 else ''} found; nothing was imported"
        lines = [head] + [f"  {issue}" for issue in self.issues[:show]]
        if self.total > show:
            lines.append(f"  … and {self.total - show} more")
        return "\n".join(lines)


class IssueLog:
    """Collects problems: counts all of them, keeps the first ``limit`` in full.

    Cells are reported in bulk (row numbers as an array) so that a column with millions of
    bad cells costs one vectorised step; only the kept ones are worded, via ``describe``.
    """

    def __init__(self, limit: int = MAX_ISSUES_KEPT):
        self.limit = limit
        self.total = 0
        self.kept: list[ImportIssue] = []
        self.warnings: list[ImportIssue] = []

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def room(self) -> int:
        return max(self.limit - len(self.kept), 0)

    def add(self, issue: ImportIssue) -> None:
        self.total += 1
        if self.room:
            self.kept.append(issue)

    def add_counted(self, total: int, issues: list[ImportIssue]) -> None:
        """Record ``total`` problems of which ``issues`` are the first few, worded."""
        self.total += total
        self.kept.extend(issues[: self.room])

    def remap_rows(self, file: str, fix) -> None:
        """Renumber the kept problems of ``file`` with ``fix`` (an array -> array map)."""
        at = [
            i for i, issue in enumerate(self.kept) if issue.file == file and issue.row is not None
        ]
        if not at:
            return
        fixed = fix(np.array([self.kept[i].row for i in at], dtype=np.int64))
        for i, row in zip(at, fixed, strict=True):
            issue = self.kept[i]
            self.kept[i] = ImportIssue(
                issue.file, int(row), issue.column, issue.reason, issue.value
            )

    def warn(self, issue: ImportIssue) -> None:
        self.warnings.append(issue)

    def add_cells(self, file: str, batch_issues: list[CellIssues]) -> None:
        """Record the bad cells of one batch, keeping the earliest rows in full."""
        n = sum(len(b.rows) for b in batch_issues)
        if not n:
            return
        self.total += n
        room = self.room
        if not room:
            return
        rows = np.concatenate([b.rows for b in batch_issues])
        which = np.concatenate([np.full(len(b.rows), i) for i, b in enumerate(batch_issues)])
        pos = np.concatenate([np.arange(len(b.rows)) for b in batch_issues])
        order = np.lexsort((which, rows))[:room]
        for k in order:
            b = batch_issues[which[k]]
            reason, value = b.describe(int(pos[k]))
            self.kept.append(ImportIssue(file, int(rows[k]), b.column, reason, value))

    def sorted_issues(self, file_order: dict[str, int]) -> list[ImportIssue]:
        """Kept problems in file order, then row order (whole-file problems first)."""
        return sorted(
            self.kept,
            key=lambda i: (file_order.get(i.file, -1), i.row if i.row is not None else -1),
        )

    def failure(self, file_order: dict[str, int]) -> ImportFailed:
        return ImportFailed(self.sorted_issues(file_order), self.total, self.warnings)


@dataclass
class CellIssues:
    """Bad cells of one column in one batch.

    ``rows`` are the user-visible row numbers; ``describe(i)`` words the i-th one as
    ``(reason, value)`` and is called only for problems that are kept.
    """

    column: str
    rows: np.ndarray
    describe: Callable[[int], tuple[str, str | None]]
