#!/usr/bin/env bash
# One command: install what is missing, create a demo database with every add-on, a Russian company (RUB) and its
# Kazakh sister (KZT), a generated network with a year of sales, then start Odoo on http://localhost:8069.
#   setup/demo.sh            (MLM_DEMO_DB, MLM_DEMO_SIZE, MLM_HTTP_PORT, MLM_DEMO_RESET=1 to rebuild)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${MLM_DEMO_DB:-mlm_demo}"
SIZE="${MLM_DEMO_SIZE:-1000}"
PORT="${MLM_HTTP_PORT:-8069}"
CONF="$MLM_HOME/$DB.conf"

ensure_debian_packages
ensure_postgres
ensure_odoo
mkdir -p "$MLM_HOME"
write_odoo_conf "$DB" "$CONF" "$PORT"
ADDONS="${MLM_ADDONS:-$(for m in "$REPO_DIR"/*/__manifest__.py; do basename "$(dirname "$m")"; done | paste -sd, -)}"

if [ "${MLM_DEMO_RESET:-0}" = 1 ]; then dropdb --if-exists --force "$DB"; fi
if psql -d "$DB" -tAc "select 1 from ir_module_module where name='mlm_network' and state='installed'" 2>/dev/null | grep -q 1; then
  log "database $DB exists: updating the add-ons (MLM_DEMO_RESET=1 rebuilds it)"
  "$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i auto_backup -u "$ADDONS" --stop-after-init --log-level=warn
else
  log "creating $DB with Odoo's demo data; its main company becomes Russian (RUB)"
  dropdb --if-exists --force "$DB"
  "$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i base --stop-after-init --log-level=warn
  (cd "$REPO_DIR/setup" && "$ODOO_PY" demo_company.py --config "$CONF" --db "$DB" --step currency)
  log "installing the add-ons $ADDONS (and l10n_kz for the Kazakh sister company)"
  "$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i "$ADDONS,auto_backup,l10n_kz" --stop-after-init --log-level=warn
  (cd "$REPO_DIR/setup" && "$ODOO_PY" demo_company.py --config "$CONF" --db "$DB" --step companies)
  log "generating a demo network of $SIZE distributors"
  (cd "$REPO_DIR/setup" && "$ODOO_PY" generate_network.py --config "$CONF" --db "$DB" --size "$SIZE")
  log "demo sales and commissions (plans, products, twelve months of sales, the past months closed)"
  (cd "$REPO_DIR/setup" && "$ODOO_PY" demo_commissions.py --config "$CONF" --db "$DB")
fi
log "demo logins"
echo "  admin / admin            administrator"
echo "  sales.manager / sales.manager   sales manager, invoicing and MLM manager"
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_users.py --config "$CONF" --db "$DB")
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_portal.py --config "$CONF" --db "$DB")
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_onec.py --config "$CONF" --db "$DB")
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_autoship.py --config "$CONF" --db "$DB")
log "placement tree: a second company with a binary tree and a holding tank in use"
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_placement.py --config "$CONF" --db "$DB")
log "binary plan of the company with the binary placement tree"
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_binary_plan.py --config "$CONF" --db "$DB")
log "scheduled backups (OCA auto_backup; setup/serve.sh's configuration lets it dump)"
(cd "$REPO_DIR/setup" && "$ODOO_PY" demo_backup.py --config "$CONF" --db "$DB" --folder "$MLM_HOME/backups/$DB" --days 7)
echo
log "Odoo is starting on http://localhost:$PORT  (Ctrl-C stops it)"
exec "$ODOO_PY" -m odoo -c "$CONF" -d "$DB" --http-port "$PORT"
