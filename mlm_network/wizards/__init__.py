from . import mlm_enroll_wizard
from . import mlm_move_wizard
from . import base_import_import
from . import mlm_placement_wizard
