"""Fuzzing the importer: malformed files of every kind and format (issue 18, part 4).

Each example builds a valid file of a random kind (every kind in ``engine.schema.KINDS``,
so kinds added later are fuzzed too) in a random format (CSV with any line ending,
.xlsx, Parquet with text or typed columns), then damages it: a cell replaced with hostile
text, the file cut short, bytes flipped or inserted. The import must then either

* fail with ``ImportFailed`` whose every problem names the file, leaving the ledger
  byte-for-byte as it was, or
* succeed with exactly the values written: each cell is checked against an independent
  oracle (Python's ``Decimal``, ``int``, ``date.fromisoformat`` and ``str.strip``).

Never a traceback. ``OPENKAM_FUZZ_EXAMPLES`` sets the number of examples (250 by default,
about 30 s here).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from store_helpers import snapshot

from openkam.engine.money import currency_codes
from openkam.engine.schema import KINDS, Kind
from openkam.store import ImportFailed, import_ledger, validate_import
from openkam.store.convert import (
    CURRENCY_COLUMNS,
    DATE_ORDER,
    NON_NEGATIVE,
    POSITIVE,
    RANGES,
    periods,
)
from openkam.store.derived_ids import DERIVED_ID_COLUMN

EXAMPLES = int(os.environ.get("OPENKAM_FUZZ_EXAMPLES", "250"))

#: Characters hostile text is made of: delimiters, quotes, every line ending, NUL, tabs,
#: signs and digits, non-ASCII letters. (Other control characters are left out: Python
#: and Arrow disagree on whether they are whitespace to trim.)
HOSTILE = "aZ09 ,;\"'\t\n\r\x00+-.eE:/€é中" + "\u00a0"

#: The cost pool of the baseline ledger, dated before any generated date.
BASE_POOL = "BASE-POOL"

TEXT_WORDS = ["Acme", "Nova", "Foods", "Metals", "Lyon", "EMEA", "delivery", "kam"]


# --- a valid file ------------------------------------------------------------------------


def _value(kind: Kind, column, i: int, draw) -> object:
    """A valid value of ``column`` for record ``i`` (keys unique through ``i``)."""
    t = column.type
    name = column.name
    if pa.types.is_decimal(t):
        low = 1 if name in POSITIVE.get(kind.name, ()) else 0
        cents = draw(st.integers(low * 100, 10**6))
        return (Decimal(cents) / 100).quantize(Decimal(1).scaleb(-min(t.scale, 2)))
    if pa.types.is_integer(t):
        low, high = RANGES.get(kind.name, {}).get(name, (1, 10_000))
        return draw(st.integers(low, high)) if name not in kind.key else i + 1
    if pa.types.is_date(t):
        return dt.date(2000, 1, 1) + dt.timedelta(days=draw(st.integers(0, 9000)))
    if name in CURRENCY_COLUMNS:
        # A foreign currency needs exchange rates in the ledger: keys take distinct codes.
        return ["USD", "GBP", "CHF", "JPY", "SEK"][i] if name in kind.key else "EUR"
    if column.references == "cost-pools" and name not in kind.key:
        return BASE_POOL  # activities must name a pool the ledger has
    if name in kind.key or name.endswith("_id") or column.references:
        return f"{name[:3].upper()}-{i}"
    if name == "email":
        return f"user{i}@example.com"
    if name == "currency":
        return "EUR"
    return " ".join(draw(st.lists(st.sampled_from(TEXT_WORDS), min_size=1, max_size=3)))


@st.composite
def valid_records(draw, kind: Kind) -> list[dict]:
    n = draw(st.integers(1, 4))
    records = []
    for i in range(n):
        record = {}
        for column in kind.columns:
            if not column.required and (column.references or draw(st.booleans())):
                # Optional references stay empty: a random parent could make a cycle.
                record[column.name] = None
            else:
                record[column.name] = _value(kind, column, i, draw)
        ordered = periods(kind) + [(b, a) for a, b in DATE_ORDER.get(kind.name, ())]
        for start, end in ordered:
            if record[start] and record[end] and record[end] < record[start]:
                record[start], record[end] = record[end], record[start]
        records.append(record)
    return records


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def write_file(kind: Kind, rows: list[list[str]], fmt: str, folder: Path, draw) -> Path:
    """Write text ``rows`` (header first) as ``fmt``."""
    if fmt == "csv":
        path = folder / f"{kind.name}.csv"
        ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
        buf = io.StringIO()
        csv.writer(buf, lineterminator=ending).writerows(rows)
        path.write_bytes(buf.getvalue().encode("utf-8"))
        return path
    if fmt == "xlsx":
        import openpyxl
        from openpyxl.utils.exceptions import IllegalCharacterError

        path = folder / f"{kind.name}.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        try:
            for row in rows:
                ws.append(row)
        except IllegalCharacterError:
            assume(False)  # Excel itself cannot hold these characters
        wb.save(path)
        return path
    path = folder / f"{kind.name}.parquet"
    header, body = rows[0], rows[1:]
    table = pa.table({h: pa.array([r[j] for r in body], pa.string()) for j, h in enumerate(header)})
    pq.write_table(table, path)
    return path


def write_typed_parquet(kind: Kind, records: list[dict], folder: Path) -> Path:
    path = folder / f"{kind.name}.parquet"
    pq.write_table(pa.Table.from_pylist(records, schema=kind.arrow_schema), path)
    return path


# --- the oracle ---------------------------------------------------------------------------


def expected(column, text: str):
    """What a cell's text must be read as, or ``REFUSE`` when no reading is correct."""
    s = text.strip(" \t\n\r\u00a0")
    if s == "":
        return None
    if column.name in CURRENCY_COLUMNS:
        return s if s in currency_codes() else REFUSE
    t = column.type
    if pa.types.is_decimal(t):
        if not re.fullmatch(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", s):
            return REFUSE
        return Decimal(s)
    if pa.types.is_integer(t):
        return int(s) if re.fullmatch(r"[+-]?[0-9]+", s) else REFUSE
    if pa.types.is_date(t):
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
            return REFUSE
        try:
            day = dt.date.fromisoformat(s)
        except ValueError:
            return REFUSE
        return day if dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31) else REFUSE
    return s


REFUSE = object()


def check_values(kind: Kind, table: pa.Table, rows: list[list[str]]) -> None:
    """Every accepted cell equals the oracle's reading of the text written."""
    header, body = rows[0], rows[1:]
    got = table.to_pylist()
    assert len(got) == len(body)
    for record, written in zip(got, body, strict=True):
        for j, name in enumerate(header):
            column = kind.column(name)
            want = expected(column, written[j])
            assert want is not REFUSE, f"{name}: {written[j]!r} was accepted as {record[name]!r}"
            if want is None and name == DERIVED_ID_COLUMN.get(kind.name):
                continue  # derived from the content
            assert record[name] == want, f"{name}: {written[j]!r} read as {record[name]!r}"


# --- damage -------------------------------------------------------------------------------

CELL_TEXT = st.one_of(
    st.text(alphabet=HOSTILE, max_size=12),
    st.sampled_from(
        [
            "+1",
            "-0",
            "1e3",
            "1,5",
            "0000-01-01",
            "2024-02-30",
            "9999-12-31",
            " 7 ",
            ".5",
            "x" * 70_000,
        ]
    ),
)


@st.composite
def damage(draw):
    return draw(
        st.one_of(
            st.just(("none",)),
            st.tuples(st.just("cell"), st.integers(0, 50), st.integers(0, 50), CELL_TEXT),
            st.tuples(st.just("cut"), st.floats(0, 1)),
            st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
            st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
        )
    )


def damage_bytes(path: Path, how) -> None:
    data = bytearray(path.read_bytes())
    at = min(int(how[1] * len(data)), len(data) - 1)
    if how[0] == "cut":
        del data[at:]
    elif how[0] == "flip":
        data[at] ^= how[2]
    else:
        data[at:at] = how[2]
    path.write_bytes(bytes(data))


# --- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A data directory holding one earlier import of every ledger kind."""
    root = tmp_path_factory.mktemp("fuzz-baseline")
    data_dir = root / "data"
    pools = root / "pools.csv"
    pools.write_text(
        "pool,period_start,period_end,cost,capacity,driver_unit\n"
        f"{BASE_POOL},1990-01-01,1990-12-31,100,10,unit\n"
    )
    import_ledger("cost-pools", [pools], data_dir)
    return data_dir


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_fuzzed_files_fail_cleanly_or_load_exactly(data, baseline):
    kind = KINDS[data.draw(st.sampled_from(sorted(KINDS)), label="kind")]
    fmt = data.draw(st.sampled_from(["csv", "xlsx", "parquet", "typed-parquet"]), label="format")
    records = data.draw(valid_records(kind), label="records")
    how = data.draw(damage(), label="damage")
    header = [c.name for c in kind.columns]
    rows = [header] + [[_text(r[c]) for c in header] for r in records]
    folder = Path(tempfile.mkdtemp(prefix="openkam-fuzz-"))
    data_dir = folder / "data"
    try:
        if how[0] == "cell":
            row, col = 1 + how[1] % len(records), how[2] % len(header)
            rows[row][col] = how[3]
            if fmt == "typed-parquet":
                fmt = "parquet"
        if fmt == "typed-parquet":
            path = write_typed_parquet(kind, records, folder)
        else:
            path = write_file(kind, rows, fmt, folder, data.draw)
        if how[0] in ("cut", "flip", "insert"):
            damage_bytes(path, how)
        if kind.home == "ledger":
            shutil.copytree(baseline, data_dir)
            before = snapshot(data_dir)
            try:
                result = import_ledger(kind.name, [path], data_dir)
            except ImportFailed as exc:
                event(f"rejected after {how[0]}")
                assert how[0] != "none", exc.summary()
                assert exc.issues and all(i.file == str(path) for i in exc.issues)
                assert snapshot(data_dir) == before
                return
            event(f"accepted after {how[0]}")
            if how[0] in ("none", "cell"):
                added = [p for p in result.files_written if p.name not in before]
                table = pa.concat_tables([pq.read_table(p) for p in added])
                check_values(kind, table, rows)
        else:
            with validate_import(kind.name, [path]) as validated:
                if not validated.ok:
                    event(f"rejected after {how[0]}")
                    assert how[0] != "none", validated.issues
                    assert all(i.file == str(path) for i in validated.issues)
                    return
                event(f"accepted after {how[0]}")
                if how[0] in ("none", "cell"):
                    check_values(kind, validated.table, rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=max(EXAMPLES // 6, 10), deadline=None, derandomize=True)
@given(data=st.data())
def test_undamaged_files_are_always_accepted(data, tmp_path_factory):
    kind = KINDS[data.draw(st.sampled_from(sorted(KINDS)))]
    fmt = data.draw(st.sampled_from(["csv", "xlsx", "parquet"]))
    records = data.draw(valid_records(kind))
    header = [c.name for c in kind.columns]
    rows = [header] + [[_text(r[c]) for c in header] for r in records]
    folder = Path(tempfile.mkdtemp(prefix="openkam-fuzz-"))
    try:
        path = write_file(kind, rows, fmt, folder, data.draw)
        with validate_import(kind.name, [path]) as validated:
            assert validated.ok, validated.issues
            assert validated.rows_read == len(records)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_oracle_refuses_what_the_docs_refuse():
    d = KINDS["invoices"].column("invoice_date")
    assert expected(d, "0000-01-01") is REFUSE and expected(d, "2024-01-05") == dt.date(2024, 1, 5)
    q = KINDS["invoices"].column("line_no")
    assert expected(q, "+3") == 3 and expected(q, "1e3") is REFUSE
    assert NON_NEGATIVE  # the sign rules exist for the generator to respect
