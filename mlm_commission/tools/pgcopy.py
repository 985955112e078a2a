"""PostgreSQL binary COPY to and from numpy arrays: plain Python, no ORM import.

Only fixed-width, NOT NULL columns (int2/int4/int8/float8/bool, and the system columns ``xmin`` as ``xid`` and
``ctid`` as ``tid``, read as int64): the caller COALESCEs in SQL and maps sentinels back. Binary COPY moves a
million rows in a fraction of a second where text parsing takes seconds.
"""

import io
import struct
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
PG_TYPES = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "u1",
    "xid": ">u4",  # a transaction id (``xmin``)
    "tid": [("block", ">u4"), ("offset", ">u2")],  # a row's place (``ctid``): block number, line pointer
}


def _row_dtype(columns):
    fields = [("_n", ">i2")]
    for name, pg_type in columns:
        fields.append((f"_l_{name}", ">i4"))
        fields.append((name, PG_TYPES[pg_type]))
    return np.dtype(fields)


def decode(payload, columns):
    """Arrays by column name from a ``COPY ... TO STDOUT WITH (FORMAT binary)`` payload.

    ``columns`` is a list of ``(name, pg_type)`` in the query's column order.
    """
    decoder = Decoder(columns)
    decoder.feed(payload)
    return decoder.result()


class Decoder:
    """A writable file for ``copy_expert`` that decodes a binary COPY's rows as they arrive, block by block: the
    arrays by column name (:meth:`result`) without the whole payload in memory beside them (the rows are of one
    fixed width, every column being NOT NULL and fixed-width)."""

    def __init__(self, columns, block=32 << 20):
        self.columns = columns
        self.dtype = _row_dtype(columns)
        self.block = block
        self.pending = bytearray()
        self.parts = {name: [] for name, _pg_type in columns}
        self.started = False
        self.write = self.feed  # the file protocol ``copy_expert`` writes to

    def feed(self, data):
        """Take the next piece of the payload (any size); returns its length, as a file's ``write`` does."""
        self.pending += data
        if len(self.pending) >= self.block:
            self._decode_rows()
        return len(data)

    def _decode_rows(self):
        """Decode the complete rows received so far and keep the rest for the next block."""
        buffer, start = self.pending, 0
        if not self.started:
            if len(buffer) < 19:
                return
            if bytes(buffer[: len(SIGNATURE)]) != SIGNATURE:
                raise ValueError("not a PostgreSQL binary COPY payload")
            (ext_len,) = struct.unpack(">i", buffer[15:19])
            start, self.started = 19 + ext_len, True
        count = (len(buffer) - start) // self.dtype.itemsize
        if count:
            rows = np.frombuffer(buffer, dtype=self.dtype, count=count, offset=start)
            for name, pg_type in self.columns:
                if np.any(rows[f"_l_{name}"] != self.dtype[name].itemsize):
                    raise ValueError(f"column {name} holds NULLs or is not {pg_type}")
                self.parts[name].append(_column(rows[name], pg_type))
            del rows
        self.pending = bytearray(buffer[start + count * self.dtype.itemsize :])

    def result(self):
        """The arrays of every row, once the COPY has ended (its trailer checked)."""
        self._decode_rows()
        if not self.started or bytes(self.pending) != TRAILER:
            raise ValueError("unexpected row size: a column is NULL or not of the declared type")
        result = {}
        for name, pg_type in self.columns:
            parts = self.parts.pop(name)
            if len(parts) == 1:
                result[name] = parts[0]
            elif parts:
                result[name] = np.concatenate(parts)
            else:
                result[name] = _column(np.zeros(0, dtype=self.dtype[name]), pg_type)
        return result


def _column(arr, pg_type):
    """A decoded column in native order (int64 for the system columns)."""
    if pg_type == "bool":
        return arr.astype(bool)
    if pg_type == "tid":  # one int64: the block number, then the 16-bit line pointer
        return (arr["block"].astype(np.int64) << 16) | arr["offset"].astype(np.int64)
    if pg_type == "xid":
        return arr.astype(np.int64)
    return arr.astype(arr.dtype.newbyteorder("="))


def encode(arrays, columns):
    """A binary COPY payload (for ``COPY table (cols) FROM STDIN WITH (FORMAT binary)``) from numpy arrays."""
    dtype = _row_dtype(columns)
    size = len(arrays[columns[0][0]]) if columns else 0
    rows = np.empty(size, dtype=dtype)
    rows["_n"] = len(columns)
    for name, _pg_type in columns:
        rows[f"_l_{name}"] = dtype[name].itemsize
        rows[name] = arrays[name]
    return HEADER + rows.tobytes() + TRAILER


def copy_out(cursor, query, columns):
    """Run ``COPY (query) TO STDOUT`` in binary on a psycopg2 cursor; returns arrays by column name, decoded as the
    rows arrive (:class:`Decoder`: the payload, hundreds of MB at a million distributors, is never whole)."""
    decoder = Decoder(columns)
    cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)", decoder, size=1 << 20)
    return decoder.result()


def copy_in(cursor, table, arrays, columns):
    """``COPY table (columns) FROM STDIN`` in binary from numpy arrays on a psycopg2 cursor."""
    names = ", ".join(f'"{name}"' for name, _pg_type in columns)
    cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)", io.BytesIO(encode(arrays, columns)))


# ---------------------------------------------------------------------------------------------------- writing rows
# Binary COPY straight into a result table's final column types (numeric, text, date, NULLs), streamed in chunks so
# that memory stays flat: the rows never pass through a staging table.
PG_EPOCH_ORDINAL = 730120  # date(2000, 1, 1).toordinal(): binary dates count days from 2000-01-01
NUMERIC_POS, NUMERIC_NEG = 0x0000, 0x4000
CHUNK_ROWS = 250_000
# a chunk holds at most this many bytes of encoded rows (by the widths below): wide rows (a statement is ~500 bytes)
# go in smaller chunks, so that a chunk and its intermediate arrays stay a few tens of MB
CHUNK_BYTES = 32 << 20
_CELL_WIDTHS = {"int2": 6, "int4": 8, "int8": 12, "float8": 12, "bool": 5, "cents": 22, "decimal": 22, "date": 8}
_NULL = struct.pack(">i", -1)
_CENTS_DIGITS = 5  # numeric from cents: 5 base-10000 digits, 4 before the point (|value| < 10**16)
_CENTS_DTYPE = np.dtype([("nd", ">i2"), ("w", ">i2"), ("sign", ">u2"), ("ds", ">u2"), ("d", ">u2", (_CENTS_DIGITS,))])
_POW10 = np.array([np.longdouble(10**i) for i in range(28)])  # exact in 80-bit floats
CATEGORY_LIMIT = 64  # a float column with at most this many distinct values in a chunk is written as categories
_FIXED = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "bool": "u1"}


@dataclass(frozen=True)
class Field:
    """How one column of a result table is written from an array (or a constant).

    ``kind``: ``int2``/``int4``/``int8``/``float8``/``bool`` (as is), ``cents`` (an integer number of cents, stored
    as ``numeric`` with two decimals), ``decimal`` (a float stored as ``numeric`` exactly as PostgreSQL's
    ``float8::numeric`` does, 15 significant digits), ``text`` (an integer code stored as its label from
    ``labels``, a tuple of ``(code, label)``; without labels the code's decimal digits), ``date``.
    ``null_zero``: 0 is stored as NULL (references).
    """

    kind: str
    null_zero: bool = False
    labels: tuple = None


def numeric_bytes(value):
    """The binary ``numeric`` of a :class:`decimal.Decimal` (or of a float, converted as ``float8::numeric``)."""
    if isinstance(value, float):
        value = Decimal("%.15g" % value)  # PostgreSQL's float8_numeric: printf %.15g
    sign, digits, exponent = value.as_tuple()
    dscale = max(-exponent, 0)
    text = "".join(map(str, digits)) + "0" * max(exponent, 0)
    int_len = len(text) - dscale
    # pad to whole base-10000 groups on both sides of the decimal point
    lead = (-int_len) % 4
    text = "0" * lead + text + "0" * ((-(len(text) + lead)) % 4)
    groups = [int(text[i : i + 4]) for i in range(0, len(text), 4)]
    weight = (int_len + lead) // 4 - 1
    body = struct.pack(
        f">hhHH{len(groups)}H", len(groups), weight, NUMERIC_NEG if sign else NUMERIC_POS, dscale, *groups
    )
    return struct.pack(">i", len(body)) + body


def _cell(field, value):
    """One value's binary cell (length + bytes), the reference encoding used for the few irregular rows."""
    if value is None or (field.null_zero and value == 0):
        return _NULL
    kind = field.kind
    if kind in _FIXED:
        return struct.pack(">i", np.dtype(_FIXED[kind]).itemsize) + np.array(value, dtype=_FIXED[kind]).tobytes()
    if kind == "cents":
        return numeric_bytes(Decimal(int(value)).scaleb(-2))
    if kind == "decimal":
        return numeric_bytes(float(value))
    if kind == "date":
        return struct.pack(">ii", 4, value.toordinal() - PG_EPOCH_ORDINAL)
    label = _label(field, value)
    if label is None:
        return _NULL
    data = label.encode()
    return struct.pack(">i", len(data)) + data


def _label(field, code):
    if isinstance(code, str) or code is None:
        return code
    if field.labels is None:
        return str(int(code))
    return dict(field.labels).get(int(code))


def _cents_cells(cents):
    """Fixed-width binary numerics (5 base-10000 digits, scale 2) of an int64 array of cents."""
    cents = np.asarray(cents, dtype=np.int64)
    magnitude = np.abs(cents)
    if len(cents) and magnitude.max() >= 10**18:
        raise ValueError("amount out of range")
    out = np.zeros(len(cents), dtype=_CENTS_DTYPE)
    out["nd"], out["w"], out["ds"] = _CENTS_DIGITS, _CENTS_DIGITS - 2, 2
    out["sign"] = np.where(cents < 0, NUMERIC_NEG, NUMERIC_POS)
    whole = magnitude // 100
    out["d"][:, 4] = (magnitude % 100) * 100
    for i in (3, 2, 1, 0):
        out["d"][:, i] = whole % 10000
        whole //= 10000
    return out


def _float_cells(values):
    """Fixed-width binary numerics of a float64 array, each exactly PostgreSQL's ``float8::numeric`` (the value
    printed with ``%.15g``): 15 significant digits ``M * 10**p``, found in 80-bit arithmetic; the rare values
    within 1e-3 of a rounding tie there, or out of its range, are printed by Python instead."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError("NaN or infinite value")
    magnitude = np.abs(values)
    nonzero = magnitude > 0
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log10(np.where(nonzero, magnitude, 1.0))).astype(np.int64)
    normal = nonzero & (magnitude >= 1e-12) & (magnitude < 1e14)
    exponent = np.where(normal, exponent, 0)
    ten = np.longdouble(10)
    scaled = magnitude.astype(np.longdouble) * _POW10[14 - exponent]
    # log10 may be one off at powers of ten: bring the 15 digits into [1e14, 1e15)
    high = scaled >= np.longdouble(10**15) - np.longdouble(0.5)
    low = scaled < np.longdouble(10**14) - np.longdouble(0.5)
    exponent = exponent + high - low
    scaled = np.where(high, scaled / ten, np.where(low, scaled * ten, scaled))
    digits = np.rint(scaled)
    tie = np.abs(np.abs(scaled - np.floor(scaled)) - np.longdouble(0.5)) < np.longdouble(1e-3)
    mantissa = np.where(normal, digits, 0).astype(np.int64)
    for i in np.flatnonzero((tie | ~normal) & nonzero):
        text = "%.14e" % magnitude[i]  # the same digits as PostgreSQL's %.15g
        mantissa[i] = int(text[:16].replace(".", ""))
        exponent[i] = int(text[17:])
    power = np.where(nonzero, exponent - 14, 0)  # value = mantissa * 10**power
    # dscale: the decimals %g prints (trailing zeros dropped)
    trailing = np.zeros(len(values), dtype=np.int64)
    rest = mantissa.copy()
    for width in (8, 4, 2, 1):
        zero = (rest % 10**width == 0) & (rest != 0)
        trailing += width * zero
        rest = np.where(zero, rest // 10**width, rest)
    dscale = np.maximum(-(power + trailing), 0)
    # base 10000: mantissa * 10**b * 10000**a with power = 4a + b
    quarter = np.floor_divide(power, 4)
    whole = mantissa * np.power(10, power - 4 * quarter)
    out = np.zeros(len(values), dtype=_CENTS_DTYPE)
    out["nd"], out["w"], out["ds"] = _CENTS_DIGITS, quarter + _CENTS_DIGITS - 1, dscale
    out["sign"] = np.where(values < 0, NUMERIC_NEG, NUMERIC_POS)
    for i in (4, 3, 2, 1, 0):
        out["d"][:, i] = whole % 10000
        whole //= 10000
    return out


def _categories(values, limit=None):
    """(distinct values, index of each value among them), or None when there are more than ``limit``: the
    distinct values of a sample first, checked, so that a column of a few codes is not sorted."""
    if not len(values):
        return values[:0], np.zeros(0, dtype=np.int64)
    uniques = np.unique(values[:: max(len(values) // 4096, 1)])
    if limit is not None and len(uniques) > limit:
        return None
    inverse = np.minimum(np.searchsorted(uniques, values), len(uniques) - 1)
    if not np.array_equal(uniques[inverse], values):  # a value the sample missed
        uniques, inverse = np.unique(values, return_inverse=True)
        if limit is not None and len(uniques) > limit:
            return None
    return uniques, inverse.astype(np.int64)


def _uniform(values):
    """True when ``values`` holds one value (an empty array is not uniform: there is nothing to write)."""
    return len(values) > 0 and bool((values == values[0]).all())


class _Column:
    """One column of one chunk: a per-row variant (its binary layout) and what each variant writes."""

    def __init__(self, field, value, size):
        self.field = field
        if isinstance(value, np.ndarray) and field.kind != "text" and _uniform(value):
            # one value in every row (a plan type's columns all zero in another plan type's run, an amount
            # nobody has): written as a constant cell, not converted row by row
            value = value[0].item()
        self.const = not isinstance(value, np.ndarray)
        self.value = value
        self.variant = None  # None: one layout for every row
        kind = field.kind
        if self.const:
            self.cells = [_cell(field, value)]
        elif kind in _FIXED:
            if field.null_zero:
                self.variant = (value != 0).astype(np.int64)  # 0: NULL, 1: the value
        elif kind == "text":
            uniques, self.variant = _categories(value)
            self.cells = [_cell(field, int(v)) for v in uniques]
        elif kind == "decimal":
            categories = _categories(value, limit=CATEGORY_LIMIT)
            if categories:  # a few distinct values (rates): one cell each
                uniques, self.variant = categories
                self.cells = [_cell(field, float(v)) for v in uniques]
        elif kind not in ("cents", "decimal"):
            raise ValueError(f"unknown field kind {kind}")
        self.width = 1 if self.variant is None else int(self.variant.max(initial=0)) + 1

    def layout(self, variant):
        """(numpy field format, or None for a bare NULL / constant cell bytes) of one variant."""
        kind = self.field.kind
        if self.const or kind == "text" or (kind == "decimal" and self.variant is not None):
            return "cell", self.cells[0 if self.const else variant]
        if kind in _FIXED:
            if self.field.null_zero and variant == 0:
                return "cell", _NULL
            return "fixed", _FIXED[kind]
        return kind, _CENTS_DTYPE

    def fill(self, rows, name, kind, rows_idx):
        if kind == "fixed":
            rows[f"{name}_l"] = np.dtype(rows.dtype[f"{name}_v"]).itemsize
            rows[f"{name}_v"] = self.value[rows_idx]
        else:
            rows[f"{name}_l"] = _CENTS_DTYPE.itemsize
            convert = _cents_cells if kind == "cents" else _float_cells
            rows[f"{name}_v"] = convert(self.value[rows_idx])


def encode_rows(arrays, fields):
    """Binary COPY rows (no header) of ``arrays``; ``fields`` is a list of ``(column, Field)`` and ``arrays`` maps
    each column to an array or a constant. Rows of one binary layout are written together with one structured
    array."""
    size = next((len(v) for v in arrays.values() if isinstance(v, np.ndarray)), 0)
    columns = [(name, _Column(field, arrays[name], size)) for name, field in fields]
    key = np.zeros(size, dtype=np.int64)
    for _name, column in columns:
        if column.variant is not None:
            key = key * column.width + column.variant
    parts = []
    # group the rows by layout: a counting sort of the (small) keys
    counts = np.bincount(key)
    uniques = np.flatnonzero(counts)
    order = np.argsort(key.astype(np.int16) if len(counts) < 1 << 15 else key, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts[uniques])])
    for group, group_key in enumerate(uniques):
        idx = order[bounds[group] : bounds[group + 1]]
        variants, rest = [], int(group_key)
        for _name, column in reversed(columns):
            if column.variant is not None:
                variants.append(rest % column.width)
                rest //= column.width
            else:
                variants.append(0)
        variants.reverse()
        parts.append(_encode_group(columns, variants, idx))
    return b"".join(parts)


def _encode_group(columns, variants, idx):
    dtype_fields, fills, consts = [("_n", ">i2")], [], []
    for (name, column), variant in zip(columns, variants, strict=True):
        kind, spec = column.layout(variant)
        if kind == "cell":
            dtype_fields.append((f"{name}_c", f"S{len(spec)}"))
            consts.append((f"{name}_c", spec))
        else:
            dtype_fields += [(f"{name}_l", ">i4"), (f"{name}_v", spec)]
            fills.append((name, column, kind))
    rows = np.empty(len(idx), dtype=np.dtype(dtype_fields))
    rows["_n"] = len(columns)
    for field_name, spec in consts:
        rows[field_name] = spec
    for name, column, kind in fills:
        column.fill(rows, name, kind, idx)
    return rows.tobytes()


class CopyStream(io.RawIOBase):
    """A readable file of binary COPY data, encoded chunk by chunk as PostgreSQL reads it (bounded memory)."""

    def __init__(self, arrays, fields, chunk_rows=CHUNK_ROWS):
        self.arrays, self.fields, self.chunk_rows = arrays, fields, chunk_rows
        self.size = next((len(v) for v in arrays.values() if isinstance(v, np.ndarray)), 0)
        self.next_row, self.buffer, self.done = 0, memoryview(HEADER), False

    def readable(self):
        return True

    def _refill(self):
        if self.next_row < self.size:
            stop = min(self.next_row + self.chunk_rows, self.size)
            chunk = {k: (v[self.next_row : stop] if isinstance(v, np.ndarray) else v) for k, v in self.arrays.items()}
            self.buffer = memoryview(encode_rows(chunk, self.fields))
            self.next_row = stop
        elif not self.done:
            self.buffer, self.done = memoryview(TRAILER), True

    def readinto(self, target):
        while not len(self.buffer):
            if self.done:
                return 0
            self._refill()
        count = min(len(target), len(self.buffer))
        target[:count] = self.buffer[:count]
        self.buffer = self.buffer[count:]
        return count


def chunk_rows(fields):
    """Rows per chunk of a COPY of ``fields``: ``CHUNK_ROWS``, fewer for wide rows (``CHUNK_BYTES``)."""
    width = 2 + sum(_CELL_WIDTHS.get(field.kind, 24) for _name, field in fields)
    return max(1_000, min(CHUNK_ROWS, CHUNK_BYTES // width))


def copy_rows(cursor, table, arrays, fields):
    """``COPY table (columns) FROM STDIN`` in binary, the rows encoded in chunks (see :func:`encode_rows`)."""
    names = ", ".join(f'"{name}"' for name, _field in fields)
    stream = io.BufferedReader(CopyStream(arrays, fields, chunk_rows(fields)), buffer_size=1 << 20)
    cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary)", stream, size=1 << 20)
