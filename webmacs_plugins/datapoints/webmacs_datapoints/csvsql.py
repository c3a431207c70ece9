"""The CSV export's rows (contract §2.7) rendered by PostgreSQL, byte for byte what the Python
path writes with ``csv.writer``: ISO timestamps with ``+00:00``, values as Python's float
``repr``, user text neutralised against spreadsheet formulas and quoted where CSV needs it.

Compaction renders the cells around the value of experiment chunks' rows once
(``datapoint_chunks.csv_heads`` and ``csv_tails``: the value's text would double the bytes
stored, and is cheap to write); the export renders the rest (plain rows, and chunks whose event
was renamed since) the same way.
"""

from __future__ import annotations

from webmacs_datapoints import sqltext

#: Pins what the expressions below expect: the ``timestamp`` text form of DateStyle ISO and
#: the shortest round-trip float text; JIT compilation costs more than it saves here.
SESSION = "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1; SET LOCAL jit = off"

_FORMULA_START = "('=', '+', '-', '@', E'\\t', E'\\r')"
# Characters that make csv.writer quote a cell (QUOTE_MINIMAL with the "\r\n" line end).
_NEEDS_QUOTES = "E'[\",\\r\\n]'"


def text_cell(column: str) -> str:
    """A user-controlled text cell: a leading quote before a formula start, then CSV quoting."""
    neutral = f"CASE WHEN left({column}, 1) IN {_FORMULA_START} THEN '''' || {column} ELSE {column} END"
    return (
        f"(SELECT CASE WHEN t ~ {_NEEDS_QUOTES} THEN '\"' || replace(t, '\"', '\"\"') || '\"' ELSE t END"
        f" FROM (SELECT {neutral} AS t) n)"
    )


def event_cells(event: str) -> str:
    """Select list of an event's constant parts of a row: ``head`` (``,name,public_id,``) and
    ``tail`` (``,unit,``), with the raw ``name`` and ``unit`` they were made of."""
    return (
        f"{event}.id, {event}.name, {event}.unit,"
        f" ',' || {text_cell(f'{event}.name')} || ',' || {event}.public_id || ',' AS head,"
        f" ',' || {text_cell(f'{event}.unit')} || ',' AS tail"
    )


def value(column: str) -> str:
    """Python's ``repr`` of a float8 column. ``float8::text`` is the shortest round-trip form,
    like ``repr``; only the notation differs: ``repr`` adds ``.0`` to integral values and
    writes exponent 15 (1e15 <= |v| < 1e16) positionally."""
    digits = f"replace(split_part(ltrim({column}::text, '-'), 'e', 1), '.', '')"
    return f"""CASE
  WHEN abs({column}) < 1e15 THEN
    CASE WHEN {column} = trunc({column}) THEN {column}::text || '.0' ELSE {column}::text END
  WHEN abs({column}) < 1e16 THEN
    CASE WHEN {column} < 0 THEN '-' ELSE '' END ||
    CASE WHEN length({digits}) <= 16 THEN rpad({digits}, 16, '0') || '.0'
         ELSE left({digits}, 16) || '.' || substr({digits}, 17) END
  ELSE {column}::text END"""


def head(timestamp: str, event_head: str) -> str:
    """A row's cells before its value (time, event name and id, and the commas between)."""
    return f"{sqltext.isoformat(sqltext.utc_text(timestamp), '+00:00')} || {event_head}"


def tail(row_id: str, event_tail: str) -> str:
    """A row's cells after its value (unit and datapoint id, and the commas between)."""
    return f"{event_tail} || {sqltext.public_id(row_id)}"


def row(timestamp: str, number: str, row_id: str, event_head: str, event_tail: str) -> str:
    """One CSV row without its line end, from a point's columns and its event's cells."""
    return f"{head(timestamp, event_head)} || ({value(number)}) || {tail(row_id, event_tail)}"
