#!/usr/bin/env bash
# Genealogy benchmark: a fresh database, mlm_network, a generated network (MLM_BENCH_SIZE, default 100000).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_postgres
ensure_odoo
DB="${MLM_BENCH_DB:-mlm_bench_network}"
CONF="$(mktemp --suffix=.conf)"
write_odoo_conf "$DB" "$CONF"
dropdb --if-exists --force "$DB"
"$ODOO_PY" -m odoo -c "$CONF" -d "$DB" -i mlm_network --without-demo=all --stop-after-init --log-level=warn
"$ODOO_PY" "$REPO_DIR/mlm_network/benchmarks/bench_network.py" --config "$CONF" --db "$DB" \
  --size "${MLM_BENCH_SIZE:-100000}"
[ "${KEEP_DB:-0}" = 1 ] || dropdb --if-exists --force "$DB"
rm -f "$CONF"
