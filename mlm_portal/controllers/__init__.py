from . import app, portal, signup
