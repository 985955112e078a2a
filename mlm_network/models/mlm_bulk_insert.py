import datetime
import io
import json

from psycopg2 import sql as pgsql
from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.tools import SQL


class MlmBulkInsert(models.AbstractModel):
    """Set-based writes of many distributors at once (network generator, genealogy import).

    Rows go in with one ``COPY ... FROM STDIN`` per table; every stored column a row does not give gets the ORM
    default, computed once for all rows; the stored computed columns of contacts that matter (complete name,
    commercial partner, normalised email) are given by ``_partner_row``.
    """

    _name = "mlm.bulk.insert"
    _description = "Set-based insertion of distributors"

    @api.model
    def _next_ids(self, table, count):
        self.env.cr.execute(
            SQL("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", table, count)
        )
        return [r[0] for r in self.env.cr.fetchall()]

    @api.model
    def _next_codes(self, company, count):
        """``count`` distributor IDs from the company's sequence, in one query for a standard sequence."""
        if not count:
            return []
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "mlm.distributor"), ("company_id", "in", [company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        if sequence.implementation != "standard":
            return [sequence.next_by_id() for _ in range(count)]
        prefix, suffix = sequence._get_prefix_suffix()
        self.env.cr.execute(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count)
        )
        return [f"{prefix}{n:0{sequence.padding}d}{suffix}" for (n,) in self.env.cr.fetchall()]

    @api.model
    def _partner_row(self, partner_id, vals):
        name = vals.get("name")
        email = vals.get("email")
        return dict(
            vals,
            id=partner_id,
            complete_name=name,
            commercial_partner_id=partner_id,
            email_normalized=(email or "").strip().lower() or None,
            partner_share=True,
            type=vals.get("type") or "contact",
            is_company=False,
            active=True,
        )

    @api.model
    def _insert(self, model_name, rows):
        """Insert ``rows`` (dicts of column values, same keys) into the model's table."""
        if not rows:
            return
        Model = self.env[model_name]
        columns = list(rows[0])
        stored = [
            name
            for name, field in Model._fields.items()
            if field.store and field.column_type and name not in columns and name not in models.MAGIC_COLUMNS
        ]
        now = fields.Datetime.now()
        extra = {"create_uid": self.env.uid, "write_uid": self.env.uid, "create_date": now, "write_date": now}
        for name, value in Model.default_get(stored).items():
            field = Model._fields[name]
            if field.type in ("many2many", "one2many") or value is None:
                continue
            extra[name] = field.convert_to_column_insert(field.convert_to_cache(value, Model), Model)
        all_columns = columns + list(extra)
        tail = "\t".join(_copy_text(v) for v in extra.values())
        # False means "empty" for every field type but booleans
        empty_is_null = [Model._fields[c].type != "boolean" if c in Model._fields else True for c in columns]
        buffer = io.StringIO()
        for row in rows:
            line = "\t".join(
                _copy_text(None if (null and row[c] is False) else row[c])
                for c, null in zip(columns, empty_is_null, strict=True)
            )
            buffer.write(f"{line}\t{tail}\n" if tail else f"{line}\n")
        buffer.seek(0)
        self.env.cr._obj.copy_expert(
            pgsql.SQL("COPY {} ({}) FROM STDIN").format(
                pgsql.Identifier(Model._table), pgsql.SQL(", ").join(map(pgsql.Identifier, all_columns))
            ),
            buffer,
        )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Json):
        value = json.dumps(value.adapted)
    elif isinstance(value, dict):
        value = json.dumps(value)
    return str(value).translate(_COPY_ESCAPES)
