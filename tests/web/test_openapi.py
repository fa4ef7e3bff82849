"""``GET /api/v1/openapi.json``: a valid OpenAPI document that covers every API route.

The expected routes come from the app's URL map, so a new /api/v1 route without
``@documented`` fails here. The older views' real responses are checked against the models
that document them, so the document cannot silently drift from what they send.
"""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from booking import clock
from booking.web.api.schemas import AvailabilityOut, ErrorResponse, ServicesOut
from tests.support.database import DEFAULT_NOW

DOC = "/api/v1/openapi.json"


@pytest.fixture
def document(client) -> dict:
    response = client.get(DOC)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_document_lists_every_api_route_and_nothing_else(app, document):
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert documented == api_routes(app)
    assert ("/api/v1/bookings", "post") in documented  # the map really holds the new routes


def test_every_operation_documents_its_errors(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            if "requestBody" in op:
                assert {"400", "415"} <= codes, (method, path)
            if "{token}" in path:
                assert "404" in codes, (method, path)
    create = document["paths"]["/api/v1/bookings"]["post"]["responses"]
    assert set(create) == {"200", "201", "400", "409", "415"}
    assert "400" in document["paths"]["/api/v1/availability"]["get"]["responses"]


def test_availability_documents_its_query_parameters(document):
    params = document["paths"]["/api/v1/availability"]["get"]["parameters"]
    by_name = {p["name"]: p for p in params}
    assert set(by_name) == {"service", "duration", "from", "to", "therapist"}
    assert all(p["in"] == "query" for p in params)
    assert {n for n, p in by_name.items() if p["required"]} == {"service", "duration", "from", "to"}


def test_the_booking_body_schema_is_the_one_that_validates(client, demo, document):
    # The API's own answer to {} names exactly the fields the document says are required.
    schema = document["components"]["schemas"]["BookingCreate"]
    with clock.frozen(DEFAULT_NOW):
        response = client.post("/api/v1/bookings", json={})
    assert set(response.get_json()["error"]["fields"]) == set(schema["required"])
    assert schema["additionalProperties"] is False
    assert "price" not in schema["properties"]


def test_the_older_views_send_what_the_document_says(client, demo):
    with clock.frozen(DEFAULT_NOW):
        services = client.get("/api/v1/services")
        slots = client.get(
            "/api/v1/availability",
            query_string={
                "service": "therapeutic-back-massage",
                "duration": "60",
                "from": "2027-03-15",
                "to": "2027-03-16",
            },
        )
        refused = client.get("/api/v1/availability", query_string={"service": "nope"})
    ServicesOut.model_validate(services.get_json())
    assert AvailabilityOut.model_validate(slots.get_json()).slots
    ErrorResponse.model_validate(refused.get_json())


def test_the_document_sets_no_cookie(client):
    assert "Set-Cookie" not in client.get(DOC).headers


def test_the_screen_schema_lists_exactly_the_intake_choices(document):
    from booking import intake

    schemas = document["components"]["schemas"]
    screen = schemas["ScreenIn"]["properties"]
    for name, enum in [
        ("location", intake.PainLocation),
        ("duration", intake.PainDuration),
        ("recent_injury", intake.RecentInjury),
    ]:
        target = screen[name]["$ref"].rsplit("/", 1)[1]
        assert schemas[target]["enum"] == [m.value for m in enum]
    for name, enum in [
        ("emergency_symptoms", intake.EmergencySymptom),
        ("urgent_symptoms", intake.UrgentSymptom),
        ("history", intake.HistoryItem),
    ]:
        assert screen[name]["type"] == "array"
        target = screen[name]["items"]["$ref"].rsplit("/", 1)[1]
        assert schemas[target]["enum"] == [m.value for m in enum]
    booleans = {n for n, p in screen.items() if p.get("type") == "boolean"}
    assert booleans == {
        "sudden_onset",
        "disturbs_sleep_or_daily_life",
        "long_term_steroids",
        "under_care",
        "told_not_to_massage",
        "seen_doctor_since_onset",
    }
    assert screen["pain_score"].items() >= {"type": "integer", "minimum": 0, "maximum": 10}.items()
    # A created booking answers only its state; the screen's outcome is health data.
    assert "outcome" not in schemas["BookingCreated"]["properties"]
    assert schemas["BookingCreated"]["properties"]["result"]["enum"] == [
        "confirmed",
        "not_yet_confirmed",
    ]
    stopped = schemas["ScreenStopped"]["properties"]["outcome"]["enum"]
    assert sorted(stopped) == ["declined", "emergency", "urgent"]
