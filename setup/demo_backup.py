"""Schedule the demo database's backups with OCA auto_backup: a daily zip (dump and filestore) kept 7 days."""

import argparse
import os

from odoo_env import odoo_env


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--folder", required=True, help="local folder of the backups")
    parser.add_argument("--days", type=int, default=7, help="days to keep each backup")
    args = parser.parse_args()
    folder = os.path.abspath(args.folder)
    os.makedirs(folder, exist_ok=True)
    with odoo_env(args.config, args.db) as env:
        Backup = env["db.backup"]
        backup = Backup.search([("method", "=", "local"), ("folder", "=", folder)], limit=1)
        values = {"folder": folder, "days_to_keep": args.days, "method": "local", "backup_format": "zip"}
        if backup:
            backup.write(values)
        else:
            backup = Backup.create(values)
        cron = env.ref("auto_backup.ir_cron_backup_scheduler_0")
        cron.active = True
        print(f"  backups: {folder}, daily at {cron.nextcall} (UTC), kept {args.days} days")


if __name__ == "__main__":
    main()
