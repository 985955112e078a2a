from . import controllers, models
from .post_load import post_load


def post_init_hook(env):
    """First expiry, first out: the stock locations of every warehouse hand out the lot that expires first."""
    fefo = env.ref("product_expiry.removal_fefo", raise_if_not_found=False)
    if fefo:
        locations = env["stock.warehouse"].search([]).lot_stock_id.filtered(lambda loc: not loc.removal_strategy_id)
        locations.write({"removal_strategy_id": fefo.id})
