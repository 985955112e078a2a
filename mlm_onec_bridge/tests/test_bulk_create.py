# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The set-based creation of imported products and prices gives exactly what Odoo's ``create`` gives."""

import os
import tempfile
import time
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.mlm_onec_bridge.models import mlm_onec_importer

BULK_MODELS = ("product.template", "product.product", "product.pricelist.item")

NS = "urn:1C.ru:commerceml_2"


def catalog_xml(prefix, count, barcode_base):
    products = "".join(
        f"<Товар><Ид>{prefix}-{n}</Ид><Штрихкод>{barcode_base + n}</Штрихкод><Артикул>ART-{n}</Артикул>"
        f"<Наименование>Товар {n}</Наименование>"
        f'<БазоваяЕдиница Код="{"796" if n % 3 else "166"}">шт</БазоваяЕдиница>'
        f"<Группы><Ид>bulk-group-{n % 2}</Ид></Группы>"
        + (f"<Описание>Описание {n}</Описание>" if n % 2 else "")
        + "<ЗначенияСвойств><ЗначенияСвойства><Ид>bulk-prop</Ид>"
        f"<Значение>{n} мл</Значение></ЗначенияСвойства></ЗначенияСвойств>"
        + (
            "<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>12</Ставка></СтавкаНалога>"
            "</СтавкиНалогов>"
            if n % 4 == 0
            else ""
        )
        + (
            "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>ТипНоменклатуры</Наименование>"
            "<Значение>Услуга</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>"
            if n % 5 == 0
            else ""
        )
        + "</Товар>"
        for n in range(count)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<Классификатор><Ид>bulk-cls</Ид><Наименование>К</Наименование><Группы>
<Группа><Ид>bulk-group-0</Ид><Наименование>Группа 0</Наименование></Группа>
<Группа><Ид>bulk-group-1</Ид><Наименование>Группа 1</Наименование></Группа></Группы>
<Свойства><Свойство><Ид>bulk-prop</Ид><Наименование>Объём</Наименование></Свойство></Свойства></Классификатор>
<Каталог СодержитТолькоИзменения="true"><Ид>bulk-cat</Ид><Наименование>К</Наименование>
<Товары>{products}</Товары></Каталог></КоммерческаяИнформация>"""


def offers_xml(prefix, count):
    offers = "".join(
        f"<Предложение><Ид>{prefix}-{n}</Ид><Цены><Цена><ИдТипаЦены>bulk-price</ИдТипаЦены>"
        f"<ЦенаЗаЕдиницу>{100 + n},50</ЦенаЗаЕдиницу><Валюта>KZT</Валюта></Цена>"
        f"<Цена><ИдТипаЦены>bulk-price-2</ИдТипаЦены><ЦенаЗаЕдиницу>{90 + n}</ЦенаЗаЕдиницу></Цена></Цены>"
        f'<Склад ИдСклада="bulk-wh" КоличествоНаСкладе="{n}"/></Предложение>'
        for n in range(count)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<ПакетПредложений СодержитТолькоИзменения="true"><Ид>bulk-offers</Ид><Наименование>П</Наименование>
<ТипыЦен><ТипЦены><Ид>bulk-price</Ид><Наименование>Розничная</Наименование><Валюта>KZT</Валюта></ТипЦены>
<ТипЦены><Ид>bulk-price-2</Ид><Наименование>Дистрибьюторская</Наименование><Валюта>KZT</Валюта></ТипЦены>
</ТипыЦен><Склады><Склад><Ид>bulk-wh</Ид><Наименование>Склад</Наименование></Склад></Склады>
<Предложения>{offers}</Предложения></ПакетПредложений></КоммерческаяИнформация>"""


@tagged("post_install", "-at_install")
class TestSetBasedCreate(TransactionCase):
    """Two copies of one catalog (other GUIDs and barcodes): one through Odoo's ``create`` for every record,
    one through the set-based path; every stored column, relation and referencing row must be the same."""

    COUNT = 23

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.env["account.tax"].create(
            {"name": "НДС 12%", "amount": 12, "type_tax_use": "sale", "company_id": cls.company.id}
        )
        cls.backend = cls.env["mlm.onec.backend"].create(
            {"name": "bulk", "company_id": cls.company.id, "batch_size": 7, "track_inventory": True}
        )
        cls.tmp = tempfile.mkdtemp()

    def _import(self, prefix, barcode_base, fast):
        importer = self.env["mlm.onec.importer"]
        session = self.env["mlm.onec.session"].create({"backend_id": self.backend.id, "exchange_type": "catalog"})
        totals = {}
        for name, data in (
            ("import.xml", catalog_xml(prefix, self.COUNT, barcode_base)),
            ("offers.xml", offers_xml(prefix, self.COUNT)),
        ):
            path = os.path.join(self.tmp, f"{prefix}-{name}")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(data)
            if fast:
                _done, finished, counter, _warnings = importer._import_catalog_slice(
                    session, path, 0, time.monotonic() + 600
                )
            else:
                with patch.object(type(importer), "_fast_create_blockers", lambda *args, **kw: ["forced"]):
                    _done, finished, counter, _warnings = importer._import_catalog_slice(
                        session, path, 0, time.monotonic() + 600
                    )
            self.assertTrue(finished)
            totals.update(counter)
        return totals

    def _rows(self, table, where_column, ids, skip):
        """Rows pointing at ``ids``, in the order of ``ids`` (then of the pricelist), without ``skip`` columns."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT * FROM %s WHERE %s = ANY(%s)", SQL.identifier(table), SQL.identifier(where_column), ids)
        )
        columns = [d.name for d in self.env.cr.description]
        rows = [dict(zip(columns, row, strict=True)) for row in self.env.cr.fetchall()]
        position = {id_: n for n, id_ in enumerate(ids)}
        rows.sort(key=lambda row: (position[row[where_column]], row.get("pricelist_id") or 0))
        return [{c: v for c, v in row.items() if c not in skip} for row in rows]

    def assertSameRows(self, rows_a, rows_b, what):
        self.assertEqual(len(rows_a), len(rows_b), what)
        for row_a, row_b in zip(rows_a, rows_b, strict=True):
            differ = {column: (row_a[column], row_b[column]) for column in row_a if row_a[column] != row_b[column]}
            self.assertFalse(differ, f"{what}: columns differ")

    def _templates(self, prefix):
        return (
            self.env["product.template"]
            .with_context(active_test=False)
            .search([("onec_guid", "=like", f"{prefix}-%")])
            .sorted(lambda t: int(t.onec_guid.rsplit("-", 1)[1]))
        )

    def test_per_record_fields_are_known(self):
        importer = self.env["mlm.onec.importer"]
        # nothing installed computes a stored field from the per-record fields: the fast path is taken...
        self.assertEqual(
            importer._fast_create_blockers(
                "product.template",
                ("name", "description_sale", "onec_properties", "onec_guid", "onec_hash", "default_code", "barcode"),
                {"product_variant_ids": ("default_code", "barcode")},
            ),
            [],
        )
        # ...and a field that does drive stored computes would be detected (sale's invoice policy, ...)
        self.assertTrue(importer._fast_create_blockers("product.template", ("type",)))
        # every create() override installed on the copied models is one test_set_based_equals_orm proves equal
        for model in BULK_MODELS:
            self.assertEqual(importer._unknown_create_overrides(model), [], model)
            overriding = {cls.__module__ for cls in type(self.env[model]).__mro__ if "create" in vars(cls)}
            self.assertLessEqual(overriding, mlm_onec_importer.KNOWN_CREATE_OVERRIDES)
            self.assertIn("odoo.models", overriding)

    def _assert_same_catalog(self, prefix_a, prefix_b):
        """Every stored column of the templates, variants and price items of two imported copies is the same."""
        a, b = self._templates(prefix_a), self._templates(prefix_b)
        self.assertEqual((len(a), len(b)), (self.COUNT, self.COUNT))
        for table, column, ids_a, ids_b, skip in (
            ("product_template", "id", a.ids, b.ids, {"id", "onec_guid", "onec_hash", "website_sequence"}),
            ("product_product", "product_tmpl_id", a.ids, b.ids, {"id", "product_tmpl_id", "barcode"}),
            ("product_pricelist_item", "product_tmpl_id", a.ids, b.ids, {"id", "product_tmpl_id", "product_id"}),
        ):
            rows_a = self._rows(table, column, ids_a, skip)
            self.assertTrue(rows_a, table)
            self.assertSameRows(rows_a, self._rows(table, column, ids_b, skip), table)
        for x, y in zip(a, b, strict=True):
            self.assertEqual(x.taxes_id, y.taxes_id)
            self.assertEqual(x.route_ids, y.route_ids)
            self.assertEqual(x.name, y.name)
            self.assertEqual(x.onec_stock_ids.mapped("quantity"), y.onec_stock_ids.mapped("quantity"))
        return a, b

    def test_fast_path_with_installed_modules(self):
        """With the installed modules the rows are copied set-based (and test_set_based_equals_orm proves it
        equal to create)."""
        Importer = type(self.env["mlm.onec.importer"])
        original = Importer._clone_rows
        copied = []

        def spy(importer, model_name, *args, **kwargs):
            copied.append(model_name)
            return original(importer, model_name, *args, **kwargs)

        with patch.object(Importer, "_clone_rows", spy):
            totals = self._import("sql", 4700000000000, fast=True)
        self.assertEqual(totals["products_created"], self.COUNT)
        self.assertEqual(set(copied), set(BULK_MODELS))

    def test_unknown_create_override_falls_back_to_create(self):
        """A create() override the copy is not proven equal to (here: account's on product.template and product's
        on pricelist items, taken out of the known list, as a company's own module would be): Odoo's create runs
        for every record, the log says why, and the result is the same as the set-based one."""
        known = mlm_onec_importer.KNOWN_CREATE_OVERRIDES - {
            "odoo.addons.account.models.product",
            "odoo.addons.product.models.product_pricelist_item",
        }
        importer = self.env["mlm.onec.importer"]

        def no_copy(*args, **kwargs):
            raise AssertionError("rows copied despite an unknown create() override")

        with (
            patch.object(mlm_onec_importer, "KNOWN_CREATE_OVERRIDES", known),
            patch.object(type(importer), "_clone_rows", no_copy),
            patch.object(mlm_onec_importer, "_logger") as logger,
        ):
            self.assertEqual(
                importer._unknown_create_overrides("product.template"),
                ["product.template.create() overridden in odoo.addons.account.models.product"],
            )
            self.assertEqual(importer._unknown_create_overrides("product.product"), [])
            fallback = self._import("fbk", 4800000000000, fast=True)
        self.assertEqual(
            [args[0] % args[1:] for args, _kw in logger.info.call_args_list],
            [
                (
                    "1C import: products created by Odoo's create() in batches of 7, not copied set-based, because of "
                    "product.template.create() overridden in odoo.addons.account.models.product"
                ),
                (
                    "1C import: price items created by Odoo's create(), not copied set-based, because of "
                    "product.pricelist.item.create() overridden in odoo.addons.product.models.product_pricelist_item"
                ),
            ],
        )
        fast = self._import("sql", 4700000000000, fast=True)
        keys = ("products_created", "prices_created", "stock_updated")
        self.assertEqual([fallback[k] for k in keys], [fast[k] for k in keys])
        self.assertEqual(fallback["products_created"], self.COUNT)
        self.assertEqual(fallback["prices_created"], 2 * self.COUNT)
        created, copied = self._assert_same_catalog("fbk", "sql")
        self.assertEqual(len(created.product_variant_ids), self.COUNT)
        self.assertEqual(len(copied.product_variant_ids), self.COUNT)

    def test_set_based_equals_orm(self):
        slow = self._import("orm", 4600000000000, fast=False)
        fast = self._import("sql", 4700000000000, fast=True)
        keys = ("products_created", "prices_created", "stock_updated")
        self.assertEqual([slow[k] for k in keys], [fast[k] for k in keys], "the same figures either way")
        self.assertEqual(fast["products_created"], self.COUNT)
        orm, sql = self._templates("orm"), self._templates("sql")
        self.assertEqual(len(orm), self.COUNT)
        self.assertEqual(len(sql), self.COUNT)
        skip = {"id", "onec_guid", "onec_hash", "website_sequence"}
        self.assertSameRows(
            self._rows("product_template", "id", orm.ids, skip),
            self._rows("product_template", "id", sql.ids, skip),
            "product_template",
        )
        skip = {"id", "product_tmpl_id", "barcode"}
        self.assertSameRows(
            self._rows("product_product", "product_tmpl_id", orm.ids, skip),
            self._rows("product_product", "product_tmpl_id", sql.ids, skip),
            "product_product",
        )
        skip = {"id", "product_tmpl_id", "product_id"}
        self.assertSameRows(
            self._rows("product_pricelist_item", "product_tmpl_id", orm.ids, skip),
            self._rows("product_pricelist_item", "product_tmpl_id", sql.ids, skip),
            "product_pricelist_item",
        )
        for a, b in zip(orm, sql, strict=True):
            self.assertEqual(a.taxes_id, b.taxes_id)
            self.assertEqual(a.supplier_taxes_id, b.supplier_taxes_id)
            self.assertEqual(a.route_ids, b.route_ids)
            self.assertEqual((a.barcode[:2], b.barcode[:2]), ("46", "47"))
            self.assertEqual(a.name, b.name)
            self.assertEqual(a.onec_stock_ids.mapped("quantity"), b.onec_stock_ids.mapped("quantity"))
        self.assertIn(self.env.ref("uom.product_uom_kgm"), sql.uom_id)
        if "website_sequence" in sql._fields:  # each copy comes last, one after the other, as a new product does
            sequences = sql.sorted("id").mapped("website_sequence")
            self.assertEqual(len(set(sequences)), len(sequences))
        self.assertIn("service", sql.mapped("type"))
        self.assertEqual(len(sql.taxes_id.filtered(lambda t: t.amount == 12)), 1)
        # every table that points at a product has as many rows for one copy as for the other
        self.env.cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text
                 FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND c.confrelid IN ('product_template'::regclass, 'product_product'::regclass)"""
        )
        for table, column, target in self.env.cr.fetchall():
            ids_orm = orm.ids if target == "product_template" else orm.product_variant_ids.ids
            ids_sql = sql.ids if target == "product_template" else sql.product_variant_ids.ids
            self.env.cr.execute(
                SQL(
                    "SELECT (SELECT count(*) FROM %(t)s WHERE %(c)s = ANY(%(a)s)), "
                    "(SELECT count(*) FROM %(t)s WHERE %(c)s = ANY(%(b)s))",
                    t=SQL.identifier(table),
                    c=SQL.identifier(column),
                    a=ids_orm,
                    b=ids_sql,
                )
            )
            count_orm, count_sql = self.env.cr.fetchone()
            self.assertEqual(count_orm, count_sql, f"{table}.{column}")
        # the copies work in Odoo's flows: a quotation prices them from the pricelist and confirms
        partner = self.env["res.partner"].create({"name": "Bulk buyer"})
        pricelist = self.env["product.pricelist"].search([("onec_guid", "=", "bulk-price-2")])
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "pricelist_id": pricelist.id,
                "order_line": [(0, 0, {"product_id": sql[3].product_variant_id.id, "product_uom_qty": 2})],
            }
        )
        self.assertEqual(order.order_line.price_unit, 93.0)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_reimport_and_changes_on_copies(self):
        self._import("sql", 4700000000000, fast=True)
        again = self._import("sql", 4700000000000, fast=True)
        self.assertEqual(again.get("products_unchanged"), self.COUNT)
        self.assertFalse(again.get("products_created"))
        self.assertFalse(again.get("prices_created"))
        self.assertFalse(again.get("prices_updated"))
        # a changed product in a later import is written through the ORM like any other
        product = self._templates("sql")[5]
        product.onec_hash = "outdated"
        third = self._import("sql", 4700000000000, fast=True)
        self.assertEqual(third.get("products_updated"), 1)
