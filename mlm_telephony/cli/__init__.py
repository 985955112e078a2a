from . import ami_listener
