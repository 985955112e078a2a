#!/usr/bin/env bash
# Month-end benchmark on the production deployment: serve DB with setup/serve.sh (prefork, Odoo's default limits,
# queue_job's runner, nginx), then, as a manager would over XML-RPC, compute, close, statement e-mails and payouts
# of the benchmark company's ended period as queue_job jobs, while locust keeps 50 portal distributors browsing.
#   setup/bench_monthend.sh DB [--workers 4] [--http-port 8069] [--gevent-port 8072] [--nginx-port 8080]
#                              [--keep-running] [-- options of setup/bench_monthend.py]
# DB must hold a company 'Benchmark <size>' with an ended open period and its ledger (mlm_commission's bench_run.py
# setup_company builds one); the script changes DB (portal users, accounting settings, the month end itself): run
# it on a copy (createdb -T). It stops the server at the end unless --keep-running; the Odoo log, locust's log and
# the samples stay in the run directory ($MLM_HOME/run/bench-<db>).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || die "usage: setup/bench_monthend.sh DB [options] (see the script's head)"
DB="$1"; shift
WORKERS=4 HTTP_PORT=8069 GEVENT_PORT=8072 NGINX_PORT=8080 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS="$2"; shift 2 ;;
    --http-port) HTTP_PORT="$2"; shift 2 ;;
    --gevent-port) GEVENT_PORT="$2"; shift 2 ;;
    --nginx-port) NGINX_PORT="$2"; shift 2 ;;
    --keep-running) KEEP=1; shift ;;
    --) shift; break ;;
    *) die "unknown option $1" ;;
  esac
done
RUN_DIR="$MLM_HOME/run/bench-$DB"

ensure_postgres
ensure_odoo  # also the suite's Python requirements, locust included
psql -d "$DB" -tAc "select 1" >/dev/null 2>&1 || die "database $DB does not exist"
# Odoo's mail queue would try to send the statement e-mails through SMTP: the benchmark measures their rendering
# into the queue (the jobs), not an SMTP server; its cron is paused while it runs and restored afterwards.
MAIL_CRON_ACTIVE=$(psql -d "$DB" -tAc "SELECT c.active FROM ir_cron c JOIN ir_model_data d ON d.model = 'ir.cron'
  AND d.res_id = c.id WHERE d.module = 'mail' AND d.name = 'ir_cron_mail_scheduler_action'")
psql -d "$DB" -qc "UPDATE ir_cron SET active = false WHERE id = (SELECT res_id FROM ir_model_data
  WHERE module = 'mail' AND name = 'ir_cron_mail_scheduler_action')"
# The clone's scheduled actions are overdue (its template was made days ago) and would all run at the start, the
# nightly preview among them: each moves ahead by whole days past now, as on a server that ran every night.
psql -d "$DB" -qc "UPDATE ir_cron SET nextcall = nextcall + make_interval(days => ceil(extract(epoch FROM
  now() AT TIME ZONE 'UTC' - nextcall) / 86400)::int) WHERE active AND nextcall < now() AT TIME ZONE 'UTC'"
cleanup() {
  [ "$KEEP" = 1 ] || "$REPO_DIR/setup/serve.sh" --stop --db "$DB" --run-dir "$RUN_DIR" >/dev/null 2>&1 || true
  psql -d "$DB" -qc "UPDATE ir_cron SET active = ${MAIL_CRON_ACTIVE:-true} WHERE id = (SELECT res_id FROM
    ir_model_data WHERE module = 'mail' AND name = 'ir_cron_mail_scheduler_action')" 2>/dev/null || true
}
trap cleanup EXIT

log "starting $DB: $WORKERS workers, Odoo's default limits, behind nginx on :$NGINX_PORT"
"$REPO_DIR/setup/serve.sh" --daemon --db "$DB" --workers "$WORKERS" --http-port "$HTTP_PORT" \
  --gevent-port "$GEVENT_PORT" --nginx-port "$NGINX_PORT" --run-dir "$RUN_DIR"
log "uptime before: $(uptime)"
set +e
"$ODOO_PY" "$REPO_DIR/setup/bench_monthend.py" --url "http://127.0.0.1:$NGINX_PORT" --db "$DB" --run-dir "$RUN_DIR" "$@"
status=$?
set -e
log "uptime after: $(uptime)"
exit $status
