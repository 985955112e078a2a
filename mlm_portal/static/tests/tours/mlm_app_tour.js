/** The back office as an installable app (run in Chromium by mlm_portal/tests/test_app.py). */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("mlm_portal_app_tour", {
    steps: () => [
        {
            content: "The manifest is linked",
            trigger: ".o_mlm_nav",
            run: () => {
                if (!document.querySelector("head link[rel=manifest][href='/my/manifest.webmanifest']")) {
                    throw new Error("no manifest link");
                }
            },
        },
        { content: "The service worker registered", trigger: "html[data-mlm-app-ready]" },
        {
            content: "It is active for /my, controls the page and keeps the pages it saw for offline use",
            trigger: "html[data-mlm-app-ready]",
            run: async () => {
                const registration = await navigator.serviceWorker.ready;
                if (!registration.active || registration.scope !== `${location.origin}/my`) {
                    throw new Error(`no active worker for /my: ${registration.scope}`);
                }
                for (let i = 0; i < 50 && !navigator.serviceWorker.controller; i++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (!navigator.serviceWorker.controller) {
                    throw new Error("the page is not controlled by the worker");
                }
                const page = await fetch("/my/volume", { headers: { accept: "text/html" } });
                if (!page.ok) {
                    throw new Error(`volume page: ${page.status}`);
                }
                const kept = await (await caches.open("mlm-app-pages-v1")).match("/my/volume");
                if (!kept || !kept.headers.get("X-MLM-Saved-At")) {
                    throw new Error("the page was not kept for offline use");
                }
                const manifest = await (await fetch("/my/manifest.webmanifest")).json();
                if (manifest.scope !== "/my" || manifest.display !== "standalone") {
                    throw new Error("unexpected manifest");
                }
                document.body.classList.add("o_mlm_app_checked");
            },
        },
        { content: "Checked", trigger: "body.o_mlm_app_checked" },
    ],
});
