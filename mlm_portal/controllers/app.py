"""The distributor back office as an installable web app: manifest, service worker, icons.

The manifest names the app after the website's company, with its colour and logo; the service worker (scope
``/my``) keeps the last copy of each back-office page it loaded, serves it marked "offline" when the network is
gone, forgets everything at logout, and shows the web-push notifications of ``mail``'s machinery.
"""

import base64
import io

from PIL import Image

from odoo import http
from odoo.http import request
from odoo.tools import file_open

DEFAULT_COLOR = "#875A7B"
ICON_SIZES = (192, 512)


class MlmPortalApp(http.Controller):
    def _mlm_app_company(self):
        website = getattr(request, "website", None) or request.env["website"].sudo().get_current_website()
        return (website.company_id if website else request.env.company).sudo()

    def _mlm_app_manifest(self):
        company = self._mlm_app_company()
        color = company.primary_color or DEFAULT_COLOR
        name = request.env._("%(company)s Back Office", company=company.name)
        return {
            "id": "/my",
            "name": name,
            "short_name": company.name[:12],
            "description": request.env._("Your network, volume and commissions at %(company)s", company=company.name),
            "lang": request.env.lang or "en_US",
            "start_url": "/my?source=app",
            "scope": "/my",
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": color,
            "icons": [
                {"src": f"/mlm/app/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
                for size in ICON_SIZES
            ]
            + [{"src": "/mlm/app/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"}],
            "shortcuts": [
                {"name": request.env._("My Network"), "url": "/my/network"},
                {"name": request.env._("My Volume"), "url": "/my/volume"},
                {"name": request.env._("My Commissions"), "url": "/my/commissions"},
            ],
        }

    @http.route("/my/manifest.webmanifest", type="http", auth="public", methods=["GET"], website=True, readonly=True)
    def mlm_app_manifest(self):
        return request.make_json_response(
            self._mlm_app_manifest(), headers={"Content-Type": "application/manifest+json"}
        )

    @http.route("/my/service-worker.js", type="http", auth="public", methods=["GET"], readonly=True)
    def mlm_app_service_worker(self):
        with file_open("mlm_portal/static/src/app/service_worker.js") as source:
            body = source.read()
        offline = request.env._("Offline: the figures below are the last ones this device saw, on")
        body = body.replace("__MLM_OFFLINE_TEXT__", offline.replace("\\", "").replace('"', "'"))
        return request.make_response(
            body,
            headers=[
                ("Content-Type", "text/javascript"),
                ("Service-Worker-Allowed", "/my"),
                ("Cache-Control", "no-cache"),
            ],
        )

    @http.route(
        ["/mlm/app/icon-<int:size>.png"], type="http", auth="public", methods=["GET"], website=True, readonly=True
    )
    def mlm_app_icon(self, size):
        """The company's logo on a square white tile (what Android and iOS install), else the add-on's icon."""
        if size not in ICON_SIZES:
            raise request.not_found()
        company = self._mlm_app_company()
        if company.logo:
            logo = Image.open(io.BytesIO(base64.b64decode(company.logo))).convert("RGBA")
        else:
            with file_open("mlm_portal/static/img/app_icon.png", "rb") as source:
                logo = Image.open(io.BytesIO(source.read())).convert("RGBA")
        # the logo inside the safe zone of a maskable icon (80 %), on a white square
        logo.thumbnail((int(size * 0.8), int(size * 0.8)))
        tile = Image.new("RGBA", (size, size), (255, 255, 255, 255))
        tile.alpha_composite(logo, ((size - logo.width) // 2, (size - logo.height) // 2))
        out = io.BytesIO()
        tile.convert("RGB").save(out, format="PNG", optimize=True)
        image = out.getvalue()
        return request.make_response(
            image, headers=[("Content-Type", "image/png"), ("Cache-Control", "public, max-age=86400")]
        )

    # ------------------------------------------------------------------ web push and notification switches
    @http.route("/mlm/app/vapid", type="json", auth="user", methods=["POST"])
    def mlm_app_vapid(self):
        """The VAPID public key of ``mail``'s web-push machinery (generated on first use)."""
        return request.env["mail.push.device"].get_web_push_vapid_public_key()

    @http.route("/mlm/app/push/register", type="json", auth="user", methods=["POST"])
    def mlm_app_push_register(self, endpoint, keys, vapid_public_key):
        """Register this device for the logged-in user's partner (``mail``'s own registration, which checks the
        key and binds the device to ``env.user``)."""
        request.env["mail.push.device"].register_devices(
            endpoint=endpoint, keys=keys, vapid_public_key=vapid_public_key
        )
        return True
