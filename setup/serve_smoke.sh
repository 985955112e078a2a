#!/usr/bin/env bash
# Smoke test of the production deployment (setup/serve.sh): clone an installed database (no second install),
# serve it with 2 workers, a cron worker, the websocket port and queue_job's runner behind nginx, then check login,
# a portal page, the websocket route and a job run end to end (setup/serve_smoke.py), and stop everything.
#   setup/serve_smoke.sh SOURCE_DB
# setup/test.sh calls it on its test database after pytest passed (MLM_SERVE_SMOKE=0 skips it).
# Ports: MLM_SMOKE_HTTP_PORT (18069; the gevent port is +3) and MLM_SMOKE_NGINX_PORT (18080).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SOURCE="${1:?usage: setup/serve_smoke.sh SOURCE_DB}"
started=$(date +%s%N)
SMOKE_DB="${MLM_SMOKE_DB:-${SOURCE}_smoke}"
HTTP_PORT="${MLM_SMOKE_HTTP_PORT:-18069}"
GEVENT_PORT="${MLM_SMOKE_GEVENT_PORT:-$((HTTP_PORT + 3))}"
NGINX_PORT="${MLM_SMOKE_NGINX_PORT:-18080}"
RUN_DIR="$(mktemp -d -t mlm-serve-smoke.XXXXXX)"
export MLM_MASTER_PASSWORD="${MLM_MASTER_PASSWORD:-$("$ODOO_PY" -c 'import secrets; print(secrets.token_urlsafe(24))')}"

cleanup() {
  "$REPO_DIR/setup/serve.sh" --stop --run-dir "$RUN_DIR" >/dev/null 2>&1 || true
  dropdb --if-exists --force "$SMOKE_DB" >/dev/null 2>&1 || true
  rm -rf "$MLM_HOME/filestore/filestore/$SMOKE_DB" "$RUN_DIR"
}
trap cleanup EXIT

log "serve smoke: cloning $SOURCE into $SMOKE_DB"
dropdb --if-exists --force "$SMOKE_DB" >/dev/null 2>&1 || true
createdb -T "$SOURCE" "$SMOKE_DB"
if [ -d "$MLM_HOME/filestore/filestore/$SOURCE" ]; then
  rm -rf "$MLM_HOME/filestore/filestore/$SMOKE_DB"
  cp -r "$MLM_HOME/filestore/filestore/$SOURCE" "$MLM_HOME/filestore/filestore/$SMOKE_DB"
fi

"$REPO_DIR/setup/serve.sh" --daemon --db "$SMOKE_DB" --workers 2 --cron 1 --http-port "$HTTP_PORT" \
  --gevent-port "$GEVENT_PORT" --nginx-port "$NGINX_PORT" --run-dir "$RUN_DIR"
up=$(date +%s%N)
set +e
"$ODOO_PY" "$REPO_DIR/setup/serve_smoke.py" --url "http://127.0.0.1:$NGINX_PORT" --db "$SMOKE_DB"
rc=$?
set -e
# The job ran in the prefork server: its log names the runner process and the worker that ran it.
grep -h -E "queue_job.jobrunner.runner: (queue job runner ready|asking Odoo to run job)" "$RUN_DIR"/odoo-0.log | head -n 3 >&2 || true
if [ $rc -ne 0 ]; then
  log "serve smoke FAILED; the end of Odoo's log:"
  tail -n 40 "$RUN_DIR/odoo-0.log" >&2 || true
  tail -n 5 "$RUN_DIR/nginx-error.log" >&2 || true
fi
"$REPO_DIR/setup/serve.sh" --stop --run-dir "$RUN_DIR"
ended=$(date +%s%N)
secs() { printf '%d.%d' $(($1 / 1000000000)) $((($1 / 100000000) % 10)); }
log "serve smoke $([ $rc -eq 0 ] && echo passed || echo FAILED) in $(secs $((ended - started))) s wall time" \
  "(clone and start $(secs $((up - started))) s, checks and stop $(secs $((ended - up))) s)"
exit $rc
