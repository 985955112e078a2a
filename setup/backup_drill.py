"""Restore drill of the scheduled backups (OCA auto_backup): back up, restore into a new database, compare counts.

    python setup/backup_drill.py --config CONF --db DB [--keep]

Runs the database's ``db.backup`` records as their cron does (``action_backup_all``: a zip with the SQL dump and the
filestore in each record's folder, old ones removed after ``days_to_keep``), restores the newest zip into
``<db>_restored`` with Odoo's own restore (``odoo.service.db.restore_db``, as a copy: new database UUID) and compares
the business counts of both databases: distributors, volume ledger lines, commission lines, statements, journal
entries and their lines, attachments (and that every restored attachment's file is in the restored filestore).
Exits non-zero when a count differs. The restored database is dropped unless ``--keep``.
"""

import argparse
import glob
import os
import sys
import time

COUNTS = {
    "distributors": "SELECT count(*) FROM mlm_distributor",
    "volume ledger lines": "SELECT count(*) FROM mlm_volume_line",
    "commission lines": "SELECT count(*) FROM mlm_commission_line",
    "statements": "SELECT count(*) FROM mlm_commission_statement",
    "closed periods": "SELECT count(*) FROM mlm_commission_period WHERE state IN ('closed', 'paid')",
    "journal entries": "SELECT count(*) FROM account_move",
    "journal items": "SELECT count(*) FROM account_move_line",
    "attachments in the filestore": "SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL",
}


def counts(db_name):
    import odoo

    with odoo.sql_db.db_connect(db_name).cursor() as cr:
        result = {}
        for label, query in COUNTS.items():
            cr.execute(query)
            result[label] = cr.fetchone()[0]
        cr.execute("SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL")
        names = [row[0] for row in cr.fetchall()]
    root = odoo.tools.config.filestore(db_name)
    result["attachment files present"] = sum(1 for name in names if os.path.isfile(os.path.join(root, name)))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    args = parser.parse_args()
    import odoo

    # auto_backup dumps through Odoo's database service, which refuses to work without list_db
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.db, "--log-level=warn"])
    odoo.tools.config["list_db"] = True
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "db.backup" not in env:
            sys.exit(f"auto_backup is not installed in {args.db} (setup/demo.sh installs and schedules it)")
        backups = env["db.backup"].search([])
        if not backups:
            sys.exit(f"no scheduled backup in {args.db} (setup/demo_backup.py creates one)")
        folder = backups[0].folder
        print(f"backup records: {[(b.name, b.days_to_keep) for b in backups]}")
        before = counts(args.db)
        start = time.monotonic()
        env["db.backup"].action_backup_all()
        cr.commit()
        backup_seconds = time.monotonic() - start
    newest = max(glob.glob(os.path.join(folder, "*.zip")), key=os.path.getmtime)
    size = os.path.getsize(newest) / 1e6
    print(f"backup: {newest} ({size:.1f} MB) in {backup_seconds:.1f} s")

    target = f"{args.db}_restored"
    if target in odoo.service.db.list_dbs(True):
        odoo.service.db.exp_drop(target)
    start = time.monotonic()
    odoo.service.db.restore_db(target, newest, copy=True)
    restore_seconds = time.monotonic() - start
    print(f"restore into {target} in {restore_seconds:.1f} s")
    after = counts(target)
    width = max(map(len, before))
    failed = False
    for label, value in before.items():
        same = after[label] == value
        failed |= not same
        print(f"  {label:<{width}}  {value:>9}  {after[label]:>9}  {'same' if same else 'DIFFERENT'}")
    if not args.keep:
        odoo.service.db.exp_drop(target)
    print("restore drill " + ("FAILED" if failed else "passed"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
