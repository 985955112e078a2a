# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Writes what :mod:`..tools.cml_reader` streams out of a CommerceML file, batch by batch.

Every batch is keyed by 1C GUIDs: one query finds the existing records of the whole batch, a dict
answers the lookups, new records are created with one ``create(vals_list)``, and only records
whose data changed are written (a fingerprint of the imported data is kept on the product).
"""

import base64
import hashlib
import json
import os
import time
from collections import Counter, defaultdict

from odoo import Command, api, models
from odoo.tools import SQL, float_is_zero

from ..tools import cml_reader

# OKEI unit codes 1C sends -> Odoo units of measure
OKEI_UOM = {
    "796": "uom.product_uom_unit",
    "166": "uom.product_uom_kgm",
    "163": "uom.product_uom_gram",
    "006": "uom.product_uom_meter",
    "112": "uom.product_uom_litre",
    "778": "uom.product_uom_unit",  # упаковка: counted as units
    "839": "uom.product_uom_unit",  # комплект
}
MAX_IMAGE_BYTES = 10 * 1024 * 1024
TOTAL_WAREHOUSE_GUID = "__total__"


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
            "groups": [],
            "price_types": [],
            "warehouses": [],
            "session": session,
            "categories": {},
            "pricelists": {},
            "warehouse_ids": {},
        }
        batch = []
        done = start
        for kind, data in cml_reader.iter_catalog(path, warnings, skip=start):
            if kind in ("product", "offer"):
                self._flush_classifier(backend, ctx, counter, warnings)
                batch.append(data)
                if len(batch) >= backend.batch_size:
                    self._flush_batch(backend, batch, ctx, counter, warnings)
                    done += len(batch)
                    batch = []
                    if time.monotonic() > deadline:
                        return done, False, counter, warnings
            elif kind == "property":
                ctx["properties"][data["guid"]] = data
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
            self._flush_batch(backend, batch, ctx, counter, warnings)
            done += len(batch)
        return done, True, counter, warnings

    @api.model
    def _archive_missing(self, session, path, only_changes=False):
        """After a full import.xml: archive the company's 1C products that are not in the file (setting)."""
        backend = session.backend_id
        counter = Counter()
        if only_changes or not backend.archive_missing:
            return counter
        guids = set()
        has_products = False
        for kind, data in cml_reader.iter_catalog(path):
            if kind == "product":
                has_products = True
                guids.add(data["guid"])
        if not has_products:
            return counter  # an offers file: nothing to compare
        products = self.env["product.template"].search(
            [("company_id", "=", backend.company_id.id), ("onec_guid", "!=", False)]
        )
        missing = products.filtered(lambda p: p.onec_guid not in guids)
        missing.action_archive()
        counter["products_archived"] = len(missing)
        if missing:
            session._log(self.env._("Archived %(count)s products missing from the full export.", count=len(missing)))
        return counter

    # ------------------------------------------------------------------ classifier
    def _flush_classifier(self, backend, ctx, counter, warnings):
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
            [("onec_guid", "in", [g["guid"] for g in groups])], ["onec_guid", "name", "parent_id"]
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
        currencies = {
            c.name: c
            for c in self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", [p["currency"] for p in price_types if p["currency"]])])
        }
        for ptype in price_types:
            currency = currencies.get(ptype["currency"])
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
    def _flush_batch(self, backend, batch, ctx, counter, warnings):
        products = [item for item in batch if "barcode" in item]
        offers = [item for item in batch if "prices" in item]
        if products:
            self._upsert_products(backend, products, ctx, counter, warnings)
        if offers:
            self._upsert_offers(backend, offers, ctx, counter, warnings)

    def _get_uom_map(self):
        result = {}
        for code, xmlid in OKEI_UOM.items():
            uom = self.env.ref(xmlid, raise_if_not_found=False)
            if uom:
                result[code] = uom.id
        return result

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
            warnings.append(f"product {item['guid']}: group {item['group_guids'][0]} unknown, root category used")
        unit_code = (item["unit"] or {}).get("code", "")
        uom_id = ctx["uom"].get(unit_code)
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
        tax_ids = []
        for name, rate in item["taxes"]:
            rate_value = cml_reader.parse_decimal(rate)
            if rate_value is None:
                continue  # "Без НДС"
            tax_id = ctx["taxes"].get(f"{float(rate_value):g}")
            if tax_id:
                tax_ids.append(tax_id)
            else:
                warnings.append(f"product {item['guid']}: no sales tax {name} {rate}% in Odoo, default taxes kept")
        if tax_ids:
            vals["taxes_id"] = [(6, 0, tax_ids)]
        return vals

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
        unique = {}
        for item in items:
            if not item["guid"]:
                warnings.append(f"product {item['name']!r} without Ид skipped")
                continue
            if item["guid"] in unique:
                warnings.append(f"product {item['guid']} appears twice in the batch, the last one is kept")
            unique[item["guid"]] = item
        existing = Template.search_fetch(
            [("onec_guid", "in", list(unique)), ("company_id", "in", (backend.company_id.id, False))],
            ["onec_guid", "onec_hash", "active"],
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
        for guid, item in unique.items():
            product = by_guid.get(guid)
            if item["deleted"] and not product:
                counter["products_skipped_deleted"] += 1
                continue
            vals = self._prepare_product_vals(backend, item, ctx, warnings)
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
                if product.onec_hash == fingerprint:
                    counter["products_unchanged"] += 1
                    continue
                product.write(dict(vals, onec_hash=fingerprint, **image_vals))
                counter["products_updated"] += 1
            else:
                to_create.append(
                    dict(vals, onec_guid=guid, onec_hash=fingerprint, company_id=backend.company_id.id, **image_vals)
                )
        if to_create:
            # Created through the variant model: the template comes with it (``_inherits``), and the
            # variant fields (barcode, reference) are set in the same batch instead of one inverse
            # write per product (which also ran the barcode uniqueness search once per product).
            self.env["product.product"].with_context(
                tracking_disable=True, mail_create_nolog=True, mail_notrack=True
            ).create(to_create)
            counter["products_created"] += len(to_create)

    def _upsert_offers(self, backend, offers, ctx, counter, warnings):
        Template = self.env["product.template"].with_context(active_test=False)
        guids = {offer["guid"] for offer in offers} | {cml_reader.split_guid(o["guid"])[0] for o in offers}
        templates = {
            t.onec_guid: t
            for t in Template.search_fetch(
                [("onec_guid", "in", list(guids)), ("company_id", "in", (backend.company_id.id, False))],
                ["onec_guid", "list_price"],
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
        for offer in offers:
            template = templates.get(offer["guid"])
            _base, variant = cml_reader.split_guid(offer["guid"])
            if not template and variant:
                warnings.append(f"offer {offer['guid']}: characteristics (variants) are not imported, skipped")
                counter["offers_skipped"] += 1
                continue
            if not template:
                warnings.append(
                    f"offer {offer['guid']} ({offer['article'] or offer['name']}): no product with "
                    f"this Ид (not in import.xml), skipped"
                )
                counter["offers_skipped"] += 1
                continue
            matched.append((template, offer))
        self._write_prices(backend, matched, ctx, counter, warnings)
        self._write_stock(backend, matched, ctx, counter, warnings)

    def _write_prices(self, backend, matched, ctx, counter, warnings):
        Item = self.env["product.pricelist.item"]
        tmpl_ids = [template.id for template, _offer in matched]
        pricelist_ids = list(set(ctx["pricelists"].values()))
        existing = {}
        if tmpl_ids and pricelist_ids:
            for item in Item.search_fetch(
                [
                    ("pricelist_id", "in", pricelist_ids),
                    ("product_tmpl_id", "in", tmpl_ids),
                    ("applied_on", "=", "1_product"),
                    ("compute_price", "=", "fixed"),
                    ("min_quantity", "=", 0),
                ],
                ["pricelist_id", "product_tmpl_id", "fixed_price"],
            ):
                existing[(item.pricelist_id.id, item.product_tmpl_id.id)] = item
        to_create = []
        changed_items = {}
        list_prices = {}
        for template, offer in matched:
            for price in offer["prices"]:
                pricelist_id = ctx["pricelists"].get(price["type_guid"])
                if not pricelist_id:
                    warnings.append(f"offer {offer['guid']}: unknown price type {price['type_guid']}, price skipped")
                    continue
                value = float(price["price"])
                item = existing.get((pricelist_id, template.id))
                if item is None:
                    to_create.append(
                        {
                            "pricelist_id": pricelist_id,
                            "product_tmpl_id": template.id,
                            "applied_on": "1_product",
                            "compute_price": "fixed",
                            "fixed_price": value,
                        }
                    )
                elif item.fixed_price != value:
                    changed_items.setdefault(value, []).append(item.id)
                if price["type_guid"] == backend.list_price_type_guid and template.list_price != value:
                    list_prices.setdefault(value, []).append(template.id)
        if to_create:
            Item.create(to_create)
        for value, ids in changed_items.items():
            Item.browse(ids).write({"fixed_price": value})
        self._write_list_prices(list_prices)
        counter["prices_created"] += len(to_create)
        counter["prices_updated"] += sum(len(ids) for ids in changed_items.values())

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
        rows = {}
        for template, offer in matched:
            stock = offer["stock"]
            if not stock and offer["quantity"] is not None:
                stock = [(TOTAL_WAREHOUSE_GUID, offer["quantity"])]
            for guid, qty in stock:
                guid = guid or TOTAL_WAREHOUSE_GUID
                warehouse_id = ctx["warehouse_ids"].get(guid)
                if warehouse_id is None:
                    warehouse_id = self._resolve_warehouse(backend, guid, ctx)
                if warehouse_id is None:
                    warnings.append(f"offer {offer['guid']}: unknown warehouse {guid}, stock skipped")
                    continue
                rows[(template.id, warehouse_id)] = qty
        changed = self.env["mlm.onec.stock"]._upsert_levels([(t, w, q) for (t, w), q in rows.items()])
        counter["stock_updated"] += changed
        adjusted = self._sync_stock_quants(rows)
        if adjusted:
            counter["quants_adjusted"] += adjusted

    def _sync_stock_quants(self, rows):
        """Make the on-hand quantity of the Odoo warehouses mapped to 1C warehouses what 1C reports: one inventory
        move per product and location whose quantity differs (re-importing the same stock moves nothing).
        ``rows``: {(template id, 1C warehouse id): quantity}. Returns the number of adjusted quantities."""
        warehouses = self.env["mlm.onec.warehouse"].browse({w for __, w in rows}).filtered("stock_warehouse_id")
        if not warehouses:
            return 0
        location_of = {w.id: w.stock_warehouse_id.lot_stock_id for w in warehouses}
        templates = self.env["product.template"].browse({t for t, w in rows if w in location_of})
        variant_of = {t.id: t.product_variant_id for t in templates if t.is_storable and t.product_variant_count == 1}
        wanted = defaultdict(float)  # several 1C warehouses may feed one Odoo warehouse: their stock adds up
        for (template_id, warehouse_id), qty in rows.items():
            if warehouse_id in location_of and template_id in variant_of:
                wanted[(variant_of[template_id], location_of[warehouse_id])] += float(qty or 0.0)
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
