from . import (
    account_move,
    mlm_commission_statement,
    mlm_distributor,
    mlm_portal_announcement,
    mlm_portal_goal,
    mlm_portal_signup_attempt,
    product_template,
    res_company,
    res_config_settings,
    res_users,
    sale_order,
    website,
)
