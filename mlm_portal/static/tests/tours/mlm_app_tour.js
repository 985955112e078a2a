/** The back office as an installable app (run in Chromium by mlm_portal/tests/test_app.py). */
import { registry } from "@web/core/registry";
import { fits, go, walkMyPages } from "@mlm_portal/../tests/tours/my_pages";

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
registry.category("web_tour.tours").add("mlm_portal_phone_fit_tour", {
    steps: () => [
        ...walkMyPages(),
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

/**
 * Every back-office page at 1440 px (a desktop): no horizontal overflow, key controls shown, the network as a table
 * (not the phone's cards) and every tab of the navigation in view without scrolling.
 */
registry.category("web_tour.tours").add("mlm_portal_desktop_fit_tour", {
    steps: () => [
        ...walkMyPages(),
        go("/my/network"),
        {
            content: "the network is a table with all its columns, every tab in view",
            trigger: ".o_mlm_network_row td:contains(Carol)",
            run: () => {
                const nav = document.querySelector(".o_mlm_nav");
                if (nav.scrollWidth > nav.clientWidth + 1) {
                    throw new Error(`the tabs scroll at 1440px: ${nav.scrollWidth} > ${nav.clientWidth}`);
                }
                const cards = document.querySelector(".o_mlm_network_cards");
                if (cards && cards.checkVisibility()) {
                    throw new Error("the phone's cards show on a desktop");
                }
                const hiddenCells = [...document.querySelectorAll(".o_mlm_network_row:first-child td")].filter(
                    (td) => !td.checkVisibility()
                );
                if (hiddenCells.length) {
                    throw new Error(`${hiddenCells.length} columns of the network are hidden at 1440px`);
                }
            },
        },
        { trigger: ".o_mlm_network_row a:contains(Carol)", run: "click", expectUnloadPage: true },
        fits("a member card", ".o_mlm_member"),
        go("/my/commissions"),
        { trigger: ".o_mlm_statement_row a", run: "click", expectUnloadPage: true },
        fits("a statement", ".o_mlm_statement .o_mlm_statement_pdf"),
        go("/my/referral"),
        {
            content: "open my personal page (/ref/<ID>)",
            trigger: "a.o_mlm_ref_preview",
            run: () => {
                window.location.href = document.querySelector("a.o_mlm_ref_preview").href;
            },
            expectUnloadPage: true,
        },
        fits("the personal page", ".o_mlm_ref_page .o_mlm_ref_shop"),
    ],
});
