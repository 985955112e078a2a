#!/usr/bin/env bash
# Run the whole test suite in a fresh, throw-away database; exit non-zero on any failure.
#   setup/test.sh [extra pytest arguments]
# MLM_ADDONS=a,b limits the run to those add-ons (default: every add-on of the repository);
# MLM_TEST_DB names the database (default: mlm_test_<pid>); KEEP_DB=1 keeps it afterwards.
# After pytest passed, setup/serve_smoke.sh checks the production deployment on a clone (MLM_SERVE_SMOKE=0 skips it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_debian_packages
ensure_postgres
ensure_odoo

all_addons() {
  for manifest in "$REPO_DIR"/*/__manifest__.py; do
    grep -q "\"installable\": False" "$manifest" || basename "$(dirname "$manifest")"
  done | paste -sd, -
}
ADDONS="${MLM_ADDONS:-$(all_addons)}"
DB="${MLM_TEST_DB:-mlm_test_$$}"
CONF="$(mktemp --suffix=.conf)"
write_odoo_conf "$DB" "$CONF" "${MLM_TEST_PORT:-8069}"

cleanup() {
  if [ "${KEEP_DB:-0}" != 1 ]; then
    dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
    rm -rf "$MLM_HOME/filestore/filestore/$DB"
  fi
  rm -f "$CONF"
}
trap cleanup EXIT

dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
log "installing $ADDONS into a fresh database $DB"
"$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i "$ADDONS" --without-demo=all --stop-after-init \
  --log-level=warn --log-handler=odoo.modules.loading:INFO \
  || die "installing the add-ons failed"

test_paths=()
IFS=, read -ra names <<<"$ADDONS"
for name in "${names[@]}"; do
  [ -d "$REPO_DIR/$name/tests" ] && test_paths+=("$name/tests")
done
[ -z "${MLM_ADDONS:-}" ] && [ -d "$REPO_DIR/tests" ] && test_paths+=("tests")
[ ${#test_paths[@]} -gt 0 ] || die "no test folder found for $ADDONS"

log "running pytest on ${test_paths[*]}"
cd "$REPO_DIR"
set +e
"$ODOO_PY" -m pytest --odoo-config "$CONF" --odoo-database "$DB" --odoo-http --odoo-log-level=warn \
  -p no:cacheprovider -o python_files='test_*.py' -o testpaths='' -rfEs "${test_paths[@]}" "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "ERROR: pytest collected no test" >&2
  exit 1
fi
# The production deployment's smoke test (setup/serve_smoke.sh: 2 workers, cron, websocket and job runner behind
# nginx) on a clone of this database, once the tests passed; MLM_SERVE_SMOKE=0 skips it.
if [ $rc -eq 0 ] && [ "${MLM_SERVE_SMOKE:-1}" != 0 ] && [[ ",$ADDONS," == *,mlm_portal,* ]]; then
  "$REPO_DIR/setup/serve_smoke.sh" "$DB" || rc=$?
fi
exit $rc
