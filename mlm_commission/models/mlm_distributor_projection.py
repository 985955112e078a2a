"""Per-process cache behind ``mlm.distributor.get_mlm_projection`` (not a model: a helper of that method).

One entry per database, company and period holds a :class:`~..engine.projection.ProjectionState` (or, for an engine
class a plan type installs, an :class:`~..engine.projection.EngineState`): the engine's per-distributor state of the
whole company, built once by the reader of a preview (:class:`InputReader`, company scope) plus one engine run.
What changed since is read by the same reader (changes scope). Each
call applies what changed since the entry (distributors written, ledger lines added) to the state, then computes
the distributor's bonuses from it: milliseconds instead of an engine run over the whole downline.

Exactness:

- distributors written or created since the entry are read (an index range on ``write_date``) and compared with
  it: a status, coefficient or highest-rank change, or a new distributor, is applied to the state; a changed
  sponsor or join date, a move in the genealogy, a deletion, another plan version or rank order rebuild it;
- ledger lines are append-only (corrections are new lines), so new lines are the only ledger change. Lines are
  read from ``DELTA_WINDOW`` ids below the highest id already applied, and the ids already applied in that
  window are skipped, so a transaction that commits its lines after a later one is still picked up; every
  ``MAX_AGE`` seconds the entry's line count is checked against the period's (a rebuild when they differ), which
  bounds what a very long transaction could slip past the window;
- a transaction that has written anything itself (its own, uncommitted lines or distributors) works on a private
  copy and never changes the shared entry: a rollback cannot leave anything behind.
"""

import copy
import threading
import time
from datetime import timedelta

import numpy as np

from odoo.tools import SQL

from ..engine import IdIndex, compute_period
from ..engine.projection import state_class_for
from .mlm_commission_data import InputReader, InputScope

# A team smaller than this is projected by running the engine on its subtree when no cache is warm.
SMALL_TEAM = 20_000
# Ledger ids re-read below the highest applied id (lines committed out of id order).
DELTA_WINDOW = 2_000
# Seconds after which an entry is checked against the database (its ledger line count) before it is used again.
MAX_AGE = 900.0
# More distributors than this touched by new lines: rebuilding is cheaper than walking their paths.
MAX_TOUCHED = 2_000
# Entries kept per process (company periods).
SLOTS = 4

_entries = {}
_entries_lock = threading.Lock()


class _Entry:
    """One company period's state, the ids it maps and the ledger position it reflects."""

    def __init__(self, version, state, index, high, seen, built_at, count):
        self.version = version
        self.count = count  # ledger lines of the period in the state
        self.state = state
        self.index = index
        self.high = high  # highest ledger line id applied
        self.seen = seen  # ids above ``high - DELTA_WINDOW`` applied already (sorted)
        self.built_at = built_at  # database time of the build
        self.built = time.monotonic()
        self.lock = threading.Lock()

    def private_copy(self):
        """A copy for one transaction that has written: moving it forward leaves this entry as it is."""
        other = copy.copy(self)
        other.state = self.state.duplicate()
        other.lock = threading.Lock()
        return other


def clear():
    """Forget every entry of this process (tests, benchmarks)."""
    with _entries_lock:
        _entries.clear()


class ProjectionCache:
    """The projection cache of one company period, seen from one transaction."""

    def __init__(self, env, company, date_from, date_to, plan, ranks, spec):
        self.env = env
        self.company = company
        self.date_from, self.date_to = date_from, date_to
        self.plan, self.ranks, self.spec = plan, ranks, spec
        self.key = (env.cr.dbname, company.id, date_from, date_to)

    # ------------------------------------------------------------------ entry
    def _version(self):
        """(what forces a rebuild, whether this transaction has written nothing yet).

        A rebuild follows a move in the genealogy (a move log), a deleted distributor (PostgreSQL's count of
        deleted rows of the table, committed plus this transaction's own) or another plan version or rank order:
        index probes and catalog reads, no scan of the company's distributors. Created and written distributors
        are applied to the entry (``_catch_up_distributors``).
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT (SELECT max(id) FROM mlm_move_log),
                       (SELECT n_tup_del FROM pg_stat_all_tables WHERE relid = 'mlm_distributor'::regclass)
                       + pg_stat_get_xact_tuples_deleted('mlm_distributor'::regclass),
                       pg_current_xact_id_if_assigned() IS NULL
                """
            )
        )
        last_move, deleted, clean = cr.fetchone()
        ranks = tuple((rule.rank_id.id, rule.rank_id.sequence) for rule in self.ranks)
        return (last_move, deleted, ranks, self.spec), clean

    def entry(self, build):
        """The entry moved to the current genealogy and ledger (the shared one, or a private copy when this
        transaction has written), or None when none is warm and ``build`` is false."""
        version, shared = self._version()
        with _entries_lock:
            entry = _entries.get(self.key)
        if entry is None or entry.version != version:
            if not build:
                return None
            return self._build(version, shared)
        with entry.lock:
            target = entry if shared else entry.private_copy()
            changes = self._read_changes(target)
            if (
                self._catch_up_distributors(target, changes)
                and self._catch_up(target, changes)
                and self._checked(target, shared)
            ):
                return target
        if shared:
            with _entries_lock:
                if _entries.get(self.key) is entry:
                    del _entries[self.key]  # half moved: never serve it again
        return self._build(version, shared) if build else None

    def _checked(self, entry, shared):
        """False when an entry older than ``MAX_AGE`` misses ledger lines (committed too late for the id window):
        one count of the period's lines, instead of a rebuild."""
        if time.monotonic() - entry.built <= MAX_AGE:
            return True
        if self._ledger_count() != entry.count:
            return False
        if shared:
            self.env.cr.execute(SQL("SELECT now() AT TIME ZONE 'UTC'"))
            entry.built_at = self.env.cr.fetchone()[0]
            entry.built = time.monotonic()
        return True

    def _ledger_count(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*) FROM mlm_volume_line
                 WHERE company_id = %(company)s AND date >= %(start)s AND date <= %(end)s
                """,
                company=self.company.id,
                start=self.date_from,
                end=self.date_to,
            )
        )
        return self.env.cr.fetchone()[0]

    def _store(self, entry):
        with _entries_lock:
            _entries[self.key] = entry
            while len(_entries) > SLOTS:
                del _entries[min(_entries, key=lambda k: _entries[k].built)]

    def _reader(self):
        return InputReader(self.env, self.company, self.date_from, self.date_to, self.ranks)

    def _build(self, version, shared):
        """The company's tree and period ledger read as a preview reads them, and one engine run."""
        data = self._reader().read_inputs(InputScope.company())
        high, window = self._window_ids()
        self.env.cr.execute(SQL("SELECT now() AT TIME ZONE 'UTC'"))
        built_at = self.env.cr.fetchone()[0]
        inputs = data.inputs()
        engine_class = self.plan._get_engine_class()
        result = compute_period(inputs, self.spec, engine_class=engine_class)
        state = state_class_for(engine_class)(inputs, self.spec, result, engine_class)
        entry = _Entry(version, state, data.index, high, window, built_at, self._ledger_count())
        if shared:
            self._store(entry)
        return entry

    def _window_ids(self):
        """Highest ledger id, and the ids of this period's lines in the window below it."""
        cr = self.env.cr
        cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM mlm_volume_line"))
        high = cr.fetchone()[0]
        cr.execute(
            SQL(
                """
                SELECT id FROM mlm_volume_line
                 WHERE id > %(low)s AND company_id = %(company)s AND date >= %(start)s AND date <= %(end)s
                 ORDER BY id
                """,
                low=high - DELTA_WINDOW,
                company=self.company.id,
                start=self.date_from,
                end=self.date_to,
            )
        )
        return high, np.array([row[0] for row in cr.fetchall()], dtype=np.int64)

    def _read_changes(self, entry):
        """What was written since the entry (the reader's changes scope): distributors written ``MAX_AGE``
        seconds before the entry was built or later, ledger lines from ``DELTA_WINDOW`` ids below its highest."""
        return self._reader().read_inputs(
            InputScope.changes(
                ledger_after=entry.high - DELTA_WINDOW, written_after=entry.built_at - timedelta(seconds=MAX_AGE)
            )
        )

    def _catch_up_distributors(self, entry, changes=None):
        """Apply the distributors written since the entry was built (statuses, coefficients, highest ranks,
        new distributors); False when a rebuild is needed (a sponsor or join date changed, ...).

        Rows are compared with the state, so reading a row twice is harmless: the changes re-read ``MAX_AGE``
        seconds before the entry was built, for transactions that committed after it but started before.
        """
        changes = changes or self._read_changes(entry)
        rows = {
            "id": changes.ids,
            "sponsor": changes.sponsor_ids,
            "active": changes.active,
            "coefficient": changes.coefficient,
            "join_day": changes.join_day,
            "ours": changes.ours,
        }
        highest = changes.highest_rank
        if not len(rows["id"]):
            return True
        state = entry.state
        at = entry.index.positions(rows["id"])
        known = at >= 0
        if (known & ~rows["ours"]).any() or len(rows["id"][~known & rows["ours"]]) > MAX_TOUCHED:
            return False
        k = at[known]
        if (entry.index.positions(rows["sponsor"][known]) != state.sponsor[k]).any() or (
            rows["join_day"][known] != state.join_day[k]
        ).any():
            return False
        changed = (
            (rows["active"][known] != state.active_status[k])
            | (rows["coefficient"][known] != state.coefficient[k])
            | (highest[known] != state.highest_rank[k])
            | (changes.standing_pv[known] != state.standing_pv[k])
        )
        if np.count_nonzero(changed) > MAX_TOUCHED:
            return False
        for i in np.flatnonzero(known)[changed]:
            state.set_distributor(
                int(at[i]),
                bool(rows["active"][i]),
                float(rows["coefficient"][i]),
                int(highest[i]),
                float(changes.standing_pv[i]),
            )
        new = np.flatnonzero(~known & rows["ours"])
        if len(new):
            ids = entry.index.ids
            if rows["id"][new[0]] <= ids.max():
                return False  # the engine order is the id order: a new id must come last
            for i in new:
                sponsor = int(entry.index.positions([rows["sponsor"][i]])[0]) if rows["sponsor"][i] else -1
                if rows["sponsor"][i] and sponsor < 0:
                    return False
                state.add_leaf(
                    sponsor,
                    bool(rows["active"][i]),
                    float(rows["coefficient"][i]),
                    int(rows["join_day"][i]),
                    int(highest[i]),
                )
                ids = np.append(ids, rows["id"][i])
                entry.index = IdIndex(ids)
        return True

    def _catch_up(self, entry, changes=None):
        """Apply the ledger lines added since the entry; False when a rebuild is needed instead."""
        changes = changes or self._read_changes(entry)
        rows = {
            "id": changes.line_id,
            "dist": changes.line_dist_id,
            "pv": changes.line_pv,
            "bv_cents": changes.line_bv_cents,
            "day": changes.line_day,
            "customer": changes.line_customer,
        }
        new = ~np.isin(rows["id"], entry.seen, assume_unique=True)
        if not new.any():
            return True
        dist = entry.index.positions(rows["dist"][new])
        if dist.min() < 0 or len(np.unique(dist)) > MAX_TOUCHED:
            return False
        entry.state.apply(dist, rows["pv"][new], rows["bv_cents"][new], rows["day"][new], rows["customer"][new])
        entry.count += int(np.count_nonzero(new))
        entry.high = max(entry.high, int(rows["id"].max()))
        seen = np.union1d(entry.seen, rows["id"][new])
        entry.seen = seen[seen > entry.high - DELTA_WINDOW]
        return True

    # ------------------------------------------------------------------ projection
    def projection(self, me, build):
        """The projection values of ``me`` (the dict of ``get_mlm_projection``), or None (see ``entry``)."""
        entry = self.entry(build)
        if entry is None:
            return None
        i = int(entry.index.positions([me.id])[0])
        if i < 0:
            return None
        with entry.lock:
            values = entry.state.values(i)
        return self._format(me, values, entry)

    def _format(self, me, values, entry):
        currency = me.company_id.currency_id
        labels = dict(self.plan._get_bonus_type_selection())
        ranks = self.ranks
        paid = values["paid_rank"]
        next_rank = me._mlm_next_rank(
            ranks,
            self.spec,
            paid,
            values["pv"],
            [volume for _k, volume in values["legs"]],
            lambda threshold: values["legs_holding"][threshold],
        )
        ids = entry.index.ids
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "pv": values["pv"],
            "gv": values["gv"],
            "active": values["active"],
            "legs": sorted(
                ({"distributor_id": int(ids[k]), "volume": volume} for k, volume in values["legs"]),
                key=lambda leg: -leg["volume"],
            ),
            "paid_rank_id": ranks[paid].rank_id.id if paid >= 0 else False,
            "paid_rank": ranks[paid].rank_id.name if paid >= 0 else "",
            "next_rank": next_rank,
            "earnings": {
                labels[str(code)]: currency.round(cents / 100.0) for code, cents in values["earnings_cents"].items()
            },
            "projected_total": currency.round(values["total_cents"] / 100.0),
            "currency_id": currency.id,
        }
