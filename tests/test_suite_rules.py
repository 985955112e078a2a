"""Rules every add-on of the suite must follow, checked on the installed database."""

import ast
import pathlib

from odoo.tests import TransactionCase, tagged

REPO = pathlib.Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent.name for p in REPO.glob("*/__manifest__.py"))
LANGUAGES = ("ru", "es", "kk")


@tagged("post_install", "-at_install")
class TestSuiteRules(TransactionCase):
    def _installed_addons(self):
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS), ("state", "=", "installed")])
        return modules.mapped("name")

    def _models_of(self, addon):
        """Models ``addon`` defines (not the Odoo models it extends, whose rules belong to Odoo)."""
        data = self.env["ir.model.data"].search([("module", "=", addon), ("model", "=", "ir.model")])
        return (
            self.env["ir.model"]
            .browse(data.mapped("res_id"))
            .filtered(lambda m: m.model in self.env and self.env[m.model]._original_module == addon)
        )

    def test_every_addon_is_installed(self):
        self.assertEqual(sorted(self._installed_addons()), ADDONS)

    def test_every_model_has_access_rules_with_groups(self):
        for addon in self._installed_addons():
            for model in self._models_of(addon):
                if self.env[model.model]._abstract:
                    continue
                with self.subTest(model=model.model):
                    accesses = self.env["ir.model.access"].search([("model_id", "=", model.id)])
                    self.assertTrue(accesses, f"{model.model} has no access rule")
                    self.assertTrue(all(accesses.mapped("group_id")), f"{model.model} has an access row without group")

    def test_company_models_have_multi_company_rules(self):
        for addon in self._installed_addons():
            for model in self._models_of(addon):
                Model = self.env[model.model]
                if Model._abstract or Model._transient or "company_id" not in Model._fields:
                    continue
                if not Model._fields["company_id"].store:
                    continue
                with self.subTest(model=model.model):
                    rules = self.env["ir.rule"].search([("model_id", "=", model.id)])
                    self.assertTrue(
                        any("company_ids" in (r.domain_force or "") for r in rules),
                        f"{model.model} has no multi-company rule",
                    )

    def test_identity_and_secret_fields_are_restricted(self):
        """Fields our add-ons define (not the ones of the models they extend) that hold secrets or identity data."""
        sensitive = ("identity_number", "kyc_photo", "kyc_document", "password", "api_key", "secret", "token")
        for addon in self._installed_addons():
            data = self.env["ir.model.data"].search([("module", "=", addon), ("model", "=", "ir.model.fields")])
            for field_record in self.env["ir.model.fields"].browse(data.mapped("res_id")):
                field = self.env[field_record.model]._fields.get(field_record.name)
                if not field or field.inherited or not any(word in field.name for word in sensitive):
                    continue
                if field._module not in ADDONS or field.type in ("many2one", "one2many", "many2many"):
                    # a field of an Odoo mixin a model of ours inherits (portal.mixin's access token), or a
                    # reference to a record (a saved card) that the target model's own access rules protect
                    continue
                if field.type in ("integer", "boolean") or field.name.endswith("_count"):
                    continue  # counters and switches carry no secret
                with self.subTest(field=f"{field_record.model}.{field.name}"):
                    self.assertTrue(field.groups, f"{field_record.model}.{field.name} is readable by everyone")


def test_every_addon_documents_and_translates_itself():
    """Plain check, no database: readme fragments, manifest keys, .pot and ru/es/kk translations."""
    for addon in ADDONS:
        path = REPO / addon
        manifest = ast.literal_eval((path / "__manifest__.py").read_text())
        assert manifest["license"] == "LGPL-3", addon
        assert manifest["version"].startswith("18.0."), addon
        for fragment in ("DESCRIPTION.md", "USAGE.md", "CONFIGURE.md"):
            assert (path / "readme" / fragment).is_file(), f"{addon}/readme/{fragment}"
        assert (path / "i18n" / f"{addon}.pot").is_file(), f"{addon}/i18n/{addon}.pot"
        for lang in LANGUAGES:
            assert (path / "i18n" / f"{lang}.po").is_file(), f"{addon}/i18n/{lang}.po"
