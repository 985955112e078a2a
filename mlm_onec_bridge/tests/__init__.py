from . import test_tools
from . import test_exchange_catalog
from . import test_exchange_failures
from . import test_exchange_rejects
from . import test_exchange_orders
from . import test_exchange_security
from . import test_odata_export
from . import test_payout_export
