{
    "name": "MLM Autoship",
    "summary": "Recurring orders (autoship) that distributors and customers manage on the portal, charged to a saved "
    "card, confirmed, invoiced and counted as volume; retries, idempotent batches, forecast and churn reports",
    "version": "18.0.1.0.0",
    "category": "Sales/Multi-Level Marketing",
    "website": "https://github.com/mlm-odoo/mlm-odoo",
    "author": "MLM Odoo contributors",
    "license": "LGPL-3",
    # payment_demo: its provider is disabled until a manager enables it; the tests and the demo charge through it
    "depends": ["mlm_portal", "sale_management", "payment", "payment_demo", "website_sale", "queue_job"],
    "data": [
        "security/mlm_autoship_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/queue_job_data.xml",
        "data/mail_template_data.xml",
        "views/mlm_autoship_cycle_views.xml",
        "views/mlm_autoship_views.xml",
        "views/mlm_plan_views.xml",
        "views/res_config_settings_views.xml",
        "views/mlm_autoship_menus.xml",
        "views/portal_autoship_templates.xml",
    ],
    "assets": {
        "web.assets_tests": ["mlm_autoship/static/tests/tours/*.js"],
    },
}
