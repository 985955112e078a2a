"""Caller-ID lookup latency with 1M contacts (goal: under 20 ms), beside a naive baseline in the same run.

Run on a throw-away database where ``mlm_telephony`` is installed (it commits the contacts it inserts)::

    createdb -T <a database with mlm_telephony> mlm_bench_tel
    $VENV/bin/python mlm_telephony/benchmarks/bench_caller_id.py -c odoo.conf -d mlm_bench_tel \
        [--contacts 1000000] [--lookups 2000]

The contacts are inserted set-based (one ``INSERT ... SELECT generate_series``) with their phone keys, as a
migration script would; then ``mlm.telephony.provider._caller_id_info`` answers random numbers (90 % known,
written the way a PBX sends them: ``8XXXXXXXXXX``). Baseline: what a module without normalised keys does,
``res.partner.search([('phone', 'ilike', <last 10 digits>)])`` (and it still misses numbers stored with spaces).
"""

import argparse
import random
import statistics
import time

import odoo
from odoo.tools import SQL

MARK = "Bench caller "


def insert_contacts(env, wanted):
    cr = env.cr
    cr.execute(SQL("SELECT count(*) FROM res_partner WHERE name LIKE %s", MARK + "%"))
    have = cr.fetchone()[0]
    if have >= wanted:
        return have, 0.0
    start = time.perf_counter()
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, complete_name, active, type, autopost_bills, is_company, lang,
                                 phone, mobile, mlm_phone_key, mlm_mobile_key, create_date, write_date)
        SELECT %(mark)s || n, %(mark)s || n, TRUE, 'contact', 'ask', FALSE, 'en_US',
               '+7 (700) ' || lpad(n::text, 7, '0'),
               CASE WHEN mod(n, 2) = 0 THEN '8 (777) ' || lpad(n::text, 7, '0') END,
               '7700' || lpad(n::text, 7, '0'),
               CASE WHEN mod(n, 2) = 0 THEN '7777' || lpad(n::text, 7, '0') END,
               now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
          FROM generate_series(%(first)s, %(last)s) AS n
        """,
            mark=MARK,
            first=have + 1,
            last=wanted,
        )
    )
    cr.execute("ANALYZE res_partner")
    cr.commit()
    return wanted, time.perf_counter() - start


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--naive-lookups", type=int, default=20)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        total, insert_time = insert_contacts(env, args.contacts)
        env.company.country_id = env.ref("base.kz")
        provider = env["mlm.telephony.provider"].search([], limit=1) or env["mlm.telephony.provider"].create(
            {"name": "Bench PBX"}
        )
        cr.execute("SELECT count(*) FROM res_partner")
        partners = cr.fetchone()[0]
        print(
            f"res.partner rows: {partners:,} ({total:,} benchmark contacts"
            + (f", inserted in {insert_time:.1f} s)" if insert_time else ", already there)")
        )
        rng = random.Random(42)
        numbers = []
        for _i in range(args.lookups):
            n = rng.randint(1, total)
            numbers.append(f"8700{n:07d}" if rng.random() < 0.9 else f"8701{n:07d}")
        provider._caller_id_info(numbers[0])  # warm caches (registry, statement plans)
        timings, found = [], 0
        for number in numbers:
            start = time.perf_counter()
            info = provider._caller_id_info(number)
            timings.append((time.perf_counter() - start) * 1000)
            found += info["found"]
            env.invalidate_all()
        print(
            f"indexed lookup (_caller_id_info), {len(numbers)} numbers, {found} known: "
            f"median {statistics.median(timings):.2f} ms, p95 {percentile(timings, 95):.2f} ms, "
            f"p99 {percentile(timings, 99):.2f} ms, max {max(timings):.2f} ms"
        )
        cr.execute(
            SQL(
                """EXPLAIN SELECT DISTINCT ON (k.key) k.key, p.id FROM unnest(%s::varchar[]) AS k(key)
               JOIN res_partner p ON (p.mlm_phone_key = k.key OR p.mlm_mobile_key = k.key) WHERE p.active
               ORDER BY k.key, (p.company_id IS NULL), p.id DESC""",
                ["77001234567"],
            )
        )
        print("plan:", " / ".join(row[0].strip() for row in cr.fetchall()[:6]))
        naive = []
        for number in numbers[: args.naive_lookups]:
            start = time.perf_counter()
            env["res.partner"].search([("phone", "ilike", number[-10:])], limit=1)
            naive.append((time.perf_counter() - start) * 1000)
        print(
            f"naive baseline (phone ilike, {len(naive)} numbers): median {statistics.median(naive):.1f} ms, "
            f"max {max(naive):.1f} ms (and it finds none of the formatted numbers)"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
