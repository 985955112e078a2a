#!/usr/bin/env bash
# Static checks: ruff (OCA settings), pylint-odoo's mandatory checks for 18.0, well-formed XML and CSV.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_odoo >/dev/null
cd "$REPO_DIR"
addons=$(for m in */__manifest__.py; do dirname "$m"; done)
log "ruff"
"$ODOO_VENV/bin/ruff" check .
"$ODOO_VENV/bin/ruff" format --check .
log "pylint-odoo (mandatory checks)"
"$ODOO_VENV/bin/pylint" --rcfile=.pylintrc $addons
log "XML and CSV files"
"$ODOO_PY" setup/check_files.py
