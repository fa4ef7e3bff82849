"""gunicorn settings for ``make serve`` and production (``gunicorn -c gunicorn.conf.py wsgi:app``).

Everything is read from the environment so one file serves every host:

- ``PORT`` (or ``GUNICORN_BIND``): where to listen; default 127.0.0.1:5000, behind nginx.
- ``WEB_CONCURRENCY``: worker processes; default 2 x cores + 1, capped at 8.
- ``FORWARDED_ALLOW_IPS``: proxies whose X-Forwarded-* headers gunicorn trusts
  (default 127.0.0.1, i.e. nginx on the same host).
- ``GUNICORN_TIMEOUT``: seconds before a stuck worker is restarted (default 30).

The application reads its own settings from ``FLASK_*`` variables and instance/config.py,
exactly as ``flask run`` and ``flask booking worker`` do.
"""

from __future__ import annotations

import multiprocessing
import os


def _workers() -> int:
    configured = os.environ.get("WEB_CONCURRENCY")
    if configured:
        return max(1, int(configured))
    return min(2 * multiprocessing.cpu_count() + 1, 8)


wsgi_app = "wsgi:app"
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = _workers()
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Bounded requests stop a slow leak from growing forever; jitter avoids all restarting at once.
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No gunicorn access log: its request line would carry manage and feed tokens in clear.
# The app logs every request itself (booking.access, JSON, tokens masked, request id).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Load the app before forking: a configuration error stops the master at once, loudly.
preload_app = True
