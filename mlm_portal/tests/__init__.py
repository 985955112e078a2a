from . import (
    test_languages,
    test_portal_access,
    test_portal_pages,
    test_portal_security,
    test_shop,
    test_signup,
    test_tours,
)
