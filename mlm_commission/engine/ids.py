"""Map database ids to array indexes and back, vectorised (no dict per record)."""

import numpy as np


class IdIndex:
    """Positions of record ids in one int64 array of ids (the distributor order of the engine).

    ``IdIndex(partner_ids).positions(sponsor_ids)`` gives ``sponsor_idx``; ids that are
    not in the index (or 0/None read as 0) come back as -1.
    """

    def __init__(self, ids):
        self.ids = np.ascontiguousarray(ids, dtype=np.int64)
        self._order = np.argsort(self.ids, kind="stable")
        self._sorted = self.ids[self._order]
        if len(self._sorted) > 1 and np.any(self._sorted[1:] == self._sorted[:-1]):
            raise ValueError("ids must be unique")

    def __len__(self):
        return len(self.ids)

    def positions(self, values):
        values = np.asarray(values)
        if values.dtype == object:  # a fetched column holding None for "no record"
            values = np.where(np.equal(values, None), 0, values)
        values = np.ascontiguousarray(values, dtype=np.int64)
        if not len(self._sorted):
            return np.full(len(values), -1, dtype=np.int64)
        at = np.searchsorted(self._sorted, values)
        at_clipped = np.minimum(at, len(self._sorted) - 1)
        found = self._sorted[at_clipped] == values
        return np.where(found, self._order[at_clipped], -1).astype(np.int64)

    def ids_of(self, positions):
        """Ids for positions; -1 positions give 0 (no record)."""
        positions = np.asarray(positions, dtype=np.int64)
        return np.where(positions >= 0, self.ids[np.maximum(positions, 0)], 0)


# date.toordinal() of 1970-01-01, numpy's day zero
_EPOCH_ORDINAL = 719_163


def ordinal_days(values, missing=0):
    """``date.toordinal()`` of many dates at once (dates, datetimes, ISO strings or datetime64).

    Missing values (None, NaT) give ``missing``: 0, day one of year one, keeps any
    fast-start window long closed.
    """
    days = np.asarray(values, dtype="datetime64[D]")
    out = days.astype(np.int64) + _EPOCH_ORDINAL
    return np.where(np.isnat(days), missing, out).astype(np.int64)
