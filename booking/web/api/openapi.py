"""The OpenAPI 3.1 document at ``GET /api/v1/openapi.json``, generated from the code.

Why pydantic v2 rather than apispec: the request bodies are pydantic models and the views
validate with those same models, so what the document says is accepted and what is
accepted cannot drift apart; pydantic emits JSON Schema (draft 2020-12), which is exactly
the schema dialect of OpenAPI 3.1, with no translation layer. apispec would need marshmallow
schemas beside (or instead of) those models, and a plugin to map them. Pydantic is widely
used and actively maintained.

The document is assembled from two sources: the app's URL map (every rule of the ``api``
blueprint, its methods and path arguments) and ``schemas.OPERATIONS``, which the
``@documented`` decorator on each view fills (summary, body model, query model, responses).
A route without ``@documented`` is left out, and the test that compares the document with
the URL map fails.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from booking.web.api.schemas import OPERATIONS, ErrorResponse, Operation, documented

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@documented(
    "This document",
    description="The OpenAPI 3.1 description of every /api/v1 operation.",
    responses={200: ("The OpenAPI document.", None)},
    tags=("meta",),
)
def openapi_document():
    return jsonify(build_document())


def build_document() -> dict[str, Any]:
    """Return the OpenAPI document for the current app's ``api`` routes."""
    operations = _documented_rules()
    models = _models(op for _, _, op in operations)
    refs, schemas = models_json_schema(
        [(model, mode) for model, mode in models], ref_template=REF_TEMPLATE
    )

    def ref(model: type[BaseModel], mode: str) -> dict:
        return refs[(model, mode)]

    paths: dict[str, dict] = {}
    for rule, method, op in operations:
        path = _ARGUMENT.sub(r"{\1}", rule.rule)
        paths.setdefault(path, {})[method] = _operation(rule, method, op, ref)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{current_app.config['CLINIC_NAME']} booking API",
            "version": API_VERSION,
            "description": "Book, view, move and cancel sessions. JSON only "
            "(Content-Type: application/json); no cookies, so no CSRF. Errors are "
            '{"error": {"code", "message", "fields"?, "reason"?, "alternatives"?}}.',
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas.get("$defs", {})},
    }


def _documented_rules() -> list[tuple[Any, str, Operation]]:
    found = []
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):  # the blueprint of booking.web.api
            continue
        op = OPERATIONS.get(current_app.view_functions[rule.endpoint])
        if op is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule, method.lower(), op))
    return found


def _models(operations) -> list[tuple[type[BaseModel], str]]:
    """Every model the operations name, once, with the JSON Schema mode it is used in."""
    wanted: dict[tuple[type[BaseModel], str], None] = {(ErrorResponse, "serialization"): None}
    for op in operations:
        if op.request is not None:
            wanted[(op.request, "validation")] = None
        for _, body in op.responses.values():
            for model in _alternatives(body):
                wanted[(model, "serialization")] = None
    return list(wanted)


def _operation(rule, method: str, op: Operation, ref) -> dict:
    doc: dict[str, Any] = {
        "operationId": rule.endpoint.split(".", 1)[1],
        "summary": op.summary,
        "tags": list(op.tags),
    }
    if op.description:
        doc["description"] = op.description
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": op.path_params.get(name, ""),
            "schema": {"type": "string"},
        }
        for name in sorted(rule.arguments)
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if parameters:
        doc["parameters"] = parameters
    if op.request is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(op.request, "validation")}},
        }
    responses: dict[str, Any] = {}
    for status, (description, body) in sorted(op.responses.items()):
        models = _alternatives(body)
        if not models:
            schema = {"type": "object"}
        elif len(models) == 1:
            schema = ref(models[0], "serialization")
        else:
            schema = {"oneOf": [ref(model, "serialization") for model in models]}
        responses[str(status)] = {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    doc["responses"] = responses
    return doc


def _alternatives(body) -> tuple[type[BaseModel], ...]:
    """The models a response body may be: none, one, or any one of several (``oneOf``)."""
    if body is None:
        return ()
    return body if isinstance(body, tuple) else (body,)


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        # An optional parameter is absent, never null: keep the non-null branch only.
        if prop.get("default", "") is None:
            del prop["default"]
            options = [o for o in prop.pop("anyOf", []) if o != {"type": "null"}]
            prop.update(options[0] if len(options) == 1 else {"anyOf": options})
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": description,
                "schema": prop,
            }
        )
    return parameters
