"""Fuzzing the JSON API from its own OpenAPI document, with schemathesis in-process.

Every operation the document lists gets a bounded number of generated requests (valid and
invalid bodies, queries and path tokens): no answer is a server error, every answer is JSON
of the documented type and matches the documented schema for its status code. The list of
operations comes from the document served by the app, so a new operation is fuzzed too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from booking import clock
from booking.models import BookingStatus
from tests.security import booking_with_token
from tests.support.apps import build_app
from tests.support.database import DEFAULT_NOW

OPENAPI = "/api/v1/openapi.json"
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
EXAMPLES = 30


def documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read from the document an app serves."""
    document = build_app("sqlite://").test_client().get(OPENAPI).get_json()
    return sorted(
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


OPERATIONS = documented_operations()


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def test_the_document_lists_the_booking_operations():
    assert ("POST", "/api/v1/bookings") in OPERATIONS
    assert ("POST", "/api/v1/bookings/{token}/cancel") in OPERATIONS
    assert len(OPERATIONS) >= 6


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_generated_requests_get_no_server_error_and_documented_answers(app, demo, method, path):
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    operation = schema[path][method]
    # Random tokens only ever miss: most cases use a live booking's token instead.
    _, held_token = booking_with_token(
        status=BookingStatus.HELD, hold_expires_at=DEFAULT_NOW + timedelta(days=2)
    )
    _, confirmed_token = booking_with_token(email="other@example.org")
    real_tokens = st.sampled_from([None, held_token, confirmed_token])
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    calls = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, token=real_tokens, real_service=st.booleans())
    def fuzz(case, token, real_service):
        if token and case.path_parameters and "token" in case.path_parameters:
            case.path_parameters["token"] = token
        if real_service and isinstance(case.query, dict) and "service" in case.query:
            case.query["service"] = "therapeutic-back-massage"
        # The WSGI transport does not decompress; ask for the body as it is.
        response = case.call(headers={"Accept-Encoding": "identity"})
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    fuzz()
    assert calls, "no request was generated"
    assert all(code < 500 for code in calls)
