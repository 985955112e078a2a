/** @odoo-module **/
// Registers the back office's service worker on /my pages, forgets the pages it kept when nobody (or somebody
// else) is logged in on this device, and subscribes the device to web push when the distributor asks for it.
import { rpc } from "@web/core/network/rpc";
import { session } from "@web/session";
import { user } from "@web/core/user";

const PAGES = "mlm-app-pages-v1";

function urlBase64ToUint8Array(base64) {
    const padding = "=".repeat((4 - (base64.length % 4)) % 4);
    const raw = atob((base64 + padding).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from([...raw].map((c) => c.charCodeAt(0)));
}

export async function mlmSubscribePush() {
    const registration = await navigator.serviceWorker.getRegistration("/my");
    if (!registration || !("PushManager" in window)) {
        return false;
    }
    if ((await Notification.requestPermission()) !== "granted") {
        return false;
    }
    const key = await rpc("/mlm/app/vapid");
    const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: urlBase64ToUint8Array(key),
    });
    const data = subscription.toJSON();
    await rpc("/mlm/app/push/register", { endpoint: data.endpoint, keys: data.keys, vapid_public_key: key });
    return true;
}

function currentUid() {
    return session.is_public ? "" : String(user.userId || "");
}

async function forgetOtherUsers() {
    const uid = currentUid();
    const known = window.localStorage.getItem("mlm_app_uid") || "";
    if (!uid || known !== uid) {
        if (window.caches) {
            await window.caches.delete(PAGES);
        }
        if (uid) {
            window.localStorage.setItem("mlm_app_uid", uid);
        } else {
            window.localStorage.removeItem("mlm_app_uid");
        }
    }
}

async function start() {
    if (!("serviceWorker" in navigator)) {
        return;
    }
    await forgetOtherUsers();
    const path = window.location.pathname;
    if (currentUid() && (path === "/my" || path.startsWith("/my/"))) {
        await navigator.serviceWorker.register("/my/service-worker.js", { scope: "/my" });
        document.documentElement.dataset.mlmAppReady = "1";
    }
    for (const button of document.querySelectorAll(".o_mlm_push_enable")) {
        button.addEventListener("click", async (ev) => {
            ev.preventDefault();
            const ok = await mlmSubscribePush();
            button.closest(".o_mlm_push")?.classList.toggle("o_mlm_push_on", ok);
        });
    }
}

if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
} else {
    start();
}

// The tab bar's fade (its scroll hint) goes once the last tab is in view.
function watchNavEnd() {
    for (const nav of document.querySelectorAll(".o_mlm_nav")) {
        const update = () =>
            nav.classList.toggle("o_mlm_nav_end", nav.scrollLeft + nav.clientWidth >= nav.scrollWidth - 4);
        nav.addEventListener("scroll", update, { passive: true });
        update();
    }
}
if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watchNavEnd);
} else {
    watchNavEnd();
}
