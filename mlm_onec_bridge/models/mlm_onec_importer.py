# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Writes what :mod:`..tools.cml_reader` streams out of a CommerceML file, batch by batch.

Every batch is keyed by 1C GUIDs: one query finds the existing records of the whole batch, a dict
answers the lookups, new records are created with one ``create(vals_list)``, and only records
whose data changed are written (a fingerprint of the imported data is kept on the product).
"""

import base64
import hashlib
import json
import logging
import os
import time
from collections import Counter, defaultdict

from odoo import Command, api, models
from odoo.tools import SQL, float_is_zero

from ..tools import cml_reader
from .mlm_onec_session import ExchangeError

# OKEI units 1C sends that Odoo has no unit for (Odoo's own carry their code, data/uom_data.xml): created on first
# use in their category, with their size against the category's reference unit ((category, ratio, name))
OKEI_NEW_UOM = {
    "715": ("uom.product_uom_categ_unit", 2.0, "пар"),
    "797": ("uom.product_uom_categ_unit", 100.0, "100 шт"),
    "798": ("uom.product_uom_categ_unit", 1000.0, "1000 шт"),
    "778": ("uom.product_uom_categ_unit", 1.0, "упак"),
    "839": ("uom.product_uom_categ_unit", 1.0, "компл"),
    "704": ("uom.product_uom_categ_unit", 1.0, "набор"),
    "111": ("uom.product_uom_categ_vol", 0.001, "мл"),
    "161": ("uom.product_uom_categ_kgm", 0.000001, "мг"),
}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# currency words and numeric codes (ISO 4217) 1C writes in Валюта -> ISO letter codes
CURRENCY_WORDS = {
    "руб": "RUB",
    "рубль": "RUB",
    "рублей": "RUB",
    "rur": "RUB",
    "643": "RUB",
    "810": "RUB",
    "840": "USD",
    "978": "EUR",
    "398": "KZT",
    "тг": "KZT",
    "тенге": "KZT",
    "933": "BYN",
    "бел. руб": "BYN",
    "980": "UAH",
    "грн": "UAH",
}
# value of an attribute a characteristic does not name (another characteristic of the product does)
NO_VALUE = "—"
TOTAL_WAREHOUSE_GUID = "__total__"
# fields that differ from one imported product to the next (everything else is shared by a "kind" of products)
TEMPLATE_PER_RECORD = ("name", "description_sale", "onec_properties", "onec_guid", "onec_hash")
VARIANT_PER_RECORD = ("default_code", "barcode")
ITEM_PER_RECORD = ("product_tmpl_id", "product_id", "fixed_price")
# columns the set-based variant path gives each copied row (all the others are the prototype's); ``write_date`` is
# the transaction's time for the prototype and for the copies, as for records created by the ORM
VARIANT_PER_RECORD_FIELDS = {
    "product.template.attribute.line": ("product_tmpl_id", "attribute_id", "value_ids", "value_count"),
    "product.template.attribute.value": (
        "product_tmpl_id",
        "attribute_id",
        "attribute_line_id",
        "product_attribute_value_id",
        "price_extra",
        "color",
        "ptav_product_variant_ids",
    ),
    "product.product": (
        "product_tmpl_id",
        "product_template_attribute_value_ids",
        "combination_indices",
        "default_code",
        "onec_variant_guid",
        "write_date",
    ),
}
# products whose variants are copied between two checks of the call's time limit
VARIANT_CHUNK = 250
KEPT_WHEN_INTERRUPTED = (
    "products_created",
    "products_updated",
    "variants_created",
    "attributes_created",
    "variants_archived",
)
# Modules whose ``create()`` override on the models the set-based path copies (product.template, product.product,
# product.pricelist.item, product.template.attribute.line and .value) is proven equal to the copy by
# tests/test_bulk_create.py and tests/test_bulk_variants.py (every column, relation and referencing row compared with
# Odoo's ``create`` and attribute machinery), identified by the module of the overriding class. Any other override (a
# company's own module, an add-on installed later) is unknown: the import then uses ``create``.
KNOWN_CREATE_OVERRIDES = frozenset(
    {
        "odoo.models",
        "odoo.addons.product.models.product_template",
        "odoo.addons.product.models.product_product",
        "odoo.addons.product.models.product_pricelist_item",
        "odoo.addons.product.models.product_template_attribute_line",
        "odoo.addons.product.models.product_template_attribute_value",
        "odoo.addons.account.models.product",
        "odoo.addons.mail.models.mail_thread",
        "odoo.addons.website.models.mixins",
    }
)
_ARRAY_TYPES = {
    "jsonb": SQL("jsonb[]"),
    "varchar": SQL("varchar[]"),
    "int": SQL("int[]"),
    "numeric": SQL("numeric[]"),
}

_logger = logging.getLogger(__name__)


class OutOfTime(Exception):
    """The call's time is up in the middle of a batch (variant creation): the batch is taken again next call."""


class MlmOnecImporter(models.AbstractModel):
    _name = "mlm.onec.importer"
    _description = "1C Catalog Importer"

    # ------------------------------------------------------------------ entry points
    @api.model
    def _import_catalog_slice(self, session, path, start, deadline):
        """Import counted items from ``start`` on until the file ends or ``deadline`` passes.

        Returns ``(done, finished, counter, warnings)``. Everything is written in the caller's
        transaction: the controller's request is the unit that commits (1C calls ``import`` again).
        """
        # no chatter messages or tracking values for thousands of imported records
        self = self.with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)  # noqa: PLW0642
        backend = session.backend_id.with_env(self.env)
        session = session.with_env(self.env)
        warnings = []
        counter = Counter()
        ctx = {
            "properties": {},
            "new_properties": [],
            "groups": [],
            "price_types": [],
            "warehouses": [],
            "session": session,
            "categories": {},
            "pricelists": {},
            "warehouse_ids": {},
            "rejected": [],
            "deadline": deadline,
            "variants_this_call": 0,
        }
        self._refresh_statistics()
        batch = []
        done = start
        for kind, data in cml_reader.iter_catalog(path, warnings, skip=start):
            if kind in ("product", "offer"):
                self._flush_classifier(backend, ctx, counter, warnings)
                counter["file_products"] += kind == "product"
                batch.append(data)
                if len(batch) >= backend.batch_size:
                    if not self._flush_batch_in_time(backend, batch, ctx, counter, warnings):
                        session._add_rejected(ctx["rejected"])
                        return done, False, counter, warnings
                    done += len(batch)
                    batch = []
                    if time.monotonic() > deadline:
                        session._add_rejected(ctx["rejected"])
                        return done, False, counter, warnings
            elif kind == "property":
                ctx["properties"][data["guid"]] = data
                ctx["new_properties"].append(data)
            elif kind == "group":
                ctx["groups"].append(data)
            elif kind == "price_type":
                ctx["price_types"].append(data)
            elif kind == "warehouse":
                ctx["warehouses"].append(data)
            elif kind == "only_changes":
                counter["only_changes"] = 1 if data else 0
        self._flush_classifier(backend, ctx, counter, warnings)
        if batch:
            if not self._flush_batch_in_time(backend, batch, ctx, counter, warnings):
                session._add_rejected(ctx["rejected"])
                return done, False, counter, warnings
            done += len(batch)
        session._add_rejected(ctx["rejected"])
        return done, True, counter, warnings

    @api.model
    def _refresh_statistics(self):
        """``ANALYZE`` the tables the import fills when they changed by more than a tenth since their statistics
        were taken, as autovacuum would (when it runs, and it may not: between the calls of a large first import
        it is often behind or off). With statistics of when a table was empty PostgreSQL reads 100 000 products
        whole to find a batch of 1 000 by their 1C Ид (0.5 s per batch), and the tables of prices, stock and
        variant combinations whole for each chunk: the import slowed down as the catalog grew."""
        models = (
            "product.template",
            "product.product",
            "product.pricelist.item",
            "mlm.onec.stock",
            "product.template.attribute.line",
            "product.template.attribute.value",
        )
        tables = [self.env[model]._table for model in models]
        tables.append(self.env["product.product"]._fields["product_template_attribute_value_ids"].relation)
        self.env.cr.execute(
            """SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
                WHERE s.schemaname = current_schema() AND s.relname = ANY(%s)
                  AND s.n_mod_since_analyze > 1000 + 0.1 * GREATEST(c.reltuples, 0)""",
            [tables],
        )
        stale = [row[0] for row in self.env.cr.fetchall()]
        if stale:
            self.env.cr.execute(SQL("ANALYZE %s", SQL(", ").join(SQL.identifier(table) for table in stale)))

    @api.model
    def _archive_missing(self, session, paths):
        """After a full export (one or several ``import`` files, portions, of one exchange session): archive the
        products of this exchange node none of the files holds (setting). Runs once per session, after the last
        portion; another node's products of the same company are not touched."""
        backend = session.backend_id
        counter = Counter()
        if not backend.archive_missing or not paths:
            return counter
        guids = set()
        for path in paths:
            for kind, data in cml_reader.iter_catalog(path):
                if kind == "product":
                    guids.add(cml_reader.split_guid(data["guid"])[0])
        if not guids:
            return counter
        # this node's catalog only: the products it imported; products of no node (imported before nodes were
        # recorded) only when the company has no other node that could own them
        sole_node = (
            self.env["mlm.onec.backend"]
            .with_context(active_test=False)
            .search_count([("company_id", "=", backend.company_id.id)])
            == 1
        )
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM product_template
                WHERE active AND onec_guid IS NOT NULL AND NOT (onec_guid = ANY(%s))
                  AND (onec_backend_id = %s OR (onec_backend_id IS NULL AND company_id = %s AND %s))""",
            [list(guids), backend.id, backend.company_id.id, sole_node],
        )
        missing = self.env["product.template"].browse(row[0] for row in self.env.cr.fetchall())
        missing.action_archive()
        counter["products_archived"] = len(missing)
        if missing:
            session._log(self.env._("Archived %(count)s products missing from the full export.", count=len(missing)))
        return counter

    # ------------------------------------------------------------------ classifier
    def _flush_classifier(self, backend, ctx, counter, warnings):
        if ctx["new_properties"]:
            self._upsert_properties(backend, ctx["new_properties"], counter)
            ctx["new_properties"] = []
        if ctx["groups"]:
            self._upsert_groups(backend, ctx["groups"], ctx, counter)
            ctx["groups"] = []
        if ctx["price_types"]:
            self._upsert_price_types(backend, ctx["price_types"], ctx, counter, warnings)
            ctx["price_types"] = []
        if ctx["warehouses"]:
            self._upsert_warehouses(backend, ctx["warehouses"], ctx, counter)
            ctx["warehouses"] = []

    def _upsert_groups(self, backend, groups, ctx, counter):
        Category = self.env["product.category"]
        root = backend._get_root_category()
        existing = Category.search_fetch(
            [
                ("onec_guid", "in", [g["guid"] for g in groups]),
                # categories have no company: each company's 1C groups live under its own root
                ("parent_path", "=like", f"{root.parent_path}%"),
            ],
            ["onec_guid", "name", "parent_id"],
        )
        by_guid = {c.onec_guid: c for c in existing}
        for group in groups:  # parents come before their children in the file
            parent = by_guid.get(group["parent_guid"]) or root
            category = by_guid.get(group["guid"])
            if not category:
                by_guid[group["guid"]] = Category.create(
                    {"name": group["name"], "parent_id": parent.id, "onec_guid": group["guid"]}
                )
                counter["groups_created"] += 1
            elif category.name != group["name"] or category.parent_id != parent:
                category.write({"name": group["name"], "parent_id": parent.id})
                counter["groups_updated"] += 1
        ctx["categories"].update({guid: cat.id for guid, cat in by_guid.items()})

    def _upsert_properties(self, backend, properties, counter):
        """Remember the classifier's properties for the node: goods of later files and exchanges name them."""
        Property = self.env["mlm.onec.property"]
        by_guid = {p["guid"]: p for p in properties if p["guid"]}
        existing = {
            p.onec_guid: p
            for p in Property.search_fetch(
                [("backend_id", "=", backend.id), ("onec_guid", "in", list(by_guid))], ["onec_guid", "name", "values"]
            )
        }
        to_create = []
        for guid, prop in by_guid.items():
            vals = {"name": prop["name"] or guid, "value_type": prop["value_type"], "values": prop["values"] or {}}
            record = existing.get(guid)
            if not record:
                to_create.append(dict(vals, backend_id=backend.id, onec_guid=guid))
            elif record.name != vals["name"] or (record.values or {}) != vals["values"]:
                record.write(vals)
                counter["properties_updated"] += 1
        Property.create(to_create)
        counter["properties_created"] += len(to_create)

    def _resolve_classifier(self, backend, items, ctx):
        """Properties and groups named by ``items`` but not in this file: from the node's earlier files."""
        wanted = {guid for item in items for guid, __ in item["properties"]} - set(ctx["properties"])
        if wanted:
            for prop in self.env["mlm.onec.property"].search_fetch(
                [("backend_id", "=", backend.id), ("onec_guid", "in", list(wanted))],
                ["onec_guid", "name", "value_type", "values"],
            ):
                ctx["properties"][prop.onec_guid] = {
                    "guid": prop.onec_guid,
                    "name": prop.name,
                    "value_type": prop.value_type,
                    "values": prop.values or {},
                }
        groups = {guid for item in items for guid in item["group_guids"]} - set(ctx["categories"])
        if groups:
            root = backend._get_root_category()
            for category in self.env["product.category"].search_fetch(
                [("onec_guid", "in", list(groups)), ("parent_path", "=like", f"{root.parent_path}%")], ["onec_guid"]
            ):
                ctx["categories"][category.onec_guid] = category.id

    def _upsert_price_types(self, backend, price_types, ctx, counter, warnings):
        Pricelist = self.env["product.pricelist"].with_context(active_test=False)
        existing = Pricelist.search_fetch(
            [
                ("onec_guid", "in", [p["guid"] for p in price_types]),
                ("company_id", "in", (backend.company_id.id, False)),
            ],
            ["onec_guid", "name"],
        )
        by_guid = {p.onec_guid: p for p in existing}
        codes = {
            p["currency"]: CURRENCY_WORDS.get(p["currency"].strip().lower().rstrip("."), p["currency"].strip().upper())
            for p in price_types
            if p["currency"]
        }
        currencies = {
            c.name: c
            for c in self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(set(codes.values())))])
        }
        for ptype in price_types:
            currency = currencies.get(codes.get(ptype["currency"]))
            if not currency or not currency.active:
                warnings.append(
                    f"price type {ptype['name']}: currency {ptype['currency']!r} is not active in "
                    f"Odoo, the company currency is used"
                )
                currency = backend.company_id.currency_id
            pricelist = by_guid.get(ptype["guid"])
            if not pricelist:
                by_guid[ptype["guid"]] = Pricelist.create(
                    {
                        "name": ptype["name"] or ptype["guid"],
                        "onec_guid": ptype["guid"],
                        "currency_id": currency.id,
                        "company_id": backend.company_id.id,
                    }
                )
                counter["price_types_created"] += 1
            elif pricelist.name != ptype["name"]:
                pricelist.name = ptype["name"]
        if not backend.list_price_type_guid and price_types:
            backend.list_price_type_guid = price_types[0]["guid"]
        ctx["pricelists"].update({guid: pl.id for guid, pl in by_guid.items()})

    def _upsert_warehouses(self, backend, warehouses, ctx, counter):
        Warehouse = self.env["mlm.onec.warehouse"]
        existing = Warehouse.search_fetch(
            [("onec_guid", "in", [w["guid"] for w in warehouses]), ("company_id", "=", backend.company_id.id)],
            ["onec_guid", "name"],
        )
        by_guid = {w.onec_guid: w for w in existing}
        to_create = []
        for store in warehouses:
            record = by_guid.get(store["guid"])
            if not record:
                to_create.append(
                    {
                        "name": store["name"] or store["guid"],
                        "onec_guid": store["guid"],
                        "company_id": backend.company_id.id,
                    }
                )
            elif record.name != store["name"]:
                record.name = store["name"]
        for record in Warehouse.create(to_create):
            by_guid[record.onec_guid] = record
        counter["warehouses_created"] += len(to_create)
        ctx["warehouse_ids"].update({guid: w.id for guid, w in by_guid.items()})

    # ------------------------------------------------------------------ batches
    def _flush_batch_in_time(self, backend, batch, ctx, counter, warnings):
        """``_flush_batch``, stopped when the call's time is up while variants are being created (a batch of
        thousands of characteristics takes minutes): what was created stays (the request commits it), the batch
        is not counted as done, and the next ``import`` call takes it again, finding the variants made so far
        (by their 1C Ид) and creating the others. Returns False when interrupted. Counts and rejected records of
        the interrupted batch are those of its complete pass, not doubled; created variants and attributes count
        once, in the call that created them."""
        before = Counter(counter)
        rejected = len(ctx["rejected"])
        try:
            self._flush_batch(backend, batch, ctx, counter, warnings)
        except OutOfTime:
            # what was written stays written (a retry finds it unchanged): those counts are kept, the others are
            # the complete pass's
            kept = {key: counter[key] for key in KEPT_WHEN_INTERRUPTED}
            counter.clear()
            counter.update(before)
            for key, value in kept.items():
                if value:
                    counter[key] = value
            del ctx["rejected"][rejected:]
            self.env.flush_all()
            self.env.invalidate_all()
            return False
        return True

    def _flush_batch(self, backend, batch, ctx, counter, warnings):
        products = [item for item in batch if "barcode" in item]
        offers = [item for item in batch if "prices" in item]
        if products:
            self._upsert_products(backend, products, ctx, counter, warnings)
        if offers:
            self._upsert_offers(backend, offers, ctx, counter, warnings)
        # write the batch and forget its records: the cache of a long call would grow with the file
        self.env.flush_all()
        self.env.invalidate_all()

    def _get_uom_map(self):
        """``{OKEI code: uom.uom id}`` of the units that carry a code (the first one of each code)."""
        result = {}
        for uom in (
            self.env["uom.uom"]
            .with_context(active_test=False)
            .search_fetch([("onec_okei_code", "!=", False)], ["onec_okei_code"], order="active desc, id")
        ):
            result.setdefault(uom.onec_okei_code, uom.id)
        return result

    def _create_uom(self, unit, ctx):
        """The Odoo unit of an OKEI code 1C sends and no unit carries yet: created in its category (``OKEI_NEW_UOM``),
        a code this module does not know in the Units category, one 1C unit worth one Unit (1C says nothing of its
        size; the company can correct the ratio, the code stays). Returns its id."""
        code = unit["code"]
        categ_xmlid, ratio, default_name = OKEI_NEW_UOM.get(code, ("uom.product_uom_categ_unit", 1.0, ""))
        vals = {
            "name": unit.get("short") or unit.get("name") or default_name or code,
            "category_id": self.env.ref(categ_xmlid).id,
            "onec_okei_code": code,
            "rounding": 0.001 if ratio < 1 else 0.01,
        }
        if ratio >= 1:
            vals.update(uom_type="bigger", factor_inv=ratio)
        else:
            vals.update(uom_type="smaller", factor=1.0 / ratio)
        uom = self.env["uom.uom"].create(vals)
        ctx["uom"][code] = uom.id
        return uom.id

    def _get_tax_map(self, backend):
        taxes = self.env["account.tax"].search_fetch(
            [
                ("company_id", "=", backend.company_id.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
            ],
            ["amount"],
        )
        result = {}
        for tax in taxes:
            result.setdefault(f"{tax.amount:g}", tax.id)
        return result

    def _prepare_product_vals(self, backend, item, ctx, warnings):
        """Vals of one product.template from a reader dict (without image); extend to map more."""
        properties = {}
        for guid, value in item["properties"]:
            prop = ctx["properties"].get(guid)
            if not prop:
                warnings.append(f"product {item['guid']}: unknown property {guid} skipped")
                item["unresolved_properties"] = True
                continue
            if not value:
                continue
            properties[prop["name"]] = prop["values"].get(value, value)
        for name, value in item["requisites"]:
            if name and value and name != "Полное наименование":
                properties[name] = value
        if item["manufacturer"]:
            properties["Изготовитель"] = item["manufacturer"]
        category_id = next((ctx["categories"][g] for g in item["group_guids"] if g in ctx["categories"]), None)
        if item["group_guids"] and category_id is None:
            warnings.append(
                f"product {item['guid']}: group {item['group_guids'][0]} unknown, its category is kept "
                f"(the root category for a new product)"
            )
            item["unresolved_group"] = True
        unit_code = (item["unit"] or {}).get("code", "")
        uom_id = ctx["uom"].get(unit_code)
        if uom_id is None and unit_code:
            uom_id = self._create_uom(item["unit"], ctx)
        if uom_id is None:
            warnings.append(
                f"product {item['guid']}: unit {unit_code or '?'} "
                f"({(item['unit'] or {}).get('name', '')}) not mapped, Units used"
            )
            uom_id = ctx["uom"]["796"]
        vals = {
            "name": item["name"],
            "default_code": item["article"] or False,
            "barcode": item["barcode"] or False,
            "description_sale": item["description"] or False,
            "categ_id": category_id or ctx["root_category_id"],
            "uom_id": uom_id,
            "uom_po_id": uom_id,
            "onec_properties": properties or False,
            "type": "service" if properties.get("ТипНоменклатуры") == "Услуга" else "consu",
            "is_storable": bool(backend.track_inventory) and properties.get("ТипНоменклатуры") != "Услуга",
            "sale_ok": True,
            "active": not item["deleted"],
        }
        if item["taxes"]:
            vals["taxes_id"] = [Command.set(self._map_taxes(backend, item, ctx))]
        return vals

    def _map_taxes(self, backend, item, ctx):
        """Sale taxes of the company for the VAT rates 1C sends (``20``, ``18``, ``10``, ``0``, ``Без НДС``).

        A rate maps to the company's percent sale tax of that rate; "Без НДС" (no VAT) to no tax at all (not the
        default taxes of new products). A rate the company has no tax for stops the import with the tax to create:
        pricing a product with another tax than 1C's would be silently wrong on every order."""
        tax_ids = []
        for name, rate in item["taxes"]:
            rate_value = cml_reader.parse_decimal((rate or "").replace("%", ""))
            if rate_value is None:
                if "без" in f"{rate} {name}".lower() or not (rate or "").strip():
                    continue  # "Без НДС": no tax
                raise ExchangeError(
                    self.env._(
                        "Product %(product)s (%(guid)s): VAT rate %(rate)r is not a rate.",
                        product=item["name"],
                        guid=item["guid"],
                        rate=rate,
                    )
                )
            tax_id = ctx["taxes"].get(f"{float(rate_value):g}")
            if not tax_id:
                raise ExchangeError(
                    self.env._(
                        "No sale tax of %(rate)s%% (%(name)s) in company %(company)s, needed by product %(product)s "
                        "(%(guid)s): create a percent sale tax of this rate in Odoo (Accounting > Configuration > "
                        "Taxes), then repeat the exchange.",
                        rate=f"{float(rate_value):g}",
                        name=name or "НДС",
                        company=backend.company_id.name,
                        product=item["name"],
                        guid=item["guid"],
                    )
                )
            tax_ids.append(tax_id)
        return tax_ids

    @api.model
    def _fingerprint(self, vals, extra=""):
        return hashlib.sha1(
            (json.dumps(vals, sort_keys=True, default=str, ensure_ascii=False) + extra).encode("utf-8")
        ).hexdigest()

    def _image_vals(self, ctx, item, warnings):
        if not item["images"]:
            return {}, ""
        directory = ctx["session"]._get_directory()
        path = os.path.realpath(os.path.join(directory, item["images"][0]))
        if os.path.commonpath([os.path.realpath(directory), path]) != os.path.realpath(directory):
            warnings.append(f"product {item['guid']}: image path {item['images'][0]!r} refused")
            return {}, ""
        if not os.path.isfile(path):
            warnings.append(f"product {item['guid']}: image {item['images'][0]} was not uploaded")
            return {}, ""
        size = os.path.getsize(path)
        if size > MAX_IMAGE_BYTES:
            warnings.append(f"product {item['guid']}: image {item['images'][0]} larger than 10 MB skipped")
            return {}, ""
        with open(path, "rb") as fh:
            content = fh.read()
        return {"image_1920": base64.b64encode(content)}, hashlib.sha1(content).hexdigest()

    def _upsert_products(self, backend, items, ctx, counter, warnings):
        Template = self.env["product.template"].with_context(
            active_test=False, tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        if "uom" not in ctx:
            ctx.update(
                uom=self._get_uom_map(),
                taxes=self._get_tax_map(backend),
                root_category_id=backend._get_root_category().id,
            )
        self._resolve_classifier(backend, items, ctx)
        unique, characteristics = self._split_products(items, warnings)
        existing = Template.search_fetch(
            [("onec_guid", "in", list(unique)), ("company_id", "in", (backend.company_id.id, False))],
            ["onec_guid", "onec_hash", "active", "categ_id", "onec_properties", "onec_article", "onec_backend_id"],
        )
        by_guid = {p.onec_guid: p for p in existing}
        barcodes = {item["barcode"] for item in unique.values() if item["barcode"]}
        taken = {}
        if barcodes:
            for product in (
                self.env["product.product"]
                .with_context(active_test=False)
                .search_fetch([("barcode", "in", list(barcodes))], ["barcode", "product_tmpl_id"])
            ):
                taken[product.barcode] = product.product_tmpl_id.onec_guid
        to_create = []
        deleted = []
        claimed = Template
        for guid, item in unique.items():
            product = by_guid.get(guid)
            if product and product.onec_backend_id != backend:
                claimed |= product  # the product now comes from this node's catalog
            if item["deleted"] and not product:
                counter["products_skipped_deleted"] += 1
                deleted.append(guid)
                continue
            vals = self._prepare_product_vals(backend, item, ctx, warnings)
            if product:
                self._keep_unresolved(product, item, vals)
            if vals["barcode"]:
                owner = taken.get(vals["barcode"])
                if owner is not None and owner != guid:
                    warnings.append(
                        f"product {guid}: barcode {vals['barcode']} already used by another product, not set"
                    )
                    vals["barcode"] = False
                else:
                    taken[vals["barcode"]] = guid
            image_vals, image_hash = self._image_vals(ctx, item, warnings)
            fingerprint = self._fingerprint(vals, image_hash)
            if product:
                # an archived product that comes back unchanged is restored: the active flag counts too
                if product.onec_hash == fingerprint and product.active == vals["active"]:
                    counter["products_unchanged"] += 1
                    continue
                self._forget_prototype(ctx, product.id)
                if product.onec_article and product.onec_article != vals["default_code"]:
                    self._rename_inherited_articles(product, vals["default_code"])
                product.write(dict(vals, onec_hash=fingerprint, **image_vals))
                counter["products_updated"] += 1
            else:
                to_create.append(
                    dict(
                        vals,
                        onec_guid=guid,
                        onec_hash=fingerprint,
                        company_id=backend.company_id.id,
                        onec_backend_id=backend.id,
                        **image_vals,
                    )
                )
        if claimed:
            claimed.write({"onec_backend_id": backend.id})
        ctx["session"]._remember_deleted(deleted)
        if to_create:
            self._create_products(backend, to_create, ctx, counter)
        if characteristics:
            self._upsert_characteristic_products(backend, characteristics, ctx, counter, warnings)

    @api.model
    def _rename_inherited_articles(self, template, article):
        """The product's article changed in 1C: its variants that carried it (their characteristic has none) follow."""
        variants = (
            self.env["product.product"]
            .with_context(active_test=False)
            .search([("product_tmpl_id", "=", template.id), ("default_code", "=", template.onec_article)])
        )
        variants.write({"default_code": article or False})
        template.onec_article = article or False

    @api.model
    def _split_products(self, items, warnings):
        """``({guid: item} of products, [items of characteristics])`` of a batch of import.xml."""
        unique = {}
        characteristics = []
        for item in items:
            if not item["guid"]:
                warnings.append(f"product {item['name']!r} without Ид skipped")
                continue
            if cml_reader.split_guid(item["guid"])[1]:
                characteristics.append(item)  # <product>#<characteristic>: a variant, after the products
                continue
            if item["guid"] in unique:
                warnings.append(f"product {item['guid']} appears twice in the batch, the last one is kept")
            unique[item["guid"]] = item
        return unique, characteristics

    @api.model
    def _keep_unresolved(self, product, item, vals):
        """What a file without the classifier cannot name stays as it is: a product is not moved to the root
        category, nor are its properties wiped."""
        if item.get("unresolved_group"):
            vals["categ_id"] = product.categ_id.id
        if item.get("unresolved_properties"):
            vals["onec_properties"] = dict(product.onec_properties or {}, **(vals["onec_properties"] or {}))

    def _upsert_characteristic_products(self, backend, items, ctx, counter, warnings):
        """Products of import.xml whose Ид is ``<product>#<characteristic>``: variants of the ``<product>``
        template (created from the first of them when 1C did not send the product itself)."""
        Variant = self.env["product.product"].with_context(active_test=False)
        known = set(
            Variant.search_fetch(
                [
                    ("onec_variant_guid", "in", [item["guid"] for item in items]),
                    ("company_id", "in", (backend.company_id.id, False)),
                ],
                ["onec_guid"],
            ).mapped("onec_variant_guid")
        )
        by_base = defaultdict(list)
        for item in items:
            if item["guid"] in known:
                counter["variants_unchanged"] += 1
            elif not item["characteristics"]:
                warnings.append(f"product {item['guid']}: a characteristic without ХарактеристикиТовара, skipped")
            else:
                by_base[cml_reader.split_guid(item["guid"])[0]].append(item)
        if not by_base:
            return
        Template = self.env["product.template"].with_context(active_test=False)
        templates = {
            t.onec_guid: t
            for t in Template.search(
                [("onec_guid", "in", list(by_base)), ("company_id", "in", (backend.company_id.id, False))]
            )
        }
        entries_by_template = {}
        for base, base_items in by_base.items():
            template = templates.get(base)
            if not template:
                vals = self._prepare_product_vals(backend, base_items[0], ctx, warnings)
                vals.update(
                    barcode=False,
                    default_code=False,
                    onec_guid=base,
                    company_id=backend.company_id.id,
                    onec_backend_id=backend.id,
                )
                template = Template.create(vals)
                counter["products_created"] += 1
            entries_by_template[template] = [
                (item["guid"], item["characteristics"], item["article"]) for item in base_items
            ]
        self._ensure_variants_batch(entries_by_template, counter, warnings, ctx)

    # ------------------------------------------------------------------ set-based creation
    # Odoo's ``create`` costs about 5 ms per product (defaults, computes, variant creation, checks, all
    # in Python for each record), which alone made a 100 000-product catalog take 20 minutes. New
    # records are therefore created the set-based way: the first record of each kind ("prototype") goes
    # through the ORM, so every default, stored compute and relation of every installed module is
    # exactly Odoo's; the others of the same kind are copied from it in one INSERT ... SELECT with only
    # the per-record columns replaced. "Same kind" means equal values in every field but those per-record
    # ones, and the copy is refused (ORM path) when an installed module computes a stored field from a
    # per-record field, since a copy would carry the prototype's value, or when a module whose override of
    # ``create`` is not proven equal to the copy (KNOWN_CREATE_OVERRIDES) is installed: ``create`` then runs
    # for every record, in the import's batches, and the log says which override caused it.
    def _fast_create_blockers(self, model_name, per_record, via=None):
        """Stored computed fields of ``model_name`` that depend on a per-record field (the copy would be wrong).

        ``per_record``: per-record field names; ``via``: ``{relational field: per-record fields of its
        comodel}`` for dependencies through another copied model (a variant's template)."""
        Model = self.env[model_name]
        blockers = []
        for field in Model._fields.values():
            if not (field.store and field.compute) or field.name in per_record:
                continue
            for dep in self.pool.field_depends[field]:
                path = dep.split(".")
                if path[0] in per_record or (len(path) > 1 and path[1] in (via or {}).get(path[0], ())):
                    blockers.append(f"{model_name}.{field.name} ({dep})")
                    break
        return blockers

    def _unknown_create_overrides(self, model_name):
        """``create()`` overrides on ``model_name`` (classes of its registry MRO defining ``create``) whose module
        is not in :data:`KNOWN_CREATE_OVERRIDES`: a copied row would skip what they do."""
        return [
            f"{model_name}.create() overridden in {cls.__module__}"
            for cls in type(self.env[model_name]).__mro__
            if "create" in vars(cls) and cls.__module__ not in KNOWN_CREATE_OVERRIDES
        ]

    def _table_columns(self, table, ctx):
        cache = ctx.setdefault("table_columns", {})
        if table not in cache:
            self.env.cr.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND table_schema = "
                "current_schema() ORDER BY ordinal_position",
                [table],
            )
            cache[table] = [row[0] for row in self.env.cr.fetchall()]
        return cache[table]

    def _new_ids(self, model_name, count):
        """``count`` ids from the sequence of ``model_name``'s table, in order (rows inserted with them are known
        before they exist: lines, values and variants point at each other)."""
        if not count:
            return []
        self.env.cr.execute(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"{self.env[model_name]._table}_id_seq", count)
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _clone_rows(self, model_name, proto_id, columns, key, ctx, own_relations=()):
        """Insert copies of record ``proto_id`` of ``model_name``, one per row of ``columns``.

        ``columns``: ``{column: (sql array type, [values])}``, every list as long as the number of copies
        (with ``id``, the copies get those ids, see :meth:`_new_ids`); all the other columns are the
        prototype's. Stored many2many relations of the prototype are copied too, but those named in
        ``own_relations`` (the caller writes each copy's own). Returns ``{value of column key: new id}``.
        """
        Model = self.env[model_name]
        table = Model._table
        names = list(columns)
        copied = [name for name in self._table_columns(table, ctx) if name != "id" and name not in columns]
        arrays = SQL(", ").join(SQL("%s::%s", values, _ARRAY_TYPES[sql_type]) for sql_type, values in columns.values())
        given_ids = "id" in columns
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO %(table)s (%(id)s%(names)s, %(copied)s)
            SELECT %(next_id)s%(v_names)s, %(p_copied)s
              FROM unnest(%(arrays)s) AS v(%(names)s)
              CROSS JOIN %(table)s p
             WHERE p.id = %(proto)s
            RETURNING %(key)s, id
            """,
                table=SQL.identifier(table),
                id=SQL() if given_ids else SQL("id, "),
                names=SQL(", ").join(SQL.identifier(name) for name in names),
                copied=SQL(", ").join(SQL.identifier(name) for name in copied),
                next_id=SQL() if given_ids else SQL("nextval(%s), ", f"{table}_id_seq"),
                v_names=SQL(", ").join(SQL.identifier("v", name) for name in names),
                p_copied=SQL(", ").join(SQL.identifier("p", name) for name in copied),
                arrays=arrays,
                proto=proto_id,
                key=SQL.identifier(key),
            )
        )
        new_ids = dict(self.env.cr.fetchall())
        self._copy_relations(model_name, proto_id, list(new_ids.values()), own_relations)
        return new_ids

    def _overwrite_rows(self, model_name, proto_id, columns, ctx, own_relations=()):
        """Make existing rows of ``model_name`` copies of record ``proto_id``, as :meth:`_clone_rows` inserts them:
        ``columns`` as there, with ``id`` the rows to overwrite; every other column (creation and write dates and
        users included) becomes the prototype's, and the prototype's stored many2many relations are copied (the
        rows must have none of their own: see :meth:`_unreferenced_variants`)."""
        Model = self.env[model_name]
        table = Model._table
        names = list(columns)
        copied = [name for name in self._table_columns(table, ctx) if name != "id" and name not in columns]
        arrays = SQL(", ").join(SQL("%s::%s", values, _ARRAY_TYPES[sql_type]) for sql_type, values in columns.values())
        self.env.cr.execute(
            SQL(
                """
            UPDATE %(table)s r
               SET %(assign)s
              FROM unnest(%(arrays)s) AS v(%(names)s), %(table)s p
             WHERE p.id = %(proto)s AND r.id = v.id
            """,
                table=SQL.identifier(table),
                assign=SQL(", ").join(
                    [SQL("%s = %s", SQL.identifier(name), SQL.identifier("v", name)) for name in names if name != "id"]
                    + [SQL("%s = %s", SQL.identifier(name), SQL.identifier("p", name)) for name in copied]
                ),
                arrays=arrays,
                names=SQL(", ").join(SQL.identifier(name) for name in names),
                proto=proto_id,
            )
        )
        self._copy_relations(model_name, proto_id, columns["id"][1], own_relations)

    def _copy_relations(self, model_name, proto_id, ids, own_relations=()):
        """The stored many2many relations of record ``proto_id`` given to the records ``ids`` too, but those named in
        ``own_relations`` (the caller writes each record's own)."""
        if not ids:
            return
        Model = self.env[model_name]
        # a relation table may back several fields (a variant's values and its variant-creating values)
        own_tables = {Model._fields[name].relation for name in own_relations}
        inserts = [
            SQL(
                """
            INSERT INTO %(rel)s (%(col1)s, %(col2)s)
            SELECT n.id, r.%(col2)s FROM %(rel)s r, unnest(%(ids)s::int[]) AS n(id)
             WHERE r.%(col1)s = %(proto)s
            ON CONFLICT DO NOTHING
            """,
                rel=SQL.identifier(field.relation),
                col1=SQL.identifier(field.column1),
                col2=SQL.identifier(field.column2),
                ids=list(ids),
                proto=proto_id,
            )
            for field in Model._fields.values()
            if field.type == "many2many"
            and field.store
            and not field.inherited
            and field.relation
            and field.relation not in own_tables
        ]
        if inserts:  # one round trip for every relation
            self.env.cr.execute(SQL(";").join(inserts))

    def _insert_relation(self, model_name, field_name, pairs):
        """Rows ``[(id of model_name, id of the comodel)]`` of the stored many2many ``field_name``, in one INSERT."""
        if not pairs:
            return
        field = self.env[model_name]._fields[field_name]
        self.env.cr.execute(
            SQL(
                "INSERT INTO %(rel)s (%(col1)s, %(col2)s) SELECT * FROM unnest(%(left)s::int[], %(right)s::int[])",
                rel=SQL.identifier(field.relation),
                col1=SQL.identifier(field.column1),
                col2=SQL.identifier(field.column2),
                left=[left for left, __ in pairs],
                right=[right for __, right in pairs],
            )
        )

    @api.model
    def _translated(self, value, langs):
        """Value of a translated (jsonb) column as the ORM writes it: the same text for each language."""
        if not value:
            return None
        return json.dumps(dict.fromkeys(langs, value), ensure_ascii=False)

    def _create_products(self, backend, to_create, ctx, counter):
        """Create the batch's new products (``product.product`` vals with their template's fields)."""
        Product = self.env["product.product"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        if "fast_create" not in ctx:
            blockers = self._fast_create_blockers(
                "product.template",
                TEMPLATE_PER_RECORD + VARIANT_PER_RECORD,
                {"product_variant_ids": VARIANT_PER_RECORD},
            ) + self._fast_create_blockers(
                "product.product", VARIANT_PER_RECORD + TEMPLATE_PER_RECORD, {"product_tmpl_id": TEMPLATE_PER_RECORD}
            )
            blockers += self._unknown_create_overrides("product.template")
            blockers += self._unknown_create_overrides("product.product")
            if blockers:
                _logger.info(
                    "1C import: products created by Odoo's create() in batches of %s, not copied set-based, "
                    "because of %s",
                    backend.batch_size,
                    ", ".join(blockers),
                )
            ctx["fast_create"] = not blockers
        by_kind = defaultdict(list)
        for vals in to_create:
            if not ctx["fast_create"] or "image_1920" in vals:
                by_kind[None].append(vals)  # images are attachments: ORM
                continue
            kind = json.dumps(
                {k: v for k, v in vals.items() if k not in TEMPLATE_PER_RECORD + VARIANT_PER_RECORD},
                sort_keys=True,
                default=str,
            )
            by_kind[kind].append(vals)
        prototypes = ctx.setdefault("prototypes", {})
        for kind, vals_list in by_kind.items():
            if kind is None:
                Product.create(vals_list)
                continue
            proto = prototypes.get(kind)
            if proto is None:
                product = Product.create(vals_list[:1])
                proto = prototypes[kind] = (product.id, product.product_tmpl_id.id)
                vals_list = vals_list[1:]
            if vals_list:
                self._clone_products(proto, vals_list, ctx)
        counter["products_created"] += len(to_create)

    @api.model
    def _forget_prototype(self, ctx, tmpl_id):
        """A product that changes can no longer be the prototype of its old kind."""
        prototypes = ctx.get("prototypes", {})
        for kind in [kind for kind, proto in prototypes.items() if proto[1] == tmpl_id]:
            del prototypes[kind]

    def _clone_products(self, proto, vals_list, ctx):
        product_id, tmpl_id = proto
        self.env.flush_all()
        self.env.cr.execute("SELECT jsonb_object_keys(name) FROM product_template WHERE id = %s", [tmpl_id])
        langs = [row[0] for row in self.env.cr.fetchall()] or ["en_US"]
        template_columns = {
            "name": ("jsonb", [self._translated(vals["name"], langs) for vals in vals_list]),
            "description_sale": (
                "jsonb",
                [self._translated(vals["description_sale"], langs) for vals in vals_list],
            ),
            "onec_properties": (
                "jsonb",
                [
                    json.dumps(vals["onec_properties"], ensure_ascii=False) if vals["onec_properties"] else None
                    for vals in vals_list
                ],
            ),
            "onec_guid": ("varchar", [vals["onec_guid"] for vals in vals_list]),
            "onec_hash": ("varchar", [vals["onec_hash"] for vals in vals_list]),
        }
        Template = self.env["product.template"]
        for name in VARIANT_PER_RECORD:  # stored on the template too (Odoo 18: the reference is)
            if Template._fields[name].store:
                template_columns[name] = ("varchar", [vals[name] or None for vals in vals_list])
        if "website_sequence" in Template._fields:
            # website_sale's default puts each new product last (max + 5): a copy must not share the prototype's
            self.env.cr.execute("SELECT COALESCE(MAX(website_sequence), 10000) FROM product_template")
            last = self.env.cr.fetchone()[0]
            template_columns["website_sequence"] = ("int", [last + 5 * (n + 1) for n in range(len(vals_list))])
        tmpl_ids = self._clone_rows("product.template", tmpl_id, template_columns, "onec_guid", ctx)
        self._clone_rows(
            "product.product",
            product_id,
            {
                "product_tmpl_id": ("int", [tmpl_ids[vals["onec_guid"]] for vals in vals_list]),
                "default_code": ("varchar", [vals["default_code"] or None for vals in vals_list]),
                "barcode": ("varchar", [vals["barcode"] or None for vals in vals_list]),
            },
            "product_tmpl_id",
            ctx,
        )
        self.env["product.template"].invalidate_model()
        self.env["product.product"].invalidate_model()
        self.env.registry.clear_cache()  # as product.product.create does (variant lookups are cached)

    def _upsert_offers(self, backend, offers, ctx, counter, warnings):
        Template = self.env["product.template"].with_context(active_test=False)
        Variant = self.env["product.product"].with_context(active_test=False)
        guids = {offer["guid"] for offer in offers} | {cml_reader.split_guid(o["guid"])[0] for o in offers}
        templates = {
            t.onec_guid: t
            for t in Template.search_fetch(
                [("onec_guid", "in", list(guids)), ("company_id", "in", (backend.company_id.id, False))],
                ["onec_guid", "list_price"],
            )
        }
        variant_guids = [o["guid"] for o in offers if cml_reader.split_guid(o["guid"])[1]]
        variants = {}
        if variant_guids:
            variants = {
                v.onec_variant_guid: v
                for v in Variant.search_fetch(
                    [("onec_variant_guid", "in", variant_guids), ("company_id", "in", (backend.company_id.id, False))],
                    ["onec_variant_guid", "product_tmpl_id"],
                )
            }
        missing_types = {p["type_guid"] for o in offers for p in o["prices"]} - set(ctx["pricelists"])
        if missing_types:
            for pricelist in (
                self.env["product.pricelist"]
                .with_context(active_test=False)
                .search_fetch([("onec_guid", "in", list(missing_types))], ["onec_guid"])
            ):
                ctx["pricelists"][pricelist.onec_guid] = pricelist.id
        matched = []
        deleted = set(backend.deleted_guids or [])
        new_variants = defaultdict(list)  # template -> [offer] of characteristics not seen before
        for offer in offers:
            base, variant_part = cml_reader.split_guid(offer["guid"])
            template = templates.get(offer["guid"]) or templates.get(base)
            if variant_part and offer["guid"] in variants:
                variant = variants[offer["guid"]]
                matched.append((variant.product_tmpl_id, variant, offer))
                continue
            if not template:
                if base in deleted:
                    counter["offers_skipped_deleted"] += 1  # its product is marked deleted in 1C: nothing to price
                    continue
                self._reject_offer(
                    ctx,
                    counter,
                    offer,
                    self.env._("its product is in no goods file (import.xml) this node sent"),
                )
                continue
            if variant_part and template.onec_guid != offer["guid"]:
                if not offer["characteristics"]:
                    self._reject_offer(
                        ctx,
                        counter,
                        offer,
                        self.env._(
                            "a characteristic of %(product)s that no goods file named, and without "
                            "ХарактеристикиТовара",
                            product=base,
                        ),
                    )
                    continue
                new_variants[template].append(offer)
                continue
            matched.append((template, None, offer))
        created = self._ensure_variants_batch(
            {
                template: [(o["guid"], o["characteristics"], o["article"]) for o in template_offers]
                for template, template_offers in new_variants.items()
            },
            counter,
            warnings,
            ctx,
        )
        for template, template_offers in new_variants.items():
            for offer in template_offers:
                if offer["guid"] in created:
                    matched.append((template, created[offer["guid"]], offer))
                else:
                    self._reject_offer(
                        ctx,
                        counter,
                        offer,
                        self.env._(
                            "its characteristics (%(values)s) are those of another offer of %(product)s, or Odoo "
                            "refused them",
                            values=", ".join(f"{n}: {v}" for n, v in offer["characteristics"]),
                            product=template.display_name,
                        ),
                    )
        self._write_prices(backend, matched, ctx, counter, warnings)
        self._write_stock(backend, matched, ctx, counter, warnings)

    def _reject_offer(self, ctx, counter, offer, reason):
        """An offer that cannot be imported: an error kept on the session and told to 1C (see
        ``mlm.onec.session._rejected_summary``), never a silent skip."""
        counter["offers_rejected"] += 1
        ctx["rejected"].append(
            self.env._(
                "Offer %(guid)s (%(name)s) not imported: %(reason)s.",
                guid=offer["guid"],
                name=offer["article"] or offer["name"] or "-",
                reason=reason,
            )
        )

    # ------------------------------------------------------------------ characteristics (variants)
    def _ensure_variants_batch(self, entries_by_template, counter, warnings, ctx):
        """:meth:`_ensure_variants` for a batch: ``{template: entries}`` -> ``{guid: product.product}``.

        Products that get their first characteristics (no attribute line yet, their single variant of no
        characteristic, two or more characteristics of distinct values: the usual first import) are built
        set-based, :meth:`_copy_variants`: the first of them in a call goes through Odoo's machinery
        (:meth:`_ensure_variants`) and its attribute line, attribute value and variant are the prototypes the
        others are copied from, as for new products (:meth:`_create_products`). Every other product, and all
        of them when an installed module computes or creates these records in a way the copy is not proven
        equal to (:meth:`_fast_variants`), goes through :meth:`_ensure_variants`. The call's time limit is
        checked between chunks of ``VARIANT_CHUNK`` products."""
        result = {}
        fresh = self._fresh_templates(entries_by_template) if self._fast_variants(ctx) else {}
        copies = []
        for template, entries in entries_by_template.items():
            if template.id in fresh and "variant_prototype" in ctx:
                copies.append((template, entries, fresh[template.id]))
                continue
            created = self._ensure_variants(template, entries, counter, warnings, ctx)
            result.update(created)
            if template.id in fresh and created:
                line = template.attribute_line_ids[:1]
                ctx["variant_prototype"] = (
                    line.id,
                    line.product_template_value_ids[:1].id,
                    next(iter(created.values())).id,
                )
        for start in range(0, len(copies), VARIANT_CHUNK):
            if ctx["variants_this_call"] and time.monotonic() > ctx["deadline"]:
                raise OutOfTime()
            result.update(self._copy_variants(copies[start : start + VARIANT_CHUNK], counter, ctx))
        return result

    def _link_attribute_products(self, lines):
        """Each attribute's stored list of products (``product.attribute.product_tmpl_ids``) gains the products of
        the copied ``lines`` (``[(id, template id, attribute id, value count)]``). Odoo's compute of that list reads
        every line of the attribute and rewrites it whole, per import chunk: over a catalog of 100 000 products that
        is quadratic; the new pairs are what it would add (test_bulk_variants compares the relation)."""
        field = self.env["product.attribute"]._fields["product_tmpl_ids"]
        attributes = self.env["product.attribute"].browse({row[2] for row in lines})
        self.env.remove_to_compute(field, attributes)
        pairs = sorted({(row[2], row[1]) for row in lines})
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO %(rel)s (%(col1)s, %(col2)s)
            SELECT * FROM unnest(%(left)s::int[], %(right)s::int[])
            ON CONFLICT DO NOTHING
            """,
                rel=SQL.identifier(field.relation),
                col1=SQL.identifier(field.column1),
                col2=SQL.identifier(field.column2),
                left=[pair[0] for pair in pairs],
                right=[pair[1] for pair in pairs],
            )
        )
        attributes.invalidate_recordset(["product_tmpl_ids"])

    def _fast_variants(self, ctx):
        """Whether variants may be copied set-based in this call (see :meth:`_fast_create_blockers`)."""
        if "fast_variants" not in ctx:
            blockers = []
            for model_name, per_record in VARIANT_PER_RECORD_FIELDS.items():
                blockers += self._fast_create_blockers(model_name, per_record)
                blockers += self._unknown_create_overrides(model_name)
            if blockers:
                _logger.info(
                    "1C import: variants created by Odoo's attribute machinery, not copied set-based, because of %s",
                    ", ".join(blockers),
                )
            ctx["fast_variants"] = not blockers
        return ctx["fast_variants"]

    def _fresh_templates(self, entries_by_template):
        """``{template id: id of its single variant}`` of the templates whose first characteristics ``entries``
        are: no attribute line or value (active or archived) yet, one variant, of no characteristic, and at
        least two characteristics, each of its own values (others, duplicates included, take the ORM path with
        its warnings)."""
        candidates = []
        for template, entries in entries_by_template.items():
            names = sorted({name for __, chars, __ in entries for name, __ in chars})
            combos = {tuple(dict(chars).get(name, NO_VALUE) for name in names) for __, chars, __ in entries}
            if len(entries) >= 2 and len(combos) == len(entries):
                candidates.append(template.id)
        if not candidates:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT t.id, min(p.id)
              FROM product_template t
              JOIN product_product p ON p.product_tmpl_id = t.id
             WHERE t.id = ANY(%(ids)s)
               AND NOT EXISTS (SELECT FROM product_template_attribute_line l WHERE l.product_tmpl_id = t.id)
               AND NOT EXISTS (SELECT FROM product_template_attribute_value v WHERE v.product_tmpl_id = t.id)
             GROUP BY t.id
            HAVING count(*) = 1 AND bool_and(p.onec_variant_guid IS NULL)
            """,
                ids=candidates,
            )
        )
        return dict(self.env.cr.fetchall())

    def _referenced_variants(self, ids, ctx):
        """Which of the variants ``ids`` anything refers to, in one query: every foreign key to ``product_product``
        (the database's own list: tables of any module, many2many relations), every stored many2one_reference
        (attachments, messages, followers, activities, external ids) and every company-dependent many2one to
        ``product.product`` (a jsonb column without a foreign key)."""
        if not ids:
            return set()
        if "variant_references" not in ctx:
            self.env.cr.execute(
                """SELECT c.conrelid::regclass::text, a.attname
                     FROM pg_constraint c
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                    WHERE c.contype = 'f' AND c.confrelid = 'product_product'::regclass
                    ORDER BY 1, 2"""
            )
            references = [("fk", table, column, None) for table, column in self.env.cr.fetchall()]
            for model in self.env.registry.values():
                if model._abstract or not model._auto or model._table_query:
                    continue
                for field in model._fields.values():
                    if not field.store or field.inherited:
                        continue
                    if field.type == "many2one_reference":
                        references.append(("reference", model._table, field.name, field.model_field))
                    elif (
                        field.type == "many2one" and field.company_dependent and field.comodel_name == "product.product"
                    ):
                        references.append(("company", model._table, field.name, None))
            ctx["variant_references"] = references
        parts = []
        for kind, table, column, model_field in ctx["variant_references"]:
            if kind in ("fk", "reference"):  # a reference names its model in another column
                of_variants = SQL("%s = 'product.product' AND ", SQL.identifier(model_field)) if model_field else SQL()
                query = SQL(
                    "SELECT %s FROM %s WHERE %s%s = ANY(%s)",
                    SQL.identifier(column),
                    SQL.identifier(table),
                    of_variants,
                    SQL.identifier(column),
                    ids,
                )
            else:
                query = SQL(
                    "SELECT v.value::int FROM %s, jsonb_each_text(%s) v "
                    "WHERE v.value ~ '^[0-9]+$' AND v.value::int = ANY(%s)",
                    SQL.identifier(table),
                    SQL.identifier(table, column),
                    ids,
                )
            parts.append(query)
        # the tables that grow during the import (prices, stock levels, combinations) have statistics of when they
        # were small: PostgreSQL would read them whole for each chunk (the import slowed down as it went); indexes
        # are used wherever there is one (a column without index is still read, once per chunk)
        # (and no JIT compilation, which the cost of a refused sequential scan would set off)
        self.env.cr.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('jit'), "
            "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"
        )
        seqscan, jit = self.env.cr.fetchone()[:2]
        try:
            self.env.cr.execute(SQL(" UNION ").join(parts))
            return {row[0] for row in self.env.cr.fetchall()}
        finally:
            self.env.cr.execute(
                "SELECT set_config('enable_seqscan', %s, true), set_config('jit', %s, true)", [seqscan, jit]
            )

    def _copy_variants(self, chunk, counter, ctx):
        """Attribute lines, attribute values and variants of ``chunk`` (``[(template, entries, id of its variant of
        no characteristic)]``, see :meth:`_fresh_templates`) copied from the call's prototypes by one INSERT per
        table: what :meth:`_ensure_variants` builds through the ORM for such a product, row for row (proven by
        tests/test_bulk_create.py). Then Odoo's own machinery finishes: the records are marked created
        (``modified``) so that every stored field of any module depending on them is recomputed (the product's
        reference, its "configurable" flag ...).

        Each product's variant of no characteristic goes, as Odoo does when the attribute lines are written, but
        the cheap way when nothing refers to it (no price, stock, order line, message, attachment ... of its own,
        :meth:`_referenced_variants`, the usual case of a product whose characteristics come in the offers right
        after it): its row becomes the first characteristic's variant, overwritten column by column with the
        prototype's as a copy would be inserted (:meth:`_overwrite_rows`: the same row as Odoo's but for its id),
        which spares the deletion (PostgreSQL checks every table referencing variants for each deleted row).
        When anything refers to it, it is unlinked or archived (``_unlink_or_archive``) as Odoo does, and what
        referred to it never passes to a characteristic."""
        line_proto, value_proto, variant_proto = ctx["variant_prototype"]
        templates = self.env["product.template"].browse(t.id for t, __, __ in chunk)
        templates.fetch(["onec_article", "default_code"])
        self.env.flush_all()
        strays = [stray for __, __, stray in chunk]
        referenced = self._referenced_variants(strays, ctx)
        reused = {stray for stray in strays if stray not in referenced}
        names = {name for __, entries, __ in chunk for __, chars, __ in entries for name, __ in chars}
        attributes = self._dynamic_attributes(names, {}, counter)
        plans = []
        wanted_all = defaultdict(set)
        for template, entries, __ in chunk:
            all_names = sorted({name for __, chars, __ in entries for name, __ in chars})
            combos = [
                (guid, {n: dict(chars).get(n, NO_VALUE) for n in all_names}, article)
                for guid, chars, article in entries
            ]
            wanted = defaultdict(set)
            for __, combo, __ in combos:
                for name, value in combo.items():
                    wanted[attributes[name].id].add(value)
                    wanted_all[attributes[name].id].add(value)
            plans.append((template, [attributes[n].id for n in all_names], combos, wanted))
        values = self._attribute_values(wanted_all)
        # lines (one per attribute, its values sorted by name), their template values, the variants
        line_count = sum(len(attribute_ids) for __, attribute_ids, __, __ in plans)
        line_ids = iter(self._new_ids("product.template.attribute.line", line_count))
        value_count = sum(len(names_) for *__, wanted in plans for names_ in wanted.values())
        ptav_ids = iter(self._new_ids("product.template.attribute.value", value_count))
        variant_ids = iter(
            self._new_ids("product.product", sum(len(combos) for __, __, combos, __ in plans) - len(reused))
        )
        lines, line_values, ptavs, variants, combinations, result = [], [], [], [], [], {}
        for (template, attribute_ids, combos, wanted), (__, __, stray) in zip(plans, chunk, strict=True):
            base_article = template.onec_article or template.default_code or False
            ptav_of = {}
            for attribute_id in attribute_ids:
                line_id = next(line_ids)
                value_ids = [values[(attribute_id, name)] for name in sorted(wanted[attribute_id])]
                lines.append((line_id, template.id, attribute_id, len(value_ids)))
                for value in value_ids:
                    line_values.append((line_id, value.id))
                    ptav_id = next(ptav_ids)
                    ptav_of[(attribute_id, value.name)] = ptav_id
                    ptavs.append((ptav_id, template.id, attribute_id, line_id, value.id, value.default_extra_price))
            for position, (guid, combo, article) in enumerate(combos):
                variant_id = stray if position == 0 and stray in reused else next(variant_ids)
                combination = sorted(ptav_of[(attributes[n].id, v)] for n, v in combo.items())
                combinations.extend((variant_id, ptav_id) for ptav_id in combination)
                variants.append(
                    (variant_id, template.id, ",".join(map(str, combination)), article or base_article, guid)
                )
                result[guid] = variant_id
        self.env.flush_all()
        self._clone_rows(
            "product.template.attribute.line",
            line_proto,
            {
                "id": ("int", [row[0] for row in lines]),
                "product_tmpl_id": ("int", [row[1] for row in lines]),
                "attribute_id": ("int", [row[2] for row in lines]),
                "value_count": ("int", [row[3] for row in lines]),
            },
            "id",
            ctx,
            own_relations=("value_ids",),
        )
        self._insert_relation("product.template.attribute.line", "value_ids", line_values)
        PTAV = self.env["product.template.attribute.value"]
        self._clone_rows(
            "product.template.attribute.value",
            value_proto,
            {
                "id": ("int", [row[0] for row in ptavs]),
                "product_tmpl_id": ("int", [row[1] for row in ptavs]),
                "attribute_id": ("int", [row[2] for row in ptavs]),
                "attribute_line_id": ("int", [row[3] for row in ptavs]),
                "product_attribute_value_id": ("int", [row[4] for row in ptavs]),
                "price_extra": ("numeric", [row[5] for row in ptavs]),
                # Odoo's default colour is drawn at random for each value
                "color": ("int", [PTAV._fields["color"].default(PTAV) for __ in ptavs]),
            },
            "id",
            ctx,
            own_relations=("ptav_product_variant_ids",),
        )

        def variant_columns(rows):
            return {
                "id": ("int", [row[0] for row in rows]),
                "product_tmpl_id": ("int", [row[1] for row in rows]),
                "combination_indices": ("varchar", [row[2] for row in rows]),
                "default_code": ("varchar", [row[3] or None for row in rows]),
                "onec_variant_guid": ("varchar", [row[4] for row in rows]),
            }

        own = ("product_template_attribute_value_ids",)
        new_rows = [row for row in variants if row[0] not in reused]
        if new_rows:
            self._clone_rows("product.product", variant_proto, variant_columns(new_rows), "id", ctx, own)
        if reused:
            reused_rows = [row for row in variants if row[0] in reused]
            self._overwrite_rows("product.product", variant_proto, variant_columns(reused_rows), ctx, own)
        self._insert_relation("product.product", "product_template_attribute_value_ids", combinations)
        # the templates are written as Odoo writes their attribute lines (and keep their article for the variants)
        self.env.cr.execute(
            SQL(
                """
            UPDATE product_template
               SET onec_article = COALESCE(NULLIF(onec_article, ''), NULLIF(default_code, '')),
                   write_uid = %(uid)s, write_date = now() at time zone 'UTC'
             WHERE id = ANY(%(ids)s)
            """,
                uid=self.env.uid,
                ids=templates.ids,
            )
        )
        self.env.invalidate_all()
        for model_name, ids in (
            ("product.template.attribute.line", [row[0] for row in lines]),
            ("product.template.attribute.value", [row[0] for row in ptavs]),
            ("product.product", [row[0] for row in variants]),
        ):
            records = self.env[model_name].browse(ids)
            records.modified(list(records._fields), create=True)
            # the copies' own stored computes are the prototype's (or given above): not computed again
            for field in records._fields.values():
                if field.store and field.compute:
                    self.env.remove_to_compute(field, records)
        templates.modified(["onec_article", "attribute_line_ids", "product_variant_ids"])
        self._link_attribute_products(lines)
        # what Odoo's recomputation of the products reads (their lines and values, their variants), read for the
        # chunk at once rather than by each compute
        templates.attribute_line_ids.value_ids.mapped("name")
        templates.product_variant_ids.mapped("default_code")
        self.env["product.product"].browse(stray for stray in strays if stray not in reused)._unlink_or_archive()
        self.env.registry.clear_cache()  # as product.product.create does (variant lookups are cached)
        self.env.flush_all()
        counter["variants_created"] += len(variants)
        ctx["variants_this_call"] += len(variants)
        Product = self.env["product.product"].with_context(active_test=False)
        return {guid: Product.browse(variant_id) for guid, variant_id in result.items()}

    def _ensure_variants(self, template, entries, counter, warnings, ctx=None):
        """Variants of ``template`` for 1C characteristics: ``entries`` = ``[(guid, [(name, value)], article)]``.

        Each characteristic name becomes a product attribute with *dynamic* variant creation and each value
        an attribute value (found by name, created if missing). Odoo then builds no combination by itself:
        each 1C characteristic becomes exactly one variant, through ``_create_product_variant`` (so a
        product with 12 x 10 x 3 x 3 possible values has as many variants as 1C has characteristics, not
        1 080). A characteristic that names only some of the product's properties (1C allows one to be
        size + colour + length, another size + colour) gets the value ``NO_VALUE`` for the others, since an
        Odoo variant has one value per attribute line. Combinations 1C does not have stay impossible
        (``product.template._is_combination_possible``). Returns ``{guid: product.product}``.

        With ``ctx`` (an import call), raises :class:`OutOfTime` before creating a variant once the call's deadline
        has passed, provided the call created at least one (every call moves on).
        """
        template = template.with_context(active_test=False, onec_import=True)
        # the product's own article (of its single variant before the characteristics came): the reference of
        # each variant whose characteristic 1C sends without Артикул
        base_article = template.onec_article or template.default_code or False
        if base_article and not template.onec_article:
            template.onec_article = base_article
        attributes, values, combos = self._ensure_attribute_lines(template, entries, counter)
        ptav_of = {
            (ptav.attribute_id.id, ptav.product_attribute_value_id.id): ptav
            for ptav in template.attribute_line_ids.product_template_value_ids
        }
        by_combination = {
            variant.combination_indices: variant
            for variant in self.env["product.product"]
            .with_context(active_test=False)
            .search([("product_tmpl_id", "=", template.id)], order="active, id")  # an active one wins
        }
        result = {}
        for guid, combo, article in combos:
            ptavs = self.env["product.template.attribute.value"].concat(
                *(ptav_of[(attributes[n].id, values[(attributes[n].id, v)].id)] for n, v in combo.items())
            )
            variant = by_combination.get(ptavs._ids2str())
            if variant and variant.onec_variant_guid and variant.onec_variant_guid != guid:
                warnings.append(
                    f"offer {guid}: same characteristics as {variant.onec_variant_guid} "
                    f"({', '.join(f'{n}: {v}' for n, v in combo.items())}), skipped"
                )
                continue
            if not variant:
                if ctx and ctx["variants_this_call"] and time.monotonic() > ctx["deadline"]:
                    raise OutOfTime()
                variant = template._create_product_variant(ptavs)
                if not variant:
                    warnings.append(f"offer {guid}: Odoo refused the combination of {template.display_name}, skipped")
                    continue
                by_combination[ptavs._ids2str()] = variant
                counter["variants_created"] += 1
                if ctx:
                    ctx["variants_this_call"] += 1
            vals = {"onec_variant_guid": guid, "active": True}
            code = article or variant.default_code or base_article
            if code and code != variant.default_code:
                vals["default_code"] = code
            variant.write(vals)
            result[guid] = variant
        # the variant of a product without attributes (before its characteristics came) is not one of 1C's
        stray = self.env["product.product"].search(
            [("product_tmpl_id", "=", template.id), ("onec_variant_guid", "=", False)]
        )
        if result and stray:
            stray.write({"active": False})
            counter["variants_archived"] += len(stray)
        return result

    def _dynamic_attributes(self, names, known, counter):
        """``{name: product.attribute}`` for the characteristic ``names``: ``known`` ones (the product's lines), then
        existing attributes of that name with dynamic variant creation (an attribute that creates every combination
        would rebuild the cartesian product: dynamic ones only), then new dynamic ones."""
        Attribute = self.env["product.attribute"].with_context(active_test=False)
        attributes = dict(known)
        missing_names = set(names) - set(attributes)
        if missing_names:
            for attribute in Attribute.search(
                [("name", "in", list(missing_names)), ("create_variant", "=", "dynamic")], order="id"
            ):
                attributes.setdefault(attribute.name, attribute)
        new_names = sorted(set(names) - set(attributes))
        for attribute in Attribute.create([{"name": name, "create_variant": "dynamic"} for name in new_names]):
            attributes[attribute.name] = attribute
        counter["attributes_created"] += len(new_names)
        return attributes

    def _attribute_values(self, wanted_values):
        """``{(attribute id, name): product.attribute.value}`` of ``wanted_values`` (``{attribute id: {names}}``),
        created where missing."""
        Value = self.env["product.attribute.value"].with_context(active_test=False)
        values = {(v.attribute_id.id, v.name): v for v in Value.search([("attribute_id", "in", list(wanted_values))])}
        new_values = [
            {"attribute_id": attribute_id, "name": value}
            for attribute_id, names_ in wanted_values.items()
            for value in sorted(names_)
            if (attribute_id, value) not in values
        ]
        for value in Value.create(new_values):
            values[(value.attribute_id.id, value.name)] = value
        return values

    def _ensure_attribute_lines(self, template, entries, counter):
        """Dynamic attributes, values and lines of ``template`` for ``entries``; returns ``(attributes by name,
        values by (attribute id, name), [(guid, {attribute name: value name}, article)])``."""
        names = {name for __, chars, __ in entries for name, __ in chars}
        lines = {line.attribute_id.name: line for line in template.attribute_line_ids}
        attributes = self._dynamic_attributes(names, {name: line.attribute_id for name, line in lines.items()}, counter)
        all_names = sorted(set(attributes))
        # the value of each attribute for each characteristic (NO_VALUE where it names none)
        combos = [
            (guid, {n: dict(chars).get(n, NO_VALUE) for n in all_names}, article) for guid, chars, article in entries
        ]
        wanted_values = defaultdict(set)
        for __, combo, __ in combos:
            for name, value in combo.items():
                wanted_values[attributes[name].id].add(value)
        has_variants = bool(template.product_variant_ids.filtered("onec_variant_guid"))
        if has_variants:
            for name in set(all_names) - set(lines):
                wanted_values[attributes[name].id].add(NO_VALUE)  # existing variants name none of it
        values = self._attribute_values(wanted_values)
        commands = []
        added = []
        for name in all_names:
            attribute_id = attributes[name].id
            value_ids = [values[(attribute_id, value)].id for value in sorted(wanted_values[attribute_id])]
            line = lines.get(name)
            if not line:
                if has_variants:
                    # first with the single value NO_VALUE: Odoo gives it to every existing variant, which stays
                    added.append((attribute_id, value_ids))
                    value_ids = [values[(attribute_id, NO_VALUE)].id]
                commands.append(Command.create({"attribute_id": attribute_id, "value_ids": [Command.set(value_ids)]}))
            elif set(value_ids) - set(line.value_ids.ids):
                commands.append(Command.update(line.id, {"value_ids": [Command.link(v) for v in value_ids]}))
        for command in commands:  # one line at a time: each added line keeps the existing variants complete
            template.write({"attribute_line_ids": [command]})
        if added:
            lines = {line.attribute_id.id: line for line in template.attribute_line_ids}
            template.write(
                {
                    "attribute_line_ids": [
                        Command.update(lines[attribute_id].id, {"value_ids": [Command.link(v) for v in value_ids]})
                        for attribute_id, value_ids in added
                    ]
                }
            )
        return attributes, values, combos

    # ------------------------------------------------------------------ prices and stock
    def _write_prices(self, backend, matched, ctx, counter, warnings):
        """Fixed prices of each 1C price type in its pricelist (a variant's price on the variant)."""
        Item = self.env["product.pricelist.item"]
        tmpl_ids = list({template.id for template, __, __ in matched})
        pricelist_ids = list(set(ctx["pricelists"].values()))
        existing = {}
        if tmpl_ids and pricelist_ids:
            for item in Item.search_fetch(
                [
                    ("pricelist_id", "in", pricelist_ids),
                    ("product_tmpl_id", "in", tmpl_ids),
                    ("applied_on", "in", ("1_product", "0_product_variant")),
                    ("compute_price", "=", "fixed"),
                    ("min_quantity", "=", 0),
                ],
                ["pricelist_id", "product_tmpl_id", "product_id", "applied_on", "fixed_price"],
            ):
                product_id = item.product_id.id if item.applied_on == "0_product_variant" else False
                existing[(item.pricelist_id.id, item.product_tmpl_id.id, product_id)] = item
        to_create = []
        changed_items = {}
        list_prices = {}
        variant_templates = set()
        for template, variant, offer in matched:
            for price in offer["prices"]:
                pricelist_id = ctx["pricelists"].get(price["type_guid"])
                if not pricelist_id:
                    warnings.append(f"offer {offer['guid']}: unknown price type {price['type_guid']}, price skipped")
                    continue
                value = float(price["price"])
                item = existing.get((pricelist_id, template.id, variant.id if variant else False))
                if item is None:
                    to_create.append(
                        {
                            "pricelist_id": pricelist_id,
                            "product_tmpl_id": template.id,
                            "product_id": variant.id if variant else False,
                            "applied_on": "0_product_variant" if variant else "1_product",
                            "compute_price": "fixed",
                            "fixed_price": value,
                        }
                    )
                elif item.fixed_price != value:
                    changed_items.setdefault(value, []).append(item.id)
                if price["type_guid"] != backend.list_price_type_guid:
                    continue
                if variant:
                    variant_templates.add(template.id)
                elif template.list_price != value:
                    list_prices.setdefault(value, []).append(template.id)
        if to_create:
            self._create_pricelist_items(to_create, ctx)
        for value, ids in changed_items.items():
            Item.browse(ids).write({"fixed_price": value})
        self._write_list_prices(list_prices)
        if variant_templates:
            self._sync_variant_sales_prices(backend, variant_templates, ctx)
        counter["prices_created"] += len(to_create)
        counter["prices_updated"] += sum(len(ids) for ids in changed_items.values())

    def _sync_variant_sales_prices(self, backend, template_ids, ctx):
        """Sales prices of products with characteristics, from their variants' prices of the sales price type.

        The product's sales price is the lowest of its variants'; with one attribute (the usual case: a
        size, a colour) each value's extra price makes every variant's sales price exactly its 1C price.
        With several attributes a variant's own price stays in the pricelist (Odoo's extras add up per
        value and cannot express any price per combination)."""
        pricelist_id = ctx["pricelists"].get(backend.list_price_type_guid)
        if not pricelist_id:
            return
        Item = self.env["product.pricelist.item"]
        prices = defaultdict(dict)
        for item in Item.search_fetch(
            [
                ("pricelist_id", "=", pricelist_id),
                ("product_tmpl_id", "in", list(template_ids)),
                ("applied_on", "=", "0_product_variant"),
                ("compute_price", "=", "fixed"),
                ("min_quantity", "=", 0),
                ("product_id.active", "=", True),
            ],
            ["product_tmpl_id", "product_id", "fixed_price"],
        ):
            prices[item.product_tmpl_id][item.product_id] = item.fixed_price
        list_prices = {}
        extras = defaultdict(lambda: self.env["product.template.attribute.value"])
        for template, by_variant in prices.items():
            base = min(by_variant.values())
            if template.list_price != base:
                list_prices.setdefault(base, []).append(template.id)
            if len(template.attribute_line_ids) != 1:
                continue
            for variant, price in by_variant.items():
                ptav = variant.product_template_attribute_value_ids
                if len(ptav) == 1 and ptav.price_extra != price - base:
                    extras[price - base] |= ptav
        for extra, ptavs in extras.items():  # one write per extra price, not per value
            ptavs.write({"price_extra": extra})
        self._write_list_prices(list_prices)

    def _create_pricelist_items(self, vals_list, ctx):
        """Create pricelist items set-based: per pricelist and kind, a prototype by the ORM, copies by SQL."""
        Item = self.env["product.pricelist.item"]
        if "fast_items" not in ctx:
            blockers = self._fast_create_blockers("product.pricelist.item", ITEM_PER_RECORD)
            blockers += self._unknown_create_overrides("product.pricelist.item")
            if blockers:
                _logger.info(
                    "1C import: price items created by Odoo's create(), not copied set-based, because of %s",
                    ", ".join(blockers),
                )
            ctx["fast_items"] = not blockers
        if not ctx["fast_items"]:
            Item.create(vals_list)
            return
        by_kind = defaultdict(list)
        for vals in vals_list:
            by_kind[(vals["pricelist_id"], vals["applied_on"])].append(vals)
        prototypes = ctx.setdefault("item_prototypes", {})
        for kind, group in by_kind.items():
            if kind not in prototypes:
                prototypes[kind] = Item.create(group[:1]).id
                group = group[1:]
            if not group:
                continue
            self.env.flush_all()
            key = "product_id" if kind[1] == "0_product_variant" else "product_tmpl_id"
            self._clone_rows(
                "product.pricelist.item",
                prototypes[kind],
                {
                    "product_tmpl_id": ("int", [vals["product_tmpl_id"] for vals in group]),
                    "product_id": ("int", [vals["product_id"] or None for vals in group]),
                    "fixed_price": ("numeric", [vals["fixed_price"] for vals in group]),
                },
                key,
                ctx,
            )
        Item.invalidate_model()
        self.env.registry.clear_cache()  # pricelist rules are cached like product lookups

    def _write_list_prices(self, list_prices):
        """Sales prices of a price list's worth of products in one UPDATE (``{price: [template ids]}``)."""
        rows = [(tmpl_id, value) for value, ids in list_prices.items() for tmpl_id in ids]
        if not rows:
            return
        Template = self.env["product.template"]
        Template.flush_model(["list_price"])
        values = SQL(", ").join(SQL("(%s, %s)", tmpl_id, value) for tmpl_id, value in rows)
        self.env.cr.execute(
            SQL(
                """
            UPDATE product_template t
               SET list_price = v.price, write_uid = %(uid)s, write_date = now() at time zone 'UTC'
              FROM (VALUES %(values)s) AS v(id, price)
             WHERE t.id = v.id
            """,
                uid=self.env.uid,
                values=values,
            )
        )
        Template.invalidate_model(["list_price", "write_uid", "write_date"])
        self.env["product.product"].invalidate_model(["lst_price"])

    def _write_stock(self, backend, matched, ctx, counter, warnings):
        """1C stock per warehouse, per variant (a product without characteristics has one variant)."""
        rows = {}
        simple = [template for template, variant, __ in matched if not variant]
        single = {}
        if simple:
            self.env.cr.execute(
                """SELECT product_tmpl_id, min(id) FROM product_product WHERE product_tmpl_id = ANY(%s)
                    GROUP BY product_tmpl_id HAVING count(*) = 1""",
                [[t.id for t in simple]],
            )
            single = dict(self.env.cr.fetchall())
        for template, variant, offer in matched:
            stock = offer["stock"]
            if not stock and offer["quantity"] is not None:
                stock = [(TOTAL_WAREHOUSE_GUID, offer["quantity"])]
            if not stock:
                continue
            product_id = variant.id if variant else single.get(template.id)
            if product_id is None:
                warnings.append(
                    f"offer {offer['guid']}: stock given for a product with variants, not for a characteristic, skipped"
                )
                continue
            for guid, qty in stock:
                guid = guid or TOTAL_WAREHOUSE_GUID
                warehouse_id = ctx["warehouse_ids"].get(guid)
                if warehouse_id is None:
                    warehouse_id = self._resolve_warehouse(backend, guid, ctx)
                if warehouse_id is None:
                    warnings.append(f"offer {offer['guid']}: unknown warehouse {guid}, stock skipped")
                    continue
                rows[(product_id, warehouse_id)] = qty
        changed = self.env["mlm.onec.stock"]._upsert_levels([(p, w, q) for (p, w), q in rows.items()])
        counter["stock_updated"] += changed
        adjusted = self._sync_stock_quants(rows)
        if adjusted:
            counter["quants_adjusted"] += adjusted

    def _sync_stock_quants(self, rows):
        """Make the on-hand quantity of the Odoo warehouses mapped to 1C warehouses what 1C reports: one inventory
        move per product and location whose quantity differs (re-importing the same stock moves nothing).
        ``rows``: {(product.product id, 1C warehouse id): quantity}. Returns the number of adjusted quantities."""
        warehouses = self.env["mlm.onec.warehouse"].browse({w for __, w in rows}).filtered("stock_warehouse_id")
        if not warehouses:
            return 0
        location_of = {w.id: w.stock_warehouse_id.lot_stock_id for w in warehouses}
        products = self.env["product.product"].browse({p for p, w in rows if w in location_of})
        storable = {p.id: p for p in products if p.is_storable}
        wanted = defaultdict(float)  # several 1C warehouses may feed one Odoo warehouse: their stock adds up
        for (product_id, warehouse_id), qty in rows.items():
            if warehouse_id in location_of and product_id in storable:
                wanted[(storable[product_id], location_of[warehouse_id])] += float(qty or 0.0)
        if not wanted:
            return 0
        Quant = self.env["stock.quant"]
        groups = Quant._read_group(
            [
                ("product_id", "in", [p.id for p, __ in wanted]),
                ("location_id", "in", list({loc.id for __, loc in wanted})),
            ],
            ["product_id", "location_id"],
            ["quantity:sum"],
        )
        on_hand = {(product.id, location.id): quantity for product, location, quantity in groups}
        moves = []
        for (product, location), qty in wanted.items():
            diff = qty - on_hand.get((product.id, location.id), 0.0)
            if float_is_zero(diff, precision_rounding=product.uom_id.rounding):
                continue
            inventory = product.with_company(location.company_id).property_stock_inventory
            source, destination = (inventory, location) if diff > 0 else (location, inventory)
            moves.append(
                {
                    "name": self.env._("1C stock of %(product)s", product=product.display_name),
                    "product_id": product.id,
                    "product_uom": product.uom_id.id,
                    "product_uom_qty": abs(diff),
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "company_id": location.company_id.id,
                    "is_inventory": True,
                    "picked": True,
                    "move_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom_id": product.uom_id.id,
                                "quantity": abs(diff),
                                "location_id": source.id,
                                "location_dest_id": destination.id,
                                "company_id": location.company_id.id,
                                "picked": True,
                            }
                        )
                    ],
                }
            )
        if moves:
            self.env["stock.move"].create(moves)._action_done()
        return len(moves)

    def _resolve_warehouse(self, backend, guid, ctx):
        Warehouse = self.env["mlm.onec.warehouse"]
        record = Warehouse.search([("onec_guid", "=", guid), ("company_id", "=", backend.company_id.id)], limit=1)
        if not record and guid == TOTAL_WAREHOUSE_GUID:
            record = Warehouse.create(
                {
                    "name": self.env._("All warehouses (1C total)"),
                    "onec_guid": guid,
                    "company_id": backend.company_id.id,
                }
            )
        ctx["warehouse_ids"][guid] = record.id or None
        return record.id or None
