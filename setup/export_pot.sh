#!/usr/bin/env bash
# Regenerate every add-on's i18n/<addon>.pot from a throw-away database with the add-ons installed.
#   setup/export_pot.sh [addon ...]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_postgres
ensure_odoo
addons=("$@")
[ ${#addons[@]} -gt 0 ] || mapfile -t addons < <(for m in "$REPO_DIR"/*/__manifest__.py; do basename "$(dirname "$m")"; done)
DB="mlm_pot_$$"
CONF="$(mktemp --suffix=.conf)"
write_odoo_conf "$DB" "$CONF"
trap 'dropdb --if-exists --force "$DB" >/dev/null 2>&1; rm -f "$CONF"' EXIT
"$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i "$(IFS=,; echo "${addons[*]}")" --without-demo=all --stop-after-init \
  --log-level=warn
for addon in "${addons[@]}"; do
  mkdir -p "$REPO_DIR/$addon/i18n"
  "$ODOO_PY" -m odoo -c "$CONF" -d "$DB" --i18n-export="$REPO_DIR/$addon/i18n/$addon.pot" --modules="$addon" \
    --language= --stop-after-init --log-level=error
  log "wrote $addon/i18n/$addon.pot"
done
