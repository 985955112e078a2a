/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("mlm_commission_dashboard_tour", {
    url: "/odoo/action-mlm_commission.mlm_commission_dashboard_action",
    steps: () => [
        {
            content: "The sales chart is drawn",
            trigger: ".o_mlm_dashboard .o_mlm_sales_chart canvas",
            run: function () {
                const canvas = document.querySelector(".o_mlm_sales_chart canvas");
                if (!window.Chart || !window.Chart.getChart(canvas)) {
                    throw new Error("the sales chart was not drawn");
                }
            },
        },
        {
            content: "The seasonality chart is drawn",
            trigger: ".o_mlm_dashboard .o_mlm_season_chart canvas",
            run: function () {
                const canvas = document.querySelector(".o_mlm_season_chart canvas");
                if (!window.Chart.getChart(canvas)) {
                    throw new Error("the seasonality chart was not drawn");
                }
            },
        },
        {
            content: "The latest period opens first: last month's BV",
            trigger: ".o_mlm_kpi_bv:contains('50.00')",
        },
        {
            content: "Choose the period before",
            trigger: "select.o_mlm_period_select",
            run: "selectByIndex 1",
        },
        {
            content: "The period total BV is shown",
            trigger: ".o_mlm_kpi_bv:contains('820.55')",
        },
        {
            content: "The branch table lists the branch with its BV",
            trigger: ".o_mlm_branch_table .o_mlm_branch_row:contains('Almaty'):contains('820.55')",
        },
        {
            content: "The company target shows its execution",
            trigger: ".o_mlm_target_table .o_mlm_target_row:contains('82.1')",
        },
        {
            content: "The top earner is listed",
            trigger: ".o_mlm_top_earners .o_mlm_top_row:first:contains('Root Leader')",
        },
        {
            content: "Dave is at risk",
            trigger: ".o_mlm_at_risk .o_mlm_risk_row:contains('Dave')",
        },
        {
            content: "Open the top earner",
            trigger: ".o_mlm_top_earners .o_mlm_top_row:first",
            run: "click",
        },
        {
            content: "The distributor form opens",
            trigger: ".o_form_view .o_breadcrumb .active:contains('Root Leader')",
        },
    ],
});
