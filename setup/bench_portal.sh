#!/usr/bin/env bash
# Portal benchmark: a fresh database with mlm_portal, a generated network (MLM_BENCH_SIZE, default 100000), the top
# leader's /my/network first page and tree node expansions over HTTP, beside the ORM ways (mlm_portal/benchmarks).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_postgres
ensure_odoo
DB="${MLM_BENCH_DB:-mlm_bench_portal}"
CONF="$(mktemp --suffix=.conf)"
write_odoo_conf "$DB" "$CONF" "${MLM_BENCH_PORT:-8179}"
if [ "${REUSE_DB:-0}" != 1 ]; then
  dropdb --if-exists --force "$DB"
  "$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i mlm_portal --without-demo=all --stop-after-init --log-level=warn
fi
"$ODOO_PY" "$REPO_DIR/mlm_portal/benchmarks/bench_portal.py" --config "$CONF" --database "$DB" \
  --size "${MLM_BENCH_SIZE:-100000}" --port "${MLM_BENCH_PORT:-8179}"
[ "${KEEP_DB:-0}" = 1 ] || dropdb --if-exists --force "$DB"
rm -f "$CONF"
