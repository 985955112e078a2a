#!/usr/bin/env bash
# Serve a database the production way: Odoo's prefork server (HTTP workers, cron worker, gevent/websocket port,
# queue_job's runner in its own process) with Odoo's default limits and proxy_mode, behind nginx.
#   setup/serve.sh [options]          runs in the foreground, Ctrl-C stops everything
#   setup/serve.sh --daemon [options] starts in the background and returns; setup/serve.sh --stop [--run-dir D] stops
# Options (environment variable in brackets):
#   --db NAME            database                       [MLM_DEMO_DB, mlm_demo]
#   --workers N          HTTP workers per node          [MLM_WORKERS, 2]
#   --cron N             cron workers per node          [MLM_CRON_WORKERS, 1]
#   --nodes N            Odoo nodes (server processes) behind the same nginx upstream [MLM_NODES, 1]
#   --http-port P        first node's HTTP port; node i uses P+i                        [MLM_HTTP_PORT, 8069]
#   --gevent-port P      first node's gevent (websocket) port; node i uses P+i          [MLM_GEVENT_PORT, 8072]
#   --nginx-port P       where nginx listens                                           [MLM_NGINX_PORT, 8080]
#   --replica-host H, --replica-port P  a streaming replica for Odoo's read-only routes [MLM_DB_REPLICA_HOST/PORT]
#   --run-dir DIR        configuration, pid files and logs [MLM_RUN_DIR, $MLM_HOME/run/<db>]
# The master password (database manager) is $MLM_MASTER_PASSWORD, or one generated in $MLM_HOME/master_password.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${MLM_DEMO_DB:-mlm_demo}"
WORKERS="${MLM_WORKERS:-2}"
CRON="${MLM_CRON_WORKERS:-1}"
NODES="${MLM_NODES:-1}"
HTTP_PORT="${MLM_HTTP_PORT:-8069}"
GEVENT_PORT="${MLM_GEVENT_PORT:-8072}"
NGINX_PORT="${MLM_NGINX_PORT:-8080}"
REPLICA_HOST="${MLM_DB_REPLICA_HOST:-}"
REPLICA_PORT="${MLM_DB_REPLICA_PORT:-}"
RUN_DIR="${MLM_RUN_DIR:-}"
DAEMON=0
ACTION=start
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --cron) CRON="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --http-port) HTTP_PORT="$2"; shift 2 ;;
    --gevent-port) GEVENT_PORT="$2"; shift 2 ;;
    --nginx-port) NGINX_PORT="$2"; shift 2 ;;
    --replica-host) REPLICA_HOST="$2"; shift 2 ;;
    --replica-port) REPLICA_PORT="$2"; shift 2 ;;
    --run-dir) RUN_DIR="$2"; shift 2 ;;
    --daemon) DAEMON=1; shift ;;
    --stop) ACTION=stop; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see setup/serve.sh --help)" ;;
  esac
done
RUN_DIR="${RUN_DIR:-$MLM_HOME/run/$DB}"

# Stop what a previous start in RUN_DIR left running: nginx, then each node (SIGTERM: Odoo's prefork master stops
# its workers, cron worker, gevent process and job runner; SIGKILL after 30 s).
# Only a process started from RUN_DIR (its command line names RUN_DIR) is ever signalled: a stale pid file never
# stops someone else's process.
ours() { [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$RUN_DIR"; }
stop_all() {
  local pidfile pid
  pid=$(cat "$RUN_DIR/nginx.pid" 2>/dev/null || true)
  ours "$pid" && kill -QUIT "$pid" 2>/dev/null
  for pidfile in "$RUN_DIR"/odoo-*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    ours "$pid" && kill -TERM "$pid" 2>/dev/null
  done
  for pidfile in "$RUN_DIR"/odoo-*.pid "$RUN_DIR/nginx.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile" 2>/dev/null || true)
    for _ in $(seq 1 60); do ours "$pid" || break; sleep 0.5; done
    if ours "$pid"; then log "process $pid did not stop in 30 s: killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
  return 0
}

if [ "$ACTION" = stop ]; then
  stop_all
  log "stopped what ran from $RUN_DIR"
  exit 0
fi

command -v nginx >/dev/null || ensure_debian_packages
command -v nginx >/dev/null || die "nginx is not installed (Debian package nginx)"
ensure_postgres
[[ "$(odoo_version || true)" == 18.0* ]] || ensure_odoo
psql -d "$DB" -tAc "select 1" >/dev/null 2>&1 || die "database $DB does not exist (setup/demo.sh creates the demo one)"
mkdir -p "$RUN_DIR/nginx-tmp"
stop_all  # a previous start from the same directory

if [ -n "${MLM_MASTER_PASSWORD:-}" ]; then
  MASTER="$MLM_MASTER_PASSWORD"
else
  if [ ! -s "$MLM_HOME/master_password" ]; then
    (umask 077; "$ODOO_PY" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$MLM_HOME/master_password")
    log "generated the master password in $MLM_HOME/master_password"
  fi
  MASTER=$(cat "$MLM_HOME/master_password")
fi

# One configuration per node: write_odoo_conf's, with the development-time limits removed (Odoo's defaults apply:
# limit_time_real 120 s, limit_time_cpu 60 s, limit_memory_soft 2 GiB, limit_memory_hard 2.5 GiB) and the
# production settings added.
node_conf() {
  local i="$1" conf="$RUN_DIR/odoo-$i.conf" extra="$RUN_DIR/odoo-$i.extra"
  write_odoo_conf "$DB" "$conf" "$((HTTP_PORT + i))"
  {
    echo "workers = $WORKERS"
    echo "max_cron_threads = $CRON"
    echo "gevent_port = $((GEVENT_PORT + i))"
    echo "http_interface = 127.0.0.1"
    echo "proxy_mode = True"
    # OCA auto_backup dumps through Odoo's database service, which needs list_db; the database manager stays
    # closed all the same: a master password, dbfilter on this database, nginx refusing /web/database and the
    # XML-RPC db service.
    echo "list_db = True"
    echo "admin_passwd = $MASTER"
    # the cron worker's own limit (Odoo's default is limit_time_real): a scheduled backup of a big database
    # takes longer than 120 s; jobs run in the HTTP workers and keep the 120 s limit.
    echo "limit_time_real_cron = 3600"
    echo "logfile = $RUN_DIR/odoo-$i.log"
    if [ -n "$REPLICA_HOST" ]; then
      echo "db_replica_host = $REPLICA_HOST"
      echo "db_replica_port = ${REPLICA_PORT:-$PGPORT}"
    fi
  } >"$extra"
  sed -i -e '/^limit_time_real *=/d' -e '/^limit_time_cpu *=/d' -e '/^list_db *=/d' -e "/^\[options\]/r $extra" "$conf"
  rm -f "$extra"
  if [ "$NODES" -gt 1 ]; then
    # Several nodes: every node runs a job runner, queue_job elects one per database (PostgreSQL advisory lock;
    # the others take over when it stops), and the runner starts jobs through nginx, so they spread over the nodes.
    printf 'host = 127.0.0.1\nport = %s\n' "$NGINX_PORT" >>"$conf"
  fi
  chmod 600 "$conf"
  echo "$conf"
}

upstream_http="" upstream_gevent=""
for i in $(seq 0 $((NODES - 1))); do
  upstream_http+="    server 127.0.0.1:$((HTTP_PORT + i));"$'\n'
  upstream_gevent+="    server 127.0.0.1:$((GEVENT_PORT + i));"$'\n'
done
user_line=""
[ "$(id -u)" = 0 ] && user_line="user $(id -un);"
TEMPLATE="$REPO_DIR/setup/nginx.conf.template" RUN_DIR="$RUN_DIR" LISTEN="$NGINX_PORT" USER_LINE="$user_line" \
  UPSTREAM_HTTP="$upstream_http" UPSTREAM_GEVENT="$upstream_gevent" "$ODOO_PY" - >"$RUN_DIR/nginx.conf" <<'PY'
import os
text = open(os.environ["TEMPLATE"]).read()
for key in ("RUN_DIR", "LISTEN", "USER_LINE", "UPSTREAM_HTTP", "UPSTREAM_GEVENT"):
    text = text.replace(f"@{key}@", os.environ[key].rstrip("\n"))
print(text)
PY
nginx -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" || die "nginx rejected $RUN_DIR/nginx.conf"

# Odoo's prefork master re-executes its own command line for the gevent process: it must be a script (the venv's
# `odoo` or the source's odoo-bin), not `python -m odoo`.
if [ -x "$ODOO_VENV/bin/odoo" ]; then
  ODOO_CMD=("$ODOO_VENV/bin/odoo")
else
  ODOO_CMD=("$ODOO_PY" "$(dirname "$(dirname "$(addons_path)")")/odoo-bin")
fi
for i in $(seq 0 $((NODES - 1))); do
  conf=$(node_conf "$i")
  log "node $i: $WORKERS workers, $CRON cron worker(s), HTTP :$((HTTP_PORT + i)), websocket :$((GEVENT_PORT + i)) ($conf)"
  nohup "${ODOO_CMD[@]}" -c "$conf" --pidfile "$RUN_DIR/odoo-$i.pid" >>"$RUN_DIR/odoo-$i.log" 2>&1 &
  echo $! >"$RUN_DIR/odoo-$i.pid"
done
nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" || { stop_all; die "nginx did not start (see $RUN_DIR/nginx-error.log)"; }

# Ready when every node and nginx answer Odoo's health check.
for i in $(seq 0 $((NODES - 1))) nginx; do
  port=$([ "$i" = nginx ] && echo "$NGINX_PORT" || echo $((HTTP_PORT + i)))
  ok=0
  for _ in $(seq 1 240); do
    if "$ODOO_PY" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/web/health', timeout=2)" 2>/dev/null; then
      ok=1; break
    fi
    [ "$i" != nginx ] && ! kill -0 "$(cat "$RUN_DIR/odoo-$i.pid")" 2>/dev/null && break
    sleep 0.25
  done
  [ $ok = 1 ] || { stop_all; die "$([ "$i" = nginx ] && echo nginx || echo "node $i") does not answer on :$port (logs in $RUN_DIR)"; }
done
log "serving $DB on http://127.0.0.1:$NGINX_PORT (nginx -> $NODES node(s)); logs in $RUN_DIR"

if [ "$DAEMON" = 1 ]; then
  exit 0
fi
trap 'stop_all; exit 0' INT TERM
log "Ctrl-C stops nginx and Odoo"
while kill -0 "$(cat "$RUN_DIR/odoo-0.pid")" 2>/dev/null; do sleep 2; done
stop_all
