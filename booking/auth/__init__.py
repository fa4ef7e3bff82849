"""Staff sign-in: password hashing, the signed-in session and safe redirects after login.

``passwords`` is pure (no Flask); ``sessions`` and ``redirects`` sit at the request edge and
are used by ``booking.web.auth`` and the reception guard. Service verbs for staff accounts
live in ``booking.services.staff``.
"""
