"""The API's refusals: ``ApiError`` and the JSON body every one of them is sent as."""

from __future__ import annotations

from flask import jsonify

from booking.logs import request_id


class ApiError(Exception):
    """A refusal sent as ``{"error": {"code", "message", "fields"?, ...extra}}``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        fields: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message, self.status, self.fields = message, status, fields or {}
        self.extra = extra or {}


def answer(error: ApiError):
    """The blueprint's handler for ``ApiError``: the JSON refusal with the request's id."""
    body = {"error": {"code": error.status, "message": error.message}}
    if error.fields:
        body["error"]["fields"] = error.fields
    body["error"].update(error.extra)
    body["error"]["request_id"] = request_id()
    return jsonify(body), error.status
