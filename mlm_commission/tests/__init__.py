from . import test_engine
from . import test_engine_random
from . import test_volume_ledger
from . import test_commission_run
from . import test_flow
from . import test_sample_plan
