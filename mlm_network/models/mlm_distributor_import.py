from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.lru import LRU

from ..tools.genealogy import match_keys, topological_order
from .mlm_distributor_import_job import IMPORT_JOB_THRESHOLD

# Columns a set-based import fills itself (besides what the file gives).
COMPUTED_ON_IMPORT = {"parent_path", "depth", "sponsor_id", "partner_id", "code", "cooling_off_deadline"}


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    @api.model
    def load(self, fields, data):
        """Import genealogies with sponsors given by distributor ID, in any row order.

        Rows are ordered sponsors first. When every imported field is a plain column of the distributor or of its
        contact, the rows are checked and inserted set-based (thousands of rows per second); otherwise they go
        through the ORM generation by generation. Either way one bad row imports nothing.
        """
        # the set-based path below inserts with SQL: check the right to create first, whatever the path
        self.check_access("create")
        if self.env.context.get("mlm_import_queue") and len(data) > IMPORT_JOB_THRESHOLD:
            return self._load_queue(fields, data)
        if "sponsor_code" not in fields:
            return super().load(fields, data)
        quiet = self.with_context(tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True)
        sponsor_col = fields.index("sponsor_code")
        code_col = fields.index("code") if "code" in fields else None
        generations, cycles = topological_order(
            data,
            key=lambda row: (row[code_col] or "").strip() if code_col is not None else None,
            parent_key=lambda row: (row[sponsor_col] or "").strip(),
        )
        messages = [
            self._load_error(i, self.env._("Row %(row)s: its sponsor chain loops back to itself.", row=i + 1))
            for i in cycles
        ]
        if messages:
            return {"ids": False, "messages": messages, "nextrow": 0}
        with self.env.cr.savepoint() as savepoint:
            if quiet._load_is_set_based(fields):
                ids = quiet._load_set_based(fields, data, generations, messages)
            else:
                ids = quiet._load_by_generation(fields, data, generations, messages)
            if any(m.get("type") == "error" for m in messages):
                savepoint.close(rollback=True)
                self.env.invalidate_all()
                return {"ids": False, "messages": messages, "nextrow": 0}
        return {"ids": ids, "messages": messages, "nextrow": 0}

    def _load_queue(self, fields, data):
        """A large file from the import screen: refuse it at once if the cheap checks fail, else queue it."""
        messages = self._load_precheck(fields, data)
        if messages:
            return {"ids": False, "messages": messages, "nextrow": 0}
        file_name = self.env.context["mlm_import_queue"]
        return self.env["mlm.distributor.import.job"]._queue_import(
            fields, data, file_name if isinstance(file_name, str) else None
        )

    def _load_precheck(self, fields, data):
        """Checks of a whole file that cost one pass and two queries: the name column and names, distributor IDs
        unique in the file and new, sponsors known and not in a loop. The job checks everything again."""
        if "name" not in fields:
            return [{"type": "error", "message": self.env._("The file has no Name column.")}]
        name_col = fields.index("name")
        messages = [
            self._load_error(i, self.env._("Row %(row)s: the name is missing.", row=i + 1))
            for i, row in enumerate(data)
            if not (row[name_col] or "").strip()
        ]
        codes = []
        if "code" in fields:
            code_col = fields.index("code")
            codes = [(row[code_col] or "").strip() for row in data]
            self._load_check_codes(codes, messages)
        if "sponsor_code" in fields:
            sponsor_col = fields.index("sponsor_code")
            sponsors = [(row[sponsor_col] or "").strip() for row in data]
            self._load_external_sponsors(sponsors, set(codes) - {""}, messages)
            _generations, cycles = topological_order(
                data,
                key=lambda row: (row[code_col] or "").strip() if codes else None,
                parent_key=lambda row: (row[sponsor_col] or "").strip(),
            )
            messages += [
                self._load_error(i, self.env._("Row %(row)s: its sponsor chain loops back to itself.", row=i + 1))
                for i in cycles
            ]
        return sorted(messages, key=lambda m: m.get("record", -1))

    def _load_progress(self, stage, value):
        """Report the progress of a queued import (a no-op in the request)."""
        progress = self.env.context.get("mlm_import_progress")
        if progress:
            progress(stage, value)

    def _load_error(self, index, text):
        return {"type": "error", "rows": {"from": index, "to": index}, "message": text, "record": index}

    # ------------------------------------------------------------------ ORM path
    def _load_by_generation(self, fields, data, generations, messages):
        new_fields = [f for f in fields if f != "sponsor_code"] + ["sponsor_id/.id"]
        if "enrollment_source" not in fields:
            new_fields.append("enrollment_source")
        ids = [None] * len(data)
        for generation in generations:
            if not self._load_generation(fields, data, generation, new_fields, ids, messages):
                break
        return ids

    def _load_generation(self, fields, data, generation, new_fields, ids, messages):
        """Load one generation of rows; sponsors are already in the database. False when it failed."""
        sponsor_col = fields.index("sponsor_code")
        codes = {(data[i][sponsor_col] or "").strip() for i in generation} - {""}
        known = {d.code: d.id for d in self.search_fetch([("code", "in", list(codes))], ["code"])}
        rows = []
        for i in generation:
            row = list(data[i])
            code = (row.pop(sponsor_col) or "").strip()
            if code and code not in known:
                messages.append(
                    self._load_error(i, self.env._("Row %(row)s: unknown sponsor ID %(code)s.", row=i + 1, code=code))
                )
            row.append(str(known.get(code, "")))
            if "enrollment_source" not in fields:
                row.append("import")
            rows.append(row)
        if messages:
            return False
        result = super().load(new_fields, rows)
        for message in result["messages"]:
            if "rows" in message:
                message = dict(
                    message,
                    rows={"from": generation[message["rows"]["from"]], "to": generation[message["rows"]["to"]]},
                )
            messages.append(message)
        if not result["ids"]:
            return False
        for i, rid in zip(generation, result["ids"], strict=True):
            ids[i] = rid
        return True

    # ------------------------------------------------------------------ set-based path
    def _load_is_set_based(self, fields):
        for name in fields:
            if name == "sponsor_code":
                continue
            field = self._fields.get(name)
            if not field or "/" in name or name in COMPUTED_ON_IMPORT - {"code"}:
                return False
            target = self.env["res.partner"]._fields[name] if field.inherited else field
            if not (target.store and target.column_type) or target.type in ("binary", "many2many", "one2many"):
                return False
            if target.translate or target.compute:
                return False
        return True

    def _load_set_based(self, fields, data, generations, messages):
        """Check every row, then insert contacts and distributors in bulk. Ids in the file's row order."""
        sponsor_col = fields.index("sponsor_code")
        plain_fields = [f for f in fields if f != "sponsor_code"]
        rows = [[v for j, v in enumerate(row) if j != sponsor_col] for row in data]
        self._load_progress(self.env._("Converting the rows"), 10.0)
        converter = self.with_context(import_flush=lambda **kw: None, import_cache=LRU(1024))
        extracted = converter._extract_records([[f] for f in plain_fields], rows, log=messages.append)
        converted = list(converter._convert_records(extracted, log=messages.append))
        if any(m.get("type") == "error" for m in messages):
            return False
        values = [record for _id, _xid, record, _info in converted]
        sponsors = [(row[sponsor_col] or "").strip() for row in data]
        self._load_progress(self.env._("Checking the rows"), 40.0)
        bulk = self.env["mlm.bulk.insert"]
        company = self.env.company
        codes = self._load_codes(values, company, messages)
        external = self._load_external_sponsors(sponsors, set(codes), messages)
        if any(m.get("type") == "error" for m in messages):
            return False
        dist_ids = bulk._next_ids("mlm_distributor", len(data))
        partner_ids = bulk._next_ids("res_partner", len(data))
        id_by_code = dict(zip(codes, dist_ids, strict=True))
        paths = {}
        partner_rows, dist_rows = [], []
        default_rank_id = self._default_rank().id
        for generation in generations:
            for i in generation:
                sponsor_code = sponsors[i]
                if sponsor_code in id_by_code:
                    sponsor_id, sponsor_path = id_by_code[sponsor_code], paths[id_by_code[sponsor_code]]
                elif sponsor_code:
                    sponsor_id, sponsor_path = external[sponsor_code]
                else:
                    sponsor_id, sponsor_path = None, ""
                paths[dist_ids[i]] = f"{sponsor_path}{dist_ids[i]}/"
                partner_vals, dist_vals = self._load_split_values(values[i], i, messages)
                living = values[i].get("status") != "terminated"
                partner_rows.append(
                    bulk._partner_row(partner_ids[i], dict(partner_vals, mlm_code=codes[i] if living else None))
                )
                dist_rows.append(
                    self._load_distributor_row(
                        dist_vals,
                        dist_ids[i],
                        partner_ids[i],
                        codes[i],
                        sponsor_id,
                        paths[dist_ids[i]],
                        company,
                        partner_vals,
                        default_rank_id,
                    )
                )
        if any(m.get("type") == "error" for m in messages):
            return False
        self._load_progress(self.env._("Writing the distributors"), 60.0)
        bulk._insert("res.partner", self._load_uniform(partner_rows))
        bulk._insert("mlm.distributor", self._load_uniform(dist_rows))
        self.env.invalidate_all()
        self._load_progress(self.env._("Checking for duplicates"), 85.0)
        try:
            self.browse(dist_ids)._apply_duplicate_policy()
        except ValidationError as error:
            messages.append({"type": "error", "message": str(error)})
            return False
        return dist_ids

    def _load_codes(self, values, company, messages):
        codes = [(v.get("code") or "").strip() for v in values]
        missing = [i for i, code in enumerate(codes) if not code]
        for i, code in zip(missing, self.env["mlm.bulk.insert"]._next_codes(company, len(missing)), strict=True):
            codes[i] = code
        self._load_check_codes(codes, messages)
        return codes

    def _load_check_codes(self, codes, messages):
        """Errors for distributor IDs given twice in the file or taken already (empty ones are skipped)."""
        seen = {}
        for i, code in enumerate(codes):
            if code and code in seen:
                messages.append(
                    self._load_error(
                        i,
                        self.env._(
                            "Row %(row)s: distributor ID %(code)s is also on row %(other)s.",
                            row=i + 1,
                            code=code,
                            other=seen[code] + 1,
                        ),
                    )
                )
            if code:
                seen.setdefault(code, i)
        taken = {
            d.code for d in self.with_context(active_test=False).search_fetch([("code", "in", list(seen))], ["code"])
        }
        messages += [
            self._load_error(
                i, self.env._("Row %(row)s: distributor ID %(code)s already exists.", row=i + 1, code=code)
            )
            for i, code in enumerate(codes)
            if code in taken
        ]

    def _load_external_sponsors(self, sponsors, file_codes, messages):
        """{code: (id, parent_path)} of the sponsors already in the database; errors for unknown or blocked."""
        wanted = {code for code in sponsors if code and code not in file_codes}
        found = self.search_fetch([("code", "in", list(wanted))], ["code", "parent_path", "status"])
        by_code = {d.code: d for d in found}
        for i, code in enumerate(sponsors):
            if not code or code in file_codes:
                continue
            sponsor = by_code.get(code)
            if not sponsor:
                messages.append(
                    self._load_error(i, self.env._("Row %(row)s: unknown sponsor ID %(code)s.", row=i + 1, code=code))
                )
            elif sponsor.status in ("terminated", "suspended"):
                messages.append(
                    self._load_error(
                        i, self.env._("Row %(row)s: sponsor %(code)s is terminated or suspended.", row=i + 1, code=code)
                    )
                )
        return {code: (d.id, d.parent_path) for code, d in by_code.items()}

    def _load_split_values(self, vals, index, messages):
        partner_vals, dist_vals = {}, {}
        for name, value in vals.items():
            if name == "code":
                continue
            if self._fields[name].inherited:
                partner_vals[name] = value
            else:
                dist_vals[name] = value
        if not partner_vals.get("name"):
            messages.append(self._load_error(index, self.env._("Row %(row)s: the name is missing.", row=index + 1)))
        return partner_vals, dist_vals

    def _load_distributor_row(
        self, vals, dist_id, partner_id, code, sponsor_id, path, company, partner_vals, default_rank_id
    ):
        join_date = vals.get("join_date") or fields.Date.context_today(self)
        join_date = fields.Date.to_date(join_date)
        row = dict(vals)
        rank_id = vals.get("rank_id") or default_rank_id
        row.update(
            rank_id=rank_id,
            highest_rank_id=rank_id,
            agreement_version=vals.get("agreement_version") or company.mlm_agreement_version,
            id=dist_id,
            partner_id=partner_id,
            code=code,
            company_id=company.id,
            sponsor_id=sponsor_id,
            parent_path=path,
            depth=path.count("/") - 1,
            join_date=join_date,
            enrollment_source=vals.get("enrollment_source") or "import",
            cooling_off_deadline=join_date + timedelta(days=company.mlm_cooling_off_days or 0),
            **match_keys(
                partner_vals.get("email"),
                partner_vals.get("phone"),
                partner_vals.get("mobile"),
                partner_vals.get("vat"),
                vals.get("identity_number"),
            ),
        )
        return row

    def _load_uniform(self, rows):
        """Give every row the same columns (a cell left empty in the file is NULL)."""
        columns = {key for row in rows for key in row}
        return [{column: row.get(column) for column in columns} for row in rows]
