"""Static files: content-hashed URLs, long cache lifetimes, compressed responses.

``url_for('static', filename=...)`` gains ``?v=<sha256[:12]>`` of the file's content,
computed once at start-up, so a changed file gets a new URL. A static response asked for
with ``v=`` may be cached for a year (``immutable``); one without keeps Flask's short
default. Responses (HTML, CSS, JS, SVG, JSON) are compressed by Flask-Compress with
whatever the browser accepts (zstd, br, gzip).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress

ONE_YEAR = 365 * 24 * 3600
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/calendar",
    "application/javascript",
    "text/javascript",
    "application/json",
    "image/svg+xml",
]

compress = Compress()


def content_hashes(folder: str | Path) -> dict[str, str]:
    """``{relative/posix/path: sha256[:12]}`` for every file under ``folder``."""
    root = Path(folder)
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    compress.init_app(app)
    hashes = content_hashes(app.static_folder) if app.static_folder else {}
    app.extensions["static_hashes"] = hashes

    @app.url_defaults
    def _versioned_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = hashes.get(values.get("filename", ""))
            if version:
                values["v"] = version

    @app.after_request
    def _cache_static(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
