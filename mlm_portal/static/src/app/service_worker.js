// @odoo-module ignore
/* eslint-disable no-restricted-globals */
// The distributor back office's service worker (scope /my), served by /my/service-worker.js.
// Network first for the back office's pages; the last copy of each page is kept and shown, marked offline, when the
// network is gone. Web-push notifications (title, options.body, options.data.url) open the page they name.
const PAGES = "mlm-app-pages-v1";
const OFFLINE_TEXT = "__MLM_OFFLINE_TEXT__";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function isBackOfficePage(request) {
    const url = new URL(request.url);
    return (
        request.method === "GET" &&
        url.origin === self.location.origin &&
        (url.pathname === "/my" || url.pathname.startsWith("/my/")) &&
        !url.pathname.endsWith(".js") &&
        !url.pathname.endsWith(".webmanifest") &&
        (request.mode === "navigate" || (request.headers.get("accept") || "").includes("text/html"))
    );
}

function escapeHtml(text) {
    return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function offlineCopy(request) {
    const cache = await caches.open(PAGES);
    const cached = await cache.match(request, { ignoreSearch: false });
    if (!cached) {
        return new Response(
            `<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>` +
                `<body><div class="o_mlm_offline" style="padding:16px;font-family:sans-serif">${escapeHtml(
                    OFFLINE_TEXT
                )} -</div></body></html>`,
            { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
        );
    }
    const savedAt = new Date(Number(cached.headers.get("X-MLM-Saved-At") || Date.now()));
    const banner =
        `<div class="o_mlm_offline alert alert-warning text-center m-0 rounded-0" role="status">` +
        `${escapeHtml(OFFLINE_TEXT)} <time datetime="${savedAt.toISOString()}">${escapeHtml(
            savedAt.toLocaleString()
        )}</time></div>`;
    const html = (await cached.text()).replace(/<body([^>]*)>/i, (match) => match + banner);
    return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function networkFirst(request) {
    try {
        const response = await fetch(request);
        const type = response.headers.get("content-type") || "";
        if (response.ok && !response.redirected && type.includes("text/html")) {
            const body = await response.clone().text();
            const headers = new Headers({ "Content-Type": type, "X-MLM-Saved-At": String(Date.now()) });
            const cache = await caches.open(PAGES);
            await cache.put(request, new Response(body, { headers }));
        }
        return response;
    } catch {
        return offlineCopy(request);
    }
}

self.addEventListener("fetch", (event) => {
    if (isBackOfficePage(event.request)) {
        event.respondWith(networkFirst(event.request));
    }
});

self.addEventListener("message", (event) => {
    if (event.data && event.data.type === "mlm-forget") {
        event.waitUntil(caches.delete(PAGES));
    }
});

self.addEventListener("push", (event) => {
    const notification = event.data ? event.data.json() : {};
    const options = notification.options || {};
    options.icon = options.icon || "/mlm/app/icon-192.png";
    event.waitUntil(self.registration.showNotification(notification.title || "", options));
});

self.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const url = (event.notification.data && event.notification.data.url) || "/my";
    event.waitUntil(
        self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
            for (const client of clients) {
                if (new URL(client.url).pathname === new URL(url, self.location.origin).pathname && "focus" in client) {
                    return client.focus();
                }
            }
            return self.clients.openWindow(url);
        })
    );
});
