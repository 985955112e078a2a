/**
 * The back office's /my pages, written once: the tours at 375 px and 1440 px (mlm_app_tour.js) walk them, and the
 * translation-coverage test (mlm_portal/tests/common.py MY_PAGES) reads the list between the two markers below as
 * JSON, so keep that part plain JSON (double quotes, no trailing comma). "key" is a control each page must show.
 */
// MY_PAGES JSON begins
export const MY_PAGES = [
    { "url": "/my", "key": ".o_mlm_home .o_mlm_card" },
    { "url": "/my/network", "key": ".o_mlm_network_filters .o_mlm_filter_apply" },
    { "url": "/my/network/tree", "key": ".o_mlm_tree_search" },
    { "url": "/my/volume", "key": ".o_mlm_volume .o_mlm_pv" },
    { "url": "/my/commissions", "key": ".o_mlm_commissions .o_mlm_unpaid" },
    { "url": "/my/referral", "key": ".o_mlm_referral .o_mlm_ref_preview" },
    { "url": "/my/team", "key": ".o_mlm_goal_form button[type=submit]" },
    { "url": "/my/profile", "key": ".o_mlm_profile form button[type=submit]" },
    { "url": "/my/notifications", "key": ".o_mlm_notify_form button[type=submit]" },
    { "url": "/my/placement", "key": ".o_mlm_placement" },
    { "url": "/my/placement/holding", "key": ".o_mlm_holding" },
    { "url": "/my/account", "key": "form[action='/my/account'] button[type=submit]" },
    { "url": "/my/security", "key": "form.oe_reset_password_form button[type=submit]" }
];
// MY_PAGES JSON ends

/** A step that opens a page (the tour goes on after the page loaded). */
export function go(url) {
    return {
        content: `open ${url}`,
        trigger: "body",
        run: () => {
            window.location.href = url;
        },
        expectUnloadPage: true,
    };
}

/**
 * A step that checks the open page fits the screen: no horizontal overflow, no control cut off, and (if given) its
 * key control shown within the screen's width.
 */
export function fits(page, key = null) {
    return {
        content: `${page} fits the screen`,
        trigger: key || ".o_mlm_nav, .o_portal_my_home, #wrap",
        run: () => {
            const width = document.documentElement.clientWidth;
            const overflow = document.documentElement.scrollWidth - width;
            if (overflow > 1) {
                const wide = [...document.querySelectorAll("body *")]
                    .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest(".o_mlm_nav, .table-responsive, .o_mlm_tree"))
                    .slice(0, 5)
                    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`);
                throw new Error(`${page} overflows by ${overflow}px at ${width}px: ${wide.join(", ")}`);
            }
            for (const control of document.querySelectorAll("main a.btn, main button, main input, main select")) {
                const box = control.getBoundingClientRect();
                const hidden =
                    control.closest(".o_mlm_nav, .table-responsive, .offcanvas, .modal, .dropdown-menu, .collapse:not(.show)") ||
                    (control.checkVisibility && !control.checkVisibility({ visibilityProperty: true }));
                if (box.width && !hidden && (box.left < -1 || box.right > width + 1)) {
                    throw new Error(`${page}: a control is cut off at ${width}px: ${control.outerHTML.slice(0, 120)}`);
                }
            }
            if (key) {
                const box = document.querySelector(key).getBoundingClientRect();
                if (!box.width || !box.height || box.left < -1 || box.right > width + 1) {
                    throw new Error(`${page}: ${key} is not shown within ${width}px`);
                }
            }
        },
    };
}

/** Steps that walk every page of MY_PAGES (the tour starts on the first) and check each fits the screen. */
export function walkMyPages() {
    return MY_PAGES.flatMap(({ url, key }, i) => (i ? [go(url), fits(url, key)] : [fits(url, key)]));
}
