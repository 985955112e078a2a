from odoo.tests import HttpCase, tagged

from .common import MlmPortalCommon


@tagged("post_install", "-at_install")
class TestReferralSignup(HttpCase, MlmPortalCommon):
    """/join/<code>: consent, e-mail verification through Odoo's sign-up, duplicate checks, abuse protection."""

    def _form(self, code, **values):
        page = self.url_open(f"/join/{code}")
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        data = {
            "csrf_token": page.text[start : page.text.index('"', start)],
            "name": "Gulnara Sadykova",
            "email": "gulnara@example.com",
            "phone": "+7 701 555 0101",
            "accept_agreement": "1",
            "accept_privacy": "1",
        }
        data.update(values)
        return self.url_open(f"/join/{code}", data=data)

    def test_signup_under_the_sponsor_then_verify_email(self):
        self.company.write({"mlm_agreement_version": "2.1", "mlm_privacy_version": "3.0"})
        response = self.url_open(f"/join/{self.carol.code}?utm_campaign=Spring+Webinar&utm_source=instagram")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Carol", response.text)
        self.assertEqual(self.opener.cookies.get("mlm_ref"), self.carol.code)
        response = self._form(self.carol.code)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_mlm_join_done", response.text)
        user = self.env["res.users"].search([("login", "=", "gulnara@example.com")])
        self.assertTrue(user.has_group("base.group_portal"))
        distributor = user.partner_id.mlm_distributor_id
        self.assertEqual(distributor.sponsor_id, self.carol)
        self.assertEqual(distributor.status, "prospect")
        self.assertEqual(distributor.enrollment_source, "portal")
        self.assertEqual((distributor.agreement_version, distributor.privacy_version), ("2.1", "3.0"))
        self.assertTrue(distributor.agreement_date and distributor.privacy_date)
        self.assertEqual(distributor.sudo().agreement_ip, "127.0.0.1")
        self.assertEqual(distributor.campaign_id.name, "Spring Webinar")
        self.assertEqual(distributor.source_id.name, "instagram")
        # Odoo's sign-up e-mail carries the token; completing it proves the address and activates the distributor
        self.assertTrue(user.partner_id.signup_type)
        invitation = self.env["mail.mail"].search([("email_to", "=", "gulnara@example.com")])
        self.assertEqual(len(invitation), 1)
        self.assertIn("/web/signup?", invitation.body_html)
        self.assertIn(distributor.code, invitation.body_html)
        token = user.partner_id._generate_signup_token()
        self.env["res.users"].sudo().signup({"password": "a-strong-pass-42"}, token)
        self.assertEqual(distributor.status, "active")
        attempt = self.env["mlm.portal.signup.attempt"].search([("email", "=", "gulnara@example.com")])
        self.assertEqual(attempt.result, "ok")

    def test_welcome_mail_in_the_company_voice_on_the_public_url(self):
        """The welcome mail is ours: company, sponsor, new ID, set-password and referral links on the public site."""
        website = self.env["website"].search([("company_id", "=", self.company.id)], limit=1) or self.env[
            "website"
        ].create({"name": "Shop", "company_id": self.company.id})
        website.domain = "https://shop.example.com"
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://127.0.0.1:8069")
        self.assertEqual(self._form(self.carol.code).status_code, 200)
        user = self.env["res.users"].search([("login", "=", "gulnara@example.com")])
        distributor = user.partner_id.mlm_distributor_id
        mail = self.env["mail.mail"].search([("email_to", "=", "gulnara@example.com")])
        self.assertEqual(len(mail), 1)
        self.assertIn(self.company.name, mail.subject)
        body = mail.body_html
        for text in (
            self.carol.name,
            distributor.code,
            "https://shop.example.com/web/signup?",
            f"https://shop.example.com/join/{distributor.code}",
            f"https://shop.example.com/ref/{distributor.code}",
            "https://shop.example.com/my",
            f"https://shop.example.com/logo.png?company={self.company.id}",
        ):
            self.assertIn(text, body)
        self.assertNotIn("127.0.0.1", body)
        self.assertNotIn("auth_signup", body)  # not Odoo's stock invitation
        # the link in it sets the password and proves the address
        token = user.partner_id._generate_signup_token()
        self.env["res.users"].sudo().signup({"password": "a-strong-pass-42"}, token)
        self.assertEqual(distributor.status, "active")

    def test_welcome_mail_in_the_distributor_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env.ref("mlm_portal.mail_template_welcome").with_context(
            lang="ru_RU"
        ).subject = "Добро пожаловать в {{ object.company_id.name }}, {{ object.name }}"
        self.carol.partner_id.lang = "ru_RU"
        distributor = self.carol
        mail_id = self.env.ref("mlm_portal.mail_template_welcome").send_mail(distributor.id, force_send=False)
        self.assertIn("Добро пожаловать", self.env["mail.mail"].browse(mail_id).subject)

    def test_unknown_and_terminated_sponsors_are_refused(self):
        for code in ("D9999999", "x%3Cscript%3E", "D0000001%27--"):
            response = self.url_open(f"/join/{code}")
            self.assertEqual(response.status_code, 404)
            self.assertIn("o_mlm_join_unknown", response.text)
        self.dave.sudo().write({"status": "terminated"})
        self.env.flush_all()
        self.assertEqual(self.url_open(f"/join/{self.dave.code}").status_code, 404)
        self.assertEqual(self.url_open(f"/ref/{self.dave.code}", allow_redirects=False).status_code, 404)
        self.assertFalse(self.env["res.users"].search([("login", "=", "gulnara@example.com")]))

    def test_consent_and_duplicates(self):
        response = self._form(self.carol.code, accept_privacy="")
        self.assertEqual(response.status_code, 400)
        self.assertIn("privacy policy", response.text)
        # an address already used by a user: the answer of a sign-up, the owner gets a password reset e-mail
        users = self.env["res.users"].search_count([])
        response = self._form(self.carol.code, email="alice@example.com")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_mlm_join_done", response.text)
        self.assertEqual(self.env["res.users"].search_count([]), users)
        attempt = self.env["mlm.portal.signup.attempt"].search([("email", "=", "alice@example.com")])
        self.assertEqual(attempt.result, "duplicate")
        # the duplicate policy of mlm_network: blocking a phone already used by a distributor
        self.company.mlm_duplicate_policy = "block"
        self.carol.partner_id.phone = "+7 701 555 0101"
        self.env.flush_all()
        response = self._form(self.alice.code)
        self.assertEqual(response.status_code, 400)
        self.assertIn("same phone", response.text)
        self.assertFalse(self.env["res.users"].search([("login", "=", "gulnara@example.com")]))
        self.assertFalse(self.env["res.partner"].search([("email", "=", "gulnara@example.com")]))

    def test_rate_limit_per_ip(self):
        self.company.mlm_signup_rate_limit = 2
        self.env.flush_all()
        self._form(self.carol.code, email="one@example.com")
        self._form(self.carol.code, email="two@example.com")
        response = self._form(self.carol.code, email="three@example.com")
        self.assertEqual(response.status_code, 429)
        self.assertFalse(self.env["res.users"].search([("login", "=", "three@example.com")]))
        self.assertEqual(self.env["mlm.portal.signup.attempt"].search_count([("result", "=", "rate_limited")]), 1)
