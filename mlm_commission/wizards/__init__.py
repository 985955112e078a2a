from . import mlm_volume_adjust_wizard
from . import mlm_payout_wizard
from . import mlm_commission_calculator
from . import mlm_income_disclosure
from . import mlm_wallet_pay_wizard
