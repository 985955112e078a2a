from . import test_ami_client
from . import test_ami_parser
from . import test_calls
from . import test_listener_service
from . import test_messaging
from . import test_tools
from . import test_webhooks
from . import test_segments_activity
