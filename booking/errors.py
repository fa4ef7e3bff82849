"""Friendly error pages (and JSON errors for the API); never a stack trace."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from booking.extensions import db

log = logging.getLogger(__name__)

# Codes with a page of their own; any other HTTP error uses the generic one.
PAGES = {404: "errors/404.html", 500: "errors/500.html"}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    if _wants_json():
        response = jsonify(error={"code": code, "message": error.description})
        response.status_code = code
        return response
    template = PAGES.get(code, "errors/error.html")
    return render_template(template, error=error, code=code), code


def _unexpected_error(error: Exception):
    # Whatever half-done change the request made is discarded; the log keeps the details
    # under an id the person can quote to us.
    db.session.rollback()
    error_id = uuid.uuid4().hex[:12]
    log.exception("unhandled error %s on %s %s", error_id, request.method, request.path)
    wrapped = InternalServerError()
    if _wants_json():
        response = jsonify(error={"code": 500, "message": wrapped.description, "id": error_id})
        response.status_code = 500
        return response
    return render_template("errors/500.html", error=wrapped, code=500, error_id=error_id), 500
