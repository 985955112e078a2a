#!/usr/bin/env bash
# Shared settings and helpers for the set-up, demo and test scripts.
# Every value can be overridden from the environment; README.md documents them.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MLM_HOME="${MLM_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mlm-odoo}"
# The one place where the Python environment with Odoo 18 lives (outside the repository).
ODOO_VENV="${ODOO_VENV:-$MLM_HOME/venv}"
# Where Odoo's source is cloned when it has to be installed.
ODOO_SRC="${ODOO_SRC:-$MLM_HOME/odoo-18.0}"
ODOO_GIT_URL="${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
ODOO_BRANCH="${ODOO_BRANCH:-18.0}"
PYTHON="${PYTHON:-python3}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-$(id -un)}"
export PGPASSWORD="${PGPASSWORD:-}"
ODOO_PY="$ODOO_VENV/bin/python"

log() { printf '\033[1;34m[mlm]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[mlm] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# Debian/Ubuntu packages that Odoo, its PDF reports, the browser tests and setup/serve.sh (nginx) need.
ensure_debian_packages() {
  local wanted=(chromium wkhtmltopdf libldap2-dev libsasl2-dev libpq-dev libxml2-dev libxslt1-dev
                libjpeg-dev zlib1g-dev python3-venv postgresql-client fonts-dejavu-core nginx)
  local missing=()
  command -v dpkg-query >/dev/null || { log "not a Debian system: install the equivalents of: ${wanted[*]}"; return 0; }
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]} (run as root or with sudo)"
}

pg_reachable() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

# Reach a PostgreSQL server; start the local cluster, or install one, when none answers.
ensure_postgres() {
  pg_reachable && return 0
  log "no PostgreSQL answers on $PGHOST:$PGPORT; trying to start the local cluster"
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql 2>/dev/null | grep -q .; then
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -n1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || as_root pg_ctlcluster "$ver" main start || true
  else
    log "installing PostgreSQL from Debian's packages"
    as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null \
      || die "PostgreSQL is not reachable on $PGHOST:$PGPORT and could not be installed"
    local ver; ver=$(ls /etc/postgresql | sort -V | tail -n1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || as_root pg_ctlcluster "$ver" main start || true
  fi
  for _ in $(seq 1 30); do pg_reachable && break; sleep 1; done
  pg_reachable || die "PostgreSQL still does not answer on $PGHOST:$PGPORT; start it and retry (PGHOST/PGPORT/PGUSER select it)"
  # The role running Odoo must exist and may create databases.
  if ! psql -d postgres -tAc "select 1" >/dev/null 2>&1; then
    as_root su postgres -c "psql -p $PGPORT -c \"CREATE ROLE \\\"$PGUSER\\\" LOGIN CREATEDB SUPERUSER\"" >/dev/null \
      || die "cannot log in to PostgreSQL as $PGUSER; create that role or set PGUSER/PGPASSWORD"
  fi
}

odoo_version() { [ -x "$ODOO_PY" ] && "$ODOO_PY" -c 'import odoo.release as r; print(r.version)' 2>/dev/null; }

# Reuse an Odoo 18 already importable in $ODOO_VENV; otherwise install it from Odoo's official source.
ensure_odoo() {
  local v; v=$(odoo_version || true)
  if [[ "$v" == 18.0* ]]; then log "reusing Odoo $v in $ODOO_VENV"; ensure_python_requirements; return 0; fi
  [ -x "$ODOO_PY" ] || { log "creating the Python environment $ODOO_VENV"; "$PYTHON" -m venv "$ODOO_VENV"; }
  if [ ! -f "$ODOO_SRC/odoo/release.py" ]; then
    log "fetching Odoo $ODOO_BRANCH Community from $ODOO_GIT_URL into $ODOO_SRC"
    mkdir -p "$(dirname "$ODOO_SRC")"
    if ! timeout 900 git clone --quiet --depth 1 --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" "$ODOO_SRC"; then
      rm -rf "$ODOO_SRC"
      die "Odoo's official source ($ODOO_GIT_URL, branch $ODOO_BRANCH) cannot be reached from this machine.
  Do one of these, then run this command again:
   - put an Odoo 18.0 Community checkout at $ODOO_SRC (or point ODOO_SRC at one), or
   - set ODOO_VENV to a Python environment where 'import odoo' gives Odoo 18.0."
    fi
  fi
  grep -q "version_info = (18, 0" "$ODOO_SRC/odoo/release.py" || die "$ODOO_SRC is not Odoo 18.0"
  log "installing Odoo's Python requirements (a few minutes the first time)"
  local constraints; constraints=$(mktemp)
  # cbor2's build needs an older setuptools on Python 3.11; the constraint reaches pip's build environments too.
  echo "setuptools<81" >"$constraints"
  PIP_CONSTRAINT="$constraints" PIP_BUILD_CONSTRAINT="$constraints" "$ODOO_PY" -m pip install -q --upgrade "pip" "wheel" "setuptools<81"
  PIP_CONSTRAINT="$constraints" PIP_BUILD_CONSTRAINT="$constraints" "$ODOO_PY" -m pip install -q -r "$ODOO_SRC/requirements.txt"
  log "installing Odoo from $ODOO_SRC"
  PIP_CONSTRAINT="$constraints" PIP_BUILD_CONSTRAINT="$constraints" "$ODOO_PY" -m pip install -q --no-deps -e "$ODOO_SRC"
  rm -f "$constraints"
  v=$(odoo_version || true)
  [[ "$v" == 18.0* ]] || die "Odoo did not install into $ODOO_VENV"
  ensure_python_requirements
}

# OCA add-ons from PyPI (odoo-addon-*, e.g. queue_job) install into site-packages/odoo/addons, a namespace portion
# of the `odoo` package. With Odoo installed editable (setup's way), that portion would hide Odoo's own package from
# the editable finder; a .pth that puts Odoo's source on sys.path makes `import odoo` find the real package first,
# and Odoo's odoo/__init__.py (pkgutil.extend_path) then adds site-packages/odoo/addons to odoo.addons.
ensure_odoo_namespace() {
  ODOO_SRC="$ODOO_SRC" "$ODOO_PY" - <<'PY'
import os, sysconfig
site = sysconfig.get_paths()["purelib"]
try:
    import odoo
    src_root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
except (ImportError, TypeError):  # already hidden by a namespace portion: Odoo's source from setup
    src_root = os.environ["ODOO_SRC"]
if os.path.isfile(os.path.join(src_root, "odoo", "__init__.py")) and os.path.realpath(src_root) != os.path.realpath(site):
    pth = os.path.join(site, "mlm-odoo-source.pth")
    if not os.path.isfile(pth) or open(pth).read().strip() != src_root:
        with open(pth, "w") as f:
            f.write(src_root + "\n")
PY
}

ensure_python_requirements() {
  ensure_odoo_namespace
  local stamp="$ODOO_VENV/.mlm-requirements.sha"
  local sum; sum=$(cat "$REPO_DIR/requirements.txt" "$REPO_DIR/requirements-dev.txt" 2>/dev/null | sha1sum | cut -c1-40)
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && return 0
  log "installing the suite's Python requirements"
  local constraints; constraints=$(mktemp); echo "setuptools<81" >"$constraints"
  # Odoo's own pins as constraints: a tool of ours (locust brings Flask and gevent) never moves a package Odoo's
  # server needs (Werkzeug, gevent, greenlet, requests, urllib3 ...).
  [ -f "$ODOO_SRC/requirements.txt" ] && grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$ODOO_SRC/requirements.txt" >>"$constraints" || true
  PIP_CONSTRAINT="$constraints" PIP_BUILD_CONSTRAINT="$constraints" "$ODOO_PY" -m pip install -q -r "$REPO_DIR/requirements.txt" -r "$REPO_DIR/requirements-dev.txt"
  rm -f "$constraints"
  echo "$sum" >"$stamp"
}

addons_path() {
  "$ODOO_PY" - <<'PY'
import os, odoo
base = os.path.dirname(odoo.__file__)
print(os.path.join(base, "addons"))
PY
}

# Where the OCA add-ons installed from PyPI (odoo-addon-*) live, when any are installed.
oca_addons_path() {
  "$ODOO_PY" - <<'PY'
import os, sysconfig
path = os.path.join(sysconfig.get_paths()["purelib"], "odoo", "addons")
print(path if os.path.isdir(path) else "")
PY
}

# Write an Odoo configuration file for the given database and print its path.
write_odoo_conf() {
  local db="$1" conf="$2" port="${3:-8069}"
  local core; core=$(addons_path)
  local odoo_root; odoo_root=$(dirname "$core")
  local extra=""
  [ -d "$(dirname "$odoo_root")/addons" ] && extra=",$(dirname "$odoo_root")/addons"
  local oca; oca=$(oca_addons_path)
  [ -n "$oca" ] && [ "$oca" != "$core" ] && extra="$extra,$oca"
  cat >"$conf" <<CONF
[options]
addons_path = $REPO_DIR,$core$extra
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = ${PGPASSWORD:-False}
db_name = $db
dbfilter = ^$db\$
http_port = $port
data_dir = $MLM_HOME/filestore
list_db = False
without_demo = False
limit_time_real = 1200
limit_time_cpu = 1200
server_wide_modules = base,web,queue_job

[queue_job]
; two jobs at a time; commission runs of a company one at a time (plus a per-company identity and lock);
; genealogy imports one at a time; statement e-mails (hours of PDFs at a million) one at a time, so that they never
; take both slots from the payouts and the other jobs
channels = root:2,root.mlm_commission:1,root.mlm_import:1,root.mlm_projection:1,root.mlm_mail:1
CONF
}
