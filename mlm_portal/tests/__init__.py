from . import (
    test_languages,
    test_portal_access,
    test_portal_pages,
    test_portal_security,
    test_readonly_routes,
    test_shop,
    test_signup,
    test_tours,
)
