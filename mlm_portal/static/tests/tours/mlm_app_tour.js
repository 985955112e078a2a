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

/** Every back-office page fits a 375 px phone: no horizontal overflow, no control cut off. */
function fits(page) {
    return {
        content: `${page} fits the phone`,
        trigger: ".o_mlm_nav, .o_portal_my_home, #wrap",
        run: () => {
            const width = document.documentElement.clientWidth;
            const overflow = document.documentElement.scrollWidth - width;
            if (overflow > 1) {
                const wide = [...document.querySelectorAll("body *")]
                    .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest(".o_mlm_nav, .table-responsive, .o_mlm_tree"))
                    .slice(0, 5)
                    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`);
                throw new Error(`${page} overflows by ${overflow}px: ${wide.join(", ")}`);
            }
            for (const control of document.querySelectorAll("main a.btn, main button, main input, main select")) {
                const box = control.getBoundingClientRect();
                const hidden =
                    control.closest(".o_mlm_nav, .table-responsive, .offcanvas, .modal, .dropdown-menu, .collapse:not(.show)") ||
                    (control.checkVisibility && !control.checkVisibility({ visibilityProperty: true }));
                if (box.width && !hidden && (box.left < -1 || box.right > width + 1)) {
                    throw new Error(`${page}: a control is cut off: ${control.outerHTML.slice(0, 120)}`);
                }
            }
        },
    };
}

function go(url) {
    return {
        content: `open ${url}`,
        trigger: "body",
        run: () => {
            window.location.href = url;
        },
        expectUnloadPage: true,
    };
}

const PAGES = [
    "/my",
    "/my/network",
    "/my/network/tree",
    "/my/volume",
    "/my/commissions",
    "/my/referral",
    "/my/team",
    "/my/profile",
    "/my/notifications",
    "/my/account",
    "/my/security",
];

registry.category("web_tour.tours").add("mlm_portal_phone_fit_tour", {
    steps: () => [
        ...PAGES.flatMap((url, i) => (i ? [go(url), fits(url)] : [fits(url)])),
        go("/my/network"),
        { trigger: ".o_mlm_network_card a:contains(Carol)", run: "click", expectUnloadPage: true },
        fits("a member card"),
        go("/my/commissions"),
        { trigger: ".o_mlm_commission_list_phone a, .o_mlm_statement_row a", run: "click", expectUnloadPage: true },
        fits("a statement"),
        go("/my/referral"),
        {
            content: "open my personal page (/ref/<ID>)",
            trigger: "a.o_mlm_ref_preview",
            run: () => {
                window.location.href = document.querySelector("a.o_mlm_ref_preview").href;
            },
            expectUnloadPage: true,
        },
        { content: "the personal page shows", trigger: ".o_mlm_ref_page .o_mlm_ref_shop" },
        fits("the personal page"),
    ],
});
