"""Default settings.

Layering (see ``create_app``): these defaults, then ``instance/config.py``, then every
``FLASK_*`` environment variable (``FLASK_SQLALCHEMY_DATABASE_URI`` sets
``SQLALCHEMY_DATABASE_URI``), then the mapping a test passes in.

The defaults describe the demo clinic, so ``make run`` shows something real. A production
deployment overrides the clinic's identity and, above all, ``SECRET_KEY``.
"""

from __future__ import annotations


class ConfigurationError(RuntimeError):
    """The application cannot start with the settings it was given."""


# A well-known key that only debug and testing may use; create_app refuses it otherwise.
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"  # noqa: S105

SECRET_KEY = DEVELOPMENT_SECRET_KEY

# Storage. None means "a SQLite file in the instance folder", resolved in create_app
# because the instance path is only known there.
SQLALCHEMY_DATABASE_URI: str | None = None
# hide_parameters: a database error's message never carries the values (health answers,
# contact details) into a log line.
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
# How long a SQLite writer waits for the write lock before the request gets a 503 (below
# gunicorn's 30 s worker timeout, so the app answers, not the server), and a reader.
SQLITE_BUSY_TIMEOUT_MS = 15000
SQLITE_READ_BUSY_TIMEOUT_MS = 5000
# PostgreSQL: every statement and every lock wait is bounded (a request stuck behind a
# migration's or a long transaction's lock answers 503 after the lock timeout).
DATABASE_STATEMENT_TIMEOUT_MS = 8000
DATABASE_LOCK_TIMEOUT_MS = 3000

# Forms
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None  # the session bounds a token's life; a slow patient is not punished

# Requests
MAX_CONTENT_LENGTH = 256 * 1024
MAX_FORM_MEMORY_SIZE = 64 * 1024  # any one form field
MAX_FORM_PARTS = 200  # fields in one form
# Cookies: production sets SECURE_COOKIES, which makes the session cookie Secure and names
# it ``__Host-session`` (see booking.security). Sign-in never sets a "remember me" cookie.
SECURE_COOKIES = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# How many reverse proxies in front of the app append to X-Forwarded-For (and set
# X-Forwarded-Proto). 0: the headers are ignored and the client is the peer address.
TRUSTED_PROXY_COUNT = 0
# Seconds a client is asked to wait (Retry-After) when the database is locked or down.
UNAVAILABLE_RETRY_AFTER_SECONDS = 30

# Logs: one JSON object per line on stderr. None means "JSON unless testing".
LOG_JSON: bool | None = None
LOG_LEVEL = "INFO"

# Mail, in Flask-Mail's names (MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD too;
# booking/notify/settings.py lists the rest). No MAIL_SERVER: emails become .eml files.
MAIL_SERVER: str | None = None
MAIL_PORT = 25
# Flask-Mail would suppress sending whenever TESTING is on; here only this setting does, and
# the tests talk to a real SMTP server on loopback.
MAIL_SUPPRESS_SEND = False
MAIL_DEFAULT_SENDER = "Spine & Ease Back Care <bookings@spineandease.example>"

# Abuse limits
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_ENABLED = True
RATELIMIT_HEADERS_ENABLED = True  # Retry-After on every 429
STAFF_LOGIN_LIMIT_PER_ADDRESS = "10 per minute"
# Refused sign-ins slow down one (account, source address) pair, never the account itself
# (booking.services.sign_in_throttle): after this many within the window the pair waits
# BLOCK_SECONDS, doubling with each further refusal up to MAX_BLOCK_MINUTES.
STAFF_LOGIN_FREE_FAILURES = 5
STAFF_LOGIN_WINDOW_MINUTES = 15
STAFF_LOGIN_BLOCK_SECONDS = 30
STAFF_LOGIN_MAX_BLOCK_MINUTES = 15
# This many refusals for one account within an hour, from anywhere, email its owner.
STAFF_LOGIN_ALERT_FAILURES = 10
BOOKING_SUBMIT_LIMIT_PER_ADDRESS = "20 per hour"  # POST /book/review, POST /api/v1/bookings
BOOKING_SUBMIT_LIMIT_PER_EMAIL = "10 per day"  # the same, by the patient's email address
# /manage/*, /feeds/*, /api/v1/bookings/<token>: guesses at a token, per address
TOKEN_LOOKUP_LIMIT_PER_ADDRESS = "120 per hour"  # noqa: S105 (a rate, not a secret)
API_LIMIT_PER_ADDRESS = "300 per hour"  # everything under /api/v1
# Hold squatting: how many future bookings (and, of those, holds) one email may have at once
# through online booking. Reception is not capped.
BOOKING_MAX_FUTURE_PER_EMAIL = 4
BOOKING_MAX_HOLDS_PER_EMAIL = 2

# Staff sessions
STAFF_IDLE_TIMEOUT_MINUTES = 30
STAFF_SESSION_MAX_HOURS = 12

# The clinic. Times are stored in UTC and shown in this zone.
CLINIC_TIMEZONE = "Europe/London"
CLINIC_NAME = "Spine & Ease Back Care"
CLINIC_ADDRESS = "14 Harrow Lane, London N1 7AB"
CLINIC_PHONE = "020 7946 0321"
CLINIC_EMAIL = "hello@spineandease.example"
CLINIC_COUNTRY = "GB"  # default region for phone numbers
CLINIC_EMERGENCY_NUMBER = "999"
CLINIC_URGENT_NUMBER = "111"

# Booking policy (DOMAIN.md section 3)
BOOKING_SLOT_MINUTES = 15
BOOKING_MIN_NOTICE_MINUTES = 120
BOOKING_HORIZON_DAYS = 60
BOOKING_CANCEL_CUTOFF_HOURS = 24
BOOKING_RESCHEDULE_CUTOFF_HOURS = 24

# Clearance holds (DOMAIN.md section 2)
HOLD_MAX_HOURS_AFTER_BOOKING = 48
HOLD_HOURS_BEFORE_START = 24
# A held booking's deadline leaves at least this long, including the whole opening hours
# (clinic-local, "HH:MM-HH:MM") of at least one weekday: one working day to reach a GP.
HOLD_MIN_HOURS_TO_CLEAR = 24
HOLD_WORKING_DAY_HOURS = "09:00-17:00"
HOLD_EXTENSION_HOURS = 48
CLEARANCE_VALID_DAYS = 183
CLEARANCE_MAX_AGE_DAYS = 30
# How many clinicians' links (to a GP, a physio, ...) a patient may send for one hold.
CLINICIAN_LINKS_PER_HOLD = 3

# Waitlist: how long an offer reserves its time, how many entries one email may keep, and
# how old a screen answered at joining may be before claiming asks for it again.
WAITLIST_OFFER_MINUTES = 30
WAITLIST_MAX_ENTRIES_PER_EMAIL = 3
WAITLIST_SCREEN_MAX_AGE_DAYS = 14

# Pain screen thresholds (DOMAIN.md section 1)
SCREEN_HOLD_PAIN_SCORE = 7

# The follow-up after a completed session: sent this many hours after the session ends
# (24 to 48), its link working for this many days. A session marked completed more than
# FOLLOW_UP_LATEST_DAYS after it ended gets none: the question would come too late.
FOLLOW_UP_DELAY_HOURS = 24
FOLLOW_UP_LINK_DAYS = 14
FOLLOW_UP_LATEST_DAYS = 7

# Privacy
RETENTION_UNCONFIRMED_ANSWERS_DAYS = 90
