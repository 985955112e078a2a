/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("mlm_genealogy_tour", {
    url: "/odoo/action-mlm_network.mlm_distributor_genealogy_action",
    steps: () => [
        {
            content: "The top of the genealogy is shown with its code, rank and status",
            trigger: ".o_hierarchy_node:contains('Root Leader'):contains('D0'):contains('Member'):contains('Active')",
        },
        {
            content: "Open the top leader's card",
            trigger: ".o_hierarchy_node:contains('Root Leader') .o_hierarchy_node_content",
            run: "click",
        },
        {
            content: "The form shows the downline size",
            trigger: ".o_form_view button[name='action_view_downline']:contains('6')",
        },
        {
            content: "Open the downline",
            trigger: ".o_form_view button[name='action_view_downline']",
            run: "click",
        },
        {
            content: "The downline opens as a genealogy rooted at the leader",
            trigger: ".o_hierarchy_node:contains('Root Leader')",
        },
        {
            content: "Switch to the list",
            trigger: "button.o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The deepest member is listed",
            trigger: ".o_data_row:contains('Erin')",
        },
    ],
});
