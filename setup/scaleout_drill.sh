#!/usr/bin/env bash
# Scale-out drill on one machine (not in CI): two Odoo nodes behind one nginx upstream, against one database and one
# filestore, with jobs dispatched across them; and a PostgreSQL streaming replica (pg_basebackup -R, a second local
# cluster in a temporary directory) serving Odoo 18's read-only routes through db_replica_host/db_replica_port.
#   setup/scaleout_drill.sh SOURCE_DB
# SOURCE_DB is cloned (an installed database without demo data is enough; the drill creates its own users and data).
# Ports: MLM_DRILL_HTTP_PORT (8170; nodes use 8170, 8171, websockets 8175, 8176), MLM_DRILL_NGINX_PORT (8181),
# MLM_DRILL_REPLICA_PORT (5433). Needs root (or sudo) to run the replica cluster as the postgres user and, when the
# primary's pg_hba.conf has no replication line for 127.0.0.1, to add one for the drill (removed at the end).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOURCE="${1:?usage: setup/scaleout_drill.sh SOURCE_DB}"
DB="${MLM_DRILL_DB:-${SOURCE}_scale}"
HTTP_PORT="${MLM_DRILL_HTTP_PORT:-8170}"
GEVENT_PORT="${MLM_DRILL_GEVENT_PORT:-$((HTTP_PORT + 5))}"
NGINX_PORT="${MLM_DRILL_NGINX_PORT:-8181}"
REPLICA_PORT="${MLM_DRILL_REPLICA_PORT:-5433}"
WORK="$(mktemp -d -t mlm-scaleout.XXXXXX)"
RUN_DIR="$WORK/run"
REPLICA_DIR="$WORK/replica"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
HBA_MARK="# added by mlm setup/scaleout_drill.sh"
HBA_FILE=""
export MLM_MASTER_PASSWORD="${MLM_MASTER_PASSWORD:-$("$ODOO_PY" -c 'import secrets; print(secrets.token_urlsafe(24))')}"
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else as_root runuser -u postgres -- "$@"; fi; }

cleanup() {
  "$REPO_DIR/setup/serve.sh" --stop --run-dir "$RUN_DIR" >/dev/null 2>&1 || true
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$HBA_FILE" ] && grep -qF "$HBA_MARK" "$HBA_FILE"; then
    log "removing the drill's replication line from $HBA_FILE"
    as_root sed -i "/$(printf '%s' "$HBA_MARK" | sed 's/[\/.]/\\&/g')/d" "$HBA_FILE"
    psql -d postgres -tAc "SELECT pg_reload_conf()" >/dev/null
  fi
  dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
  rm -rf "$MLM_HOME/filestore/filestore/$DB"
  as_root rm -rf "$WORK"
}
trap cleanup EXIT

ensure_postgres
ensure_odoo
[ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL's server binaries (pg_ctl) are not in $PG_BIN (set PG_BIN)"

log "cloning $SOURCE into $DB (one database, one filestore for both nodes)"
dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
createdb -T "$SOURCE" "$DB"
[ -d "$MLM_HOME/filestore/filestore/$SOURCE" ] && cp -r "$MLM_HOME/filestore/filestore/$SOURCE" "$MLM_HOME/filestore/filestore/$DB"

# ---------------------------------------------------------------- the streaming replica
HBA_FILE=$(psql -d postgres -tAc "SHOW hba_file")
if ! psql -d postgres -tAc "SELECT 1 FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND (address IS NULL OR address = '127.0.0.1')" | grep -q 1; then
  log "the primary accepts no replication connection from 127.0.0.1: adding 'host replication $PGUSER 127.0.0.1/32 trust' to $HBA_FILE for the drill (and reloading)"
  echo "host replication $PGUSER 127.0.0.1/32 trust $HBA_MARK" | as_root tee -a "$HBA_FILE" >/dev/null
  psql -d postgres -tAc "SELECT pg_reload_conf()" >/dev/null
else
  HBA_FILE=""
fi
mkdir -p "$REPLICA_DIR" "$RUN_DIR"
chmod 755 "$WORK"
as_root chown postgres: "$REPLICA_DIR"
chmod 700 "$REPLICA_DIR"
t0=$(date +%s)
log "pg_basebackup -R of the primary ($PGHOST:$PGPORT, $(psql -d postgres -tAc "SELECT pg_size_pretty(sum(pg_database_size(datname))::bigint) FROM pg_database")) into $REPLICA_DIR"
as_postgres pg_basebackup -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$REPLICA_DIR" -R -X stream -c fast
# A Debian cluster keeps postgresql.conf and pg_hba.conf in /etc: the replica gets its own.
max_conn=$(psql -d postgres -tAc "SHOW max_connections")
as_postgres tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
hba_file = '$REPLICA_DIR/pg_hba.conf'
ident_file = '$REPLICA_DIR/pg_ident.conf'
hot_standby = on
max_connections = $max_conn
shared_buffers = 128MB
log_min_messages = warning
# the drill counts what Odoo's read-only routes run here
log_statement = 'all'
log_line_prefix = '%m [%p] app=%a db=%d '
CONF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | as_postgres tee "$REPLICA_DIR/pg_hba.conf" >/dev/null
as_postgres touch "$REPLICA_DIR/pg_ident.conf"
# a busy primary leaves WAL to replay before the standby is consistent and accepts connections
as_postgres "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/replica.log" -w -t 600 start >/dev/null \
  || { grep -v "statement:" "$REPLICA_DIR/replica.log" | tail -n 20 >&2; die "the replica did not start"; }
log "replica up on 127.0.0.1:$REPLICA_PORT in $(($(date +%s) - t0)) s: $(psql -h 127.0.0.1 -p "$REPLICA_PORT" -d postgres -tAc "SELECT 'in recovery: ' || pg_is_in_recovery()")"
psql -d postgres -tAc "SELECT 'primary sees the standby: ' || application_name || ' ' || state FROM pg_stat_replication WHERE client_addr = '127.0.0.1'" >&2

# ---------------------------------------------------------------- two nodes behind one nginx
"$REPO_DIR/setup/serve.sh" --daemon --db "$DB" --nodes 2 --workers 2 --cron 1 --http-port "$HTTP_PORT" \
  --gevent-port "$GEVENT_PORT" --nginx-port "$NGINX_PORT" --replica-host 127.0.0.1 --replica-port "$REPLICA_PORT" \
  --run-dir "$RUN_DIR"
grep -h "^\(workers\|db_replica\|host\|port\|channels\) *=" "$RUN_DIR/odoo-1.conf" | sed 's/^/  node 1: /' >&2

set +e
"$ODOO_PY" "$REPO_DIR/setup/scaleout_drill.py" --url "http://127.0.0.1:$NGINX_PORT" --db "$DB" \
  --replica-port "$REPLICA_PORT" --run-dir "$RUN_DIR"
rc=$?
set -e
leaders=$(grep -l "queue job runner ready for db $DB" "$RUN_DIR"/odoo-*.log | xargs -r -n1 basename | paste -sd' ')
log "queue_job runner elected in: ${leaders:-none} (the other node's runner waits on the advisory lock)"
[ $rc -eq 0 ] || { tail -n 30 "$RUN_DIR"/odoo-*.log >&2; }
exit $rc
