import logging
import re

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools import email_normalize, escape_psql
from odoo.tools.image import image_data_uri

from odoo.addons.auth_signup.models.res_partner import SignupError

from ..models.website import REFERRAL_COOKIE

_logger = logging.getLogger(__name__)

COOKIE_AGE = 30 * 24 * 3600  # a referral is remembered for 30 days
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class MlmSignup(http.Controller):
    def _sponsor(self, code):
        """The living distributor behind a referral code, in the website's company, or an empty recordset."""
        if not CODE_PATTERN.match(code or ""):
            return request.env["mlm.distributor"]
        return (
            request.env["mlm.distributor"]
            .sudo()
            .search(
                [
                    ("code", "=", code),
                    ("company_id", "=", request.website.company_id.id),
                    ("status", "not in", ("terminated", "suspended")),
                ],
                limit=1,
            )
        )

    def _remember_referral(self, response, sponsor):
        response.set_cookie(REFERRAL_COOKIE, sponsor.code, max_age=COOKIE_AGE, httponly=True, samesite="Lax")
        return response

    def _log_attempt(self, result, code, email="", message="", distributor=None):
        request.env["mlm.portal.signup.attempt"].sudo().create(
            {
                "ip_address": request.httprequest.remote_addr or "unknown",
                "sponsor_code": (code or "")[:32],
                "email": (email or "")[:254],
                "result": result,
                "message": (message or "")[:500],
                "distributor_id": distributor.id if distributor else False,
                "company_id": request.website.company_id.id,
            }
        )

    def _render_unknown(self, code):
        values = {"code": code}
        return request.render("mlm_portal.signup_unknown_sponsor", values, status=404)

    @http.route("/ref/<string:code>", type="http", auth="public", website=True, sitemap=False)
    def referral_shop(self, code, **kw):
        """A customer's referral link: remember the distributor, then show their personal page (photo, greeting,
        featured products, contact, "Shop now" and "Join")."""
        sponsor = self._sponsor(code)
        if not sponsor:
            return self._render_unknown(code)
        return self._remember_referral(request.render("mlm_portal.ref_page", self._ref_page_values(sponsor)), sponsor)

    def _ref_page_values(self, sponsor_sudo):
        partner_sudo = sponsor_sudo.partner_id
        company = request.website.company_id
        shared = sponsor_sudo.portal_share_contact
        return {
            "sponsor": sponsor_sudo,
            "company": company,
            "photo": image_data_uri(partner_sudo.image_256) if partner_sudo.image_256 else False,
            "initials": sponsor_sudo._ref_page_initials(),
            "products": sponsor_sudo._ref_page_products(),
            "email": shared and partner_sudo.email,
            "phone": shared and (partner_sudo.phone or partner_sudo.mobile),
            "brand_style": f"--mlm-primary: {company.primary_color or '#714B67'}; "
            f"--mlm-secondary: {company.secondary_color or '#017E84'};",
        }

    @http.route("/join/<string:code>", type="http", auth="public", website=True, sitemap=False, methods=["GET", "POST"])
    def join(self, code, **post):
        sponsor = self._sponsor(code)
        company = request.website.company_id
        if not sponsor:
            if request.httprequest.method == "POST":
                self._log_attempt("unknown_sponsor", code)
            return self._render_unknown(code)
        values = {
            "sponsor": sponsor,
            "code": code,
            "company": company,
            "post": post,
            "error": None,
            "countries": request.env["res.country"].sudo().search([]),
        }
        if request.httprequest.method == "POST":
            ip_address = request.httprequest.remote_addr or "unknown"
            Attempt = request.env["mlm.portal.signup.attempt"]
            if Attempt._is_rate_limited(ip_address, company):
                self._log_attempt("rate_limited", code, post.get("email"))
                values["error"] = request.env._(
                    "Too many sign-up attempts from your network. Please try again in an hour."
                )
                return request.render("mlm_portal.signup_form", values, status=429)
            error, __ = self._signup(sponsor, post)
            if error:
                values["error"] = error
                return self._remember_referral(request.render("mlm_portal.signup_form", values, status=400), sponsor)
            values["email"] = email_normalize(post.get("email") or "")
            return self._remember_referral(request.render("mlm_portal.signup_done", values), sponsor)
        return self._remember_referral(request.render("mlm_portal.signup_form", values), sponsor)

    def _signup(self, sponsor, post):
        """(error message, distributor): create the contact, the portal user (invited by e-mail to set a password,
        which proves the address) and the distributor under ``sponsor``; nothing is kept on any error."""
        name = (post.get("name") or "").strip()[:128]
        email = email_normalize(post.get("email") or "")
        phone = (post.get("phone") or "").strip()[:32]
        country_id = int(post["country_id"]) if str(post.get("country_id") or "").isdigit() else False
        code = sponsor.code
        if not name or not email:
            self._log_attempt("invalid", code, post.get("email"))
            return request.env._("Please give your name and a valid e-mail address."), None
        if not post.get("accept_agreement") or not post.get("accept_privacy"):
            self._log_attempt("invalid", code, email)
            return request.env._("Please accept the distributor agreement and the privacy policy."), None
        Users = request.env["res.users"].sudo()
        # exact, case-insensitive (``email`` is normalised, lower case): never a pattern the visitor can shape
        registered = Users.with_context(active_test=False).search(
            ["|", ("login", "=ilike", escape_psql(email)), ("partner_id.email_normalized", "=", email)], limit=1
        )
        if registered:
            # the answer is the one of a new sign-up: the page does not tell whether the address is registered;
            # the owner of the address gets Odoo's password reset e-mail instead, as Odoo's reset form does
            self._log_attempt("duplicate", code, email)
            self._send_reset_email(registered)
            return None, None
        company = sponsor.company_id
        try:
            with request.env.cr.savepoint():
                partner = (
                    request.env["res.partner"]
                    .sudo()
                    .create(
                        {
                            "name": name,
                            "email": email,
                            "phone": phone,
                            "country_id": country_id,
                            "lang": request.lang.code,
                            "company_id": company.id,
                        }
                    )
                )
                distributor = (
                    request.env["mlm.distributor"]
                    .sudo()
                    .with_company(company)
                    .enroll(
                        partner,
                        sponsor,
                        status="prospect",
                        enrollment_source="portal",
                        company_id=company.id,
                        agreement_version=company.mlm_agreement_version,
                        agreement_date=fields.Datetime.now(),
                        agreement_ip=request.httprequest.remote_addr,
                        privacy_version=company.mlm_privacy_version,
                        privacy_date=fields.Datetime.now(),
                        **self._utm_values(),
                    )
                )
                if company.mlm_distributor_pricelist_id:
                    partner.property_product_pricelist = company.mlm_distributor_pricelist_id
                user = Users.with_company(company)._create_user_from_template(
                    {"login": email, "partner_id": partner.id, "company_id": company.id, "company_ids": [company.id]}
                )
                self._send_signup_email(user, distributor)
        except (UserError, ValidationError, SignupError) as error:
            self._log_attempt("duplicate", code, email, str(error))
            return str(error), None
        self._log_attempt("ok", code, email, distributor=distributor)
        _logger.info("Portal sign-up of distributor %s under %s", distributor.code, sponsor.code)
        return None, distributor

    def _send_signup_email(self, user, distributor):
        """The company's welcome mail (sponsor, distributor ID, the link to set the password, the referral link,
        first steps), queued: the set-password link in it proves the e-mail address. Queued rather than sent
        inline, so that a slow or absent mail server never loses a sign-up."""
        user.partner_id.signup_prepare(signup_type="signup")
        template = request.env.ref("mlm_portal.mail_template_welcome").sudo()
        template.send_mail(
            distributor.id,
            force_send=False,
            email_values={"email_to": user.email, "recipient_ids": [], "partner_ids": [], "email_cc": False},
        )

    def _send_reset_email(self, user):
        """Odoo's password reset e-mail to an address that tried to sign up again, queued like the invitation."""
        if not user.active or not user.email:
            return
        user.partner_id.signup_prepare(signup_type="reset")
        lang = user.lang or request.env.lang or "en_US"
        body = (
            request.env["mail.render.mixin"]
            .sudo()
            .with_context(lang=lang)
            ._render_template(
                request.env.ref("auth_signup.reset_password_email"),
                model="res.users",
                res_ids=user.ids,
                engine="qweb_view",
                options={"post_process": True},
            )[user.id]
        )
        request.env["mail.mail"].sudo().create(
            {
                "subject": request.env(context=dict(request.env.context, lang=lang))._("Password reset"),
                "email_from": user.company_id.email_formatted or user.email_formatted,
                "email_to": user.email_formatted,
                "body_html": body,
                "auto_delete": True,
                "message_type": "user_notification",
            }
        )

    def _utm_values(self):
        """Campaign, source and medium of the referral link (Odoo's UTM cookies), as distributor values."""
        values = {}
        Mixin = request.env["utm.mixin"].sudo()
        for parameter, field_name, cookie_name in Mixin.tracking_fields():
            value = request.params.get(parameter) or request.httprequest.cookies.get(cookie_name)
            if value and field_name in request.env["mlm.distributor"]._fields:
                comodel = request.env["mlm.distributor"]._fields[field_name].comodel_name
                record = Mixin._find_or_create_record(comodel, value[:100])
                values[field_name] = record.id
        return values
