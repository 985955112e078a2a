from . import common
from . import test_placement
