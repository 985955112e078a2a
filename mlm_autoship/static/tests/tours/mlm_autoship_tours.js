/** The autoship on a phone (run in Chromium at 375 px by mlm_autoship/tests/test_portal.py). */
import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";
import { fits } from "@mlm_portal/../tests/tours/my_pages";

registry.category("web_tour.tours").add("mlm_autoship_phone_tour", {
    steps: () => [
        { trigger: "a:contains(Vitamin Pack)", run: "click", expectUnloadPage: true },
        { content: "Deliver every month on the product page", trigger: ".o_mlm_autoship_product button" },
        { trigger: "#add_to_cart", run: "click" },
        tourUtils.goToCart(),
        { trigger: ".o_mlm_autoship_cart input[name=month_day]", run: "edit 15" },
        { trigger: ".o_mlm_autoship_from_cart", run: "click", expectUnloadPage: true },
        { content: "Created from the cart", trigger: ".o_mlm_autoship_message" },
        { content: "Amount of the cart", trigger: ".o_mlm_autoship_amount:contains(50.00)" },
        { content: "PV of the cart", trigger: ".o_mlm_autoship_pv:contains(40)" },
        { content: "The next date is shown", trigger: ".o_mlm_autoship_next" },
        { trigger: ".o_mlm_autoship_skip", run: "click", expectUnloadPage: true },
        { content: "Skipped", trigger: ".o_mlm_autoship_cycle:contains(Skipped)" },
        { content: "Cancel: one button ...", trigger: ".o_mlm_autoship_cancel", run: "click" },
        { content: "... one confirmation", trigger: ".o_mlm_autoship_cancel_confirm:visible", run: "click", expectUnloadPage: true },
        { content: "Cancelled", trigger: ".o_mlm_autoship_state:contains(Cancelled)" },
    ],
});

/**
 * The autoship pages fit the screen (run at 375 px and at 1440 px by mlm_autoship/tests/test_portal.py): no
 * horizontal overflow, no control cut off, the key controls shown (the checks of mlm_portal's /my pages tours).
 */
registry.category("web_tour.tours").add("mlm_autoship_fit_tour", {
    steps: () => [
        fits("/my/autoships", ".o_mlm_autoships .o_mlm_autoship_row a"),
        { trigger: ".o_mlm_autoship_row a", run: "click", expectUnloadPage: true },
        fits("an autoship", ".o_mlm_autoship .o_mlm_autoship_skip"),
    ],
});
