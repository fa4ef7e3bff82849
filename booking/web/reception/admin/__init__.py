"""Admin pages (``admin.*`` under /reception/admin, admin role only): one module per area.

Importing this package registers the routes on ``admin_bp`` (and the clinic settings
overlay on the app, see ``settings``).
"""

from booking.web.reception.admin import (  # noqa: F401
    audit_log,
    catalog,
    export,
    feeds,
    settings,
    sign_in,
    staff,
)
