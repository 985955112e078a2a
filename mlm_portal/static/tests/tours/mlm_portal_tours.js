/** Tours of the distributor's back office (run in Chromium by mlm_portal/tests/test_tours.py). */
import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

registry.category("web_tour.tours").add("mlm_portal_signup_tour", {
    steps: () => [
        { content: "The sponsor is named", trigger: ".o_mlm_sponsor_name:contains(Carol)" },
        { trigger: "input[name=name]", run: "edit Tour Recruit" },
        { trigger: "input[name=email]", run: "edit tour.recruit@example.com" },
        { trigger: "input[name=phone]", run: "edit +7 702 111 2233" },
        { trigger: "#mlm_accept_agreement", run: "click" },
        { trigger: "#mlm_accept_privacy", run: "click" },
        { trigger: ".o_mlm_join_submit", run: "click", expectUnloadPage: true },
        { content: "Asked to check the e-mail", trigger: ".o_mlm_join_done .o_mlm_join_email" },
    ],
});

registry.category("web_tour.tours").add("mlm_portal_network_tour", {
    steps: () => [
        { content: "The whole downline is listed", trigger: ".o_mlm_network_total:contains(6)" },
        { trigger: "select[name=level]", run: "select 2" },
        { trigger: ".o_mlm_filter_apply", run: "click", expectUnloadPage: true },
        { content: "Level 2 only", trigger: ".o_mlm_network_total:contains(3)" },
        { trigger: ".o_mlm_network_card a:contains(Carol)" },
        { trigger: ".o_mlm_nav a[href='/my/network/tree']", run: "click", expectUnloadPage: true },
        { content: "The root is open with its legs", trigger: ".o_mlm_node .o_mlm_node_name:contains(Alice)" },
        {
            content: "Open Alice's team",
            trigger: ".o_mlm_node:has(> .o_mlm_node_card .o_mlm_node_name:contains(Alice)) > .o_mlm_node_card .o_mlm_toggle",
            run: "click",
        },
        { content: "Her recruits load on demand", trigger: ".o_mlm_node_name:contains(Dave)" },
        { trigger: ".o_mlm_tree_search", run: "edit Erin" },
        { trigger: ".o_mlm_search_result:contains(Erin)", run: "click" },
        { content: "Jumped to Erin, three levels down", trigger: ".o_mlm_found .o_mlm_node_name:contains(Erin)" },
        { trigger: ".o_mlm_found .o_mlm_node_name:contains(Erin)", run: "click", expectUnloadPage: true },
        { content: "Erin's member card", trigger: ".o_mlm_member_name:contains(Erin)" },
    ],
});

registry.category("web_tour.tours").add("mlm_portal_statement_tour", {
    steps: () => [
        { trigger: ".o_mlm_statement_row a", run: "click", expectUnloadPage: true },
        { content: "Every line explains itself", trigger: ".o_mlm_statement_line" },
        {
            content: "The PDF downloads",
            trigger: ".o_mlm_statement_pdf",
            async run() {
                const link = document.querySelector(".o_mlm_statement_pdf");
                const response = await fetch(link.href);
                const type = response.headers.get("Content-Type");
                const size = (await response.arrayBuffer()).byteLength;
                if (response.status !== 200 || type !== "application/pdf" || size < 500) {
                    throw new Error(`not a PDF: ${response.status} ${type} ${size} bytes`);
                }
                link.classList.add("o_mlm_pdf_checked");
            },
        },
        { trigger: ".o_mlm_pdf_checked" },
    ],
});

registry.category("web_tour.tours").add("mlm_portal_shop_tour", {
    steps: () => [
        { content: "The distributor's personal page", trigger: ".o_mlm_ref_name:contains(Carol)" },
        { trigger: "a.o_mlm_ref_shop", run: "click", expectUnloadPage: true },
        { trigger: "a:contains(Vitamin Pack)", run: "click", expectUnloadPage: true },
        { content: "The PV shows next to the price", trigger: ".o_mlm_product_pv:contains(40.00 PV)" },
        { trigger: "#add_to_cart", run: "click" },
        tourUtils.goToCart(),
        { content: "PV in the cart", trigger: ".o_mlm_cart_pv:contains(40.00 PV)" },
        { content: "The consultant is known", trigger: ".o_mlm_cart_referrer:contains(Carol)" },
        tourUtils.goToCheckout(),
        ...tourUtils.fillAdressForm(
            {
                name: "Aigerim Shopper",
                phone: "+7 705 123 4567",
                email: "shopper@example.com",
                street: "Abai Avenue 10",
                city: "Almaty",
                zip: "050000",
            },
            true
        ),
        tourUtils.confirmOrder(),
        ...tourUtils.payWithTransfer({ expectUnloadPage: true, waitFinalizeYourPayment: true }),
    ],
});

registry.category("web_tour.tours").add("mlm_portal_placement_tour", {
    steps: () => [
        { content: "The legs and their volumes", trigger: ".o_mlm_pl_leg_1 .o_mlm_pl_gv:contains(720.00)" },
        { trigger: ".o_mlm_pl_leg_2 .o_mlm_pl_gv:contains(200.00)" },
        { content: "The next open positions", trigger: ".o_mlm_pl_next_right:contains(Bob)" },
        { trigger: ".o_mlm_pl_holding_link", run: "click", expectUnloadPage: true },
        { content: "Two recruits wait", trigger: ".o_mlm_holding_recruit:contains(Ivan Waiting)" },
        {
            content: "Place Hana on the right leg",
            trigger: ".o_mlm_holding_recruit:contains(Hana Waiting) .o_mlm_place_right",
            run: "click",
        },
        {
            trigger: ".o_mlm_holding_recruit:contains(Hana Waiting) .o_mlm_place_submit",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "Placed under Bob", trigger: ".o_mlm_placed_done:contains(Hana Waiting):contains(Bob)" },
        { content: "Ivan still waits", trigger: ".o_mlm_holding_recruit:contains(Ivan Waiting)" },
    ],
});
