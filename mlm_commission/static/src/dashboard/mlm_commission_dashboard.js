/** @odoo-module **/

import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { cookie } from "@web/core/browser/cookie";
import { getColor } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatFloat, formatMonetary } from "@web/views/fields/formatters";

/**
 * The management dashboard: one call to ``mlm.commission.dashboard.get_dashboard_data`` gives every figure;
 * this component only draws them (Chart.js for the two charts, tables for the rest).
 */
export class MlmCommissionDashboard extends Component {
    static template = "mlm_commission.CommissionDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null, periodId: false, months: 12, loading: false });
        this.salesCanvas = useRef("salesChart");
        this.seasonCanvas = useRef("seasonChart");
        this.charts = [];
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            await this.load();
        });
        useEffect(
            () => {
                this.renderCharts();
                return () => this.destroyCharts();
            },
            () => [this.state.data]
        );
    }

    async load() {
        this.state.loading = true;
        try {
            const data = await this.orm.call("mlm.commission.dashboard", "get_dashboard_data", [], {
                period_id: this.state.periodId || false,
                months: this.state.months,
            });
            this.state.periodId = data.period.id;
            this.state.data = data;
        } finally {
            this.state.loading = false;
        }
    }

    async onPeriodChange(ev) {
        this.state.periodId = parseInt(ev.target.value) || false;
        await this.load();
    }

    async onMonthsChange(ev) {
        this.state.months = parseInt(ev.target.value);
        await this.load();
    }

    // ------------------------------------------------------------------ formatting
    get periodCaption() {
        const { period, previous } = this.state.data;
        return _t("%(period)s: %(date_from)s - %(date_to)s (%(state)s), compared with %(previous)s.", {
            period: period.name,
            date_from: period.date_from,
            date_to: period.date_to,
            state: period.state_label,
            previous: previous.name,
        });
    }

    previousCaption(count) {
        return _t("previous period: %(count)s", { count });
    }

    membersCaption(count) {
        return _t("of %(count)s members", { count });
    }

    money(value) {
        return formatMonetary(value, { currencyId: this.state.data.currency_id });
    }

    number(value) {
        return formatFloat(value, { digits: [16, 0] });
    }

    percent(value) {
        return value === null || value === undefined ? "-" : `${formatFloat(value, { digits: [16, 1] })} %`;
    }

    change(value) {
        if (value === null || value === undefined) {
            return "";
        }
        return `${value > 0 ? "+" : ""}${formatFloat(value, { digits: [16, 1] })} %`;
    }

    changeClass(value) {
        if (value === null || value === undefined || value === 0) {
            return "text-muted";
        }
        return value > 0 ? "text-success" : "text-danger";
    }

    progressClass(value) {
        if (value === null || value === undefined) {
            return "bg-secondary";
        }
        if (value >= 100) {
            return "bg-success";
        }
        return value >= 70 ? "bg-warning" : "bg-danger";
    }

    progressStyle(value) {
        return `width: ${Math.max(0, Math.min(value || 0, 100))}%`;
    }

    // ------------------------------------------------------------------ navigation
    openRecord(resModel, resId) {
        if (!resId) {
            return;
        }
        this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: resModel,
            res_id: resId,
            views: [[false, "form"]],
        });
    }

    openBranch(branchId) {
        this.openRecord("mlm.branch", branchId);
    }

    openTargets() {
        this.actionService.doAction("mlm_commission.mlm_sales_target_action");
    }

    // ------------------------------------------------------------------ charts
    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        const data = this.state.data;
        if (!data || !this.salesCanvas.el || !this.seasonCanvas.el) {
            return;
        }
        const bvColor = getColor(0, cookie.get("color_scheme"), "sm");
        const pvColor = getColor(3, cookie.get("color_scheme"), "sm");
        const axes = {
            bv: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: _t("BV") } },
            pv: {
                type: "linear",
                position: "right",
                beginAtZero: true,
                grid: { drawOnChartArea: false },
                title: { display: true, text: _t("PV") },
            },
        };
        this.charts.push(
            new Chart(this.salesCanvas.el, {
                type: "bar",
                data: {
                    labels: data.monthly.map((m) => m.label),
                    datasets: [
                        { label: _t("BV"), data: data.monthly.map((m) => m.bv), backgroundColor: bvColor, yAxisID: "bv" },
                        { label: _t("PV"), data: data.monthly.map((m) => m.pv), backgroundColor: pvColor, yAxisID: "pv" },
                    ],
                },
                options: { maintainAspectRatio: false, animation: false, scales: axes },
            })
        );
        this.charts.push(
            new Chart(this.seasonCanvas.el, {
                type: "bar",
                data: {
                    labels: data.seasonality.map((m) => m.label),
                    datasets: [
                        {
                            label: _t("Average BV"),
                            data: data.seasonality.map((m) => m.avg_bv),
                            backgroundColor: bvColor,
                            yAxisID: "bv",
                        },
                        {
                            label: _t("Average PV"),
                            data: data.seasonality.map((m) => m.avg_pv),
                            backgroundColor: pvColor,
                            yAxisID: "pv",
                        },
                    ],
                },
                options: { maintainAspectRatio: false, animation: false, scales: axes },
            })
        );
    }
}

registry.category("actions").add("mlm_commission.dashboard", MlmCommissionDashboard);
