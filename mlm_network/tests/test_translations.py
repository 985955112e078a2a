from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    def _load(self, code):
        self.env["res.lang"]._activate_lang(code)
        self.env["ir.module.module"].search([("name", "=", "mlm_network")])._update_translations(code)

    def test_russian_spanish_kazakh_terms_load(self):
        diamond = self.env.ref("mlm_network.rank_diamond")
        for code, expected_rank, expected_model in (
            ("ru_RU", "Бриллиант", "Дистрибьютор"),
            ("es_ES", "Diamante", "Distribuidor"),
            ("kk_KZ", "Гауһар", "Дистрибьютор"),
        ):
            with self.subTest(lang=code):
                self._load(code)
                self.assertEqual(diamond.with_context(lang=code).name, expected_rank)
                model = self.env["ir.model"]._get("mlm.distributor").with_context(lang=code)
                self.assertEqual(model.name, expected_model)

    def test_python_messages_are_translated(self):
        self._load("ru_RU")
        dist = self.env["mlm.distributor"].with_context(lang="ru_RU")
        message = dist.env._("Only MLM managers can move distributors in the genealogy.")
        self.assertNotEqual(message, "Only MLM managers can move distributors in the genealogy.")
