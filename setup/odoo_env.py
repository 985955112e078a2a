"""Open an Odoo environment on a database from a command-line script (used by setup/ and benchmarks)."""

import contextlib
import os
import sys

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextlib.contextmanager
def odoo_env(config_path, db_name, commit=True):
    """Yield a superuser environment; commit at the end when ``commit`` (scripts own their transaction)."""
    import odoo

    odoo.tools.config.parse_config(["-c", config_path, "-d", db_name, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db_name)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        try:
            yield env
        except BaseException:
            cr.rollback()
            raise
        if commit:
            cr.commit()
        else:
            cr.rollback()


def die(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)
