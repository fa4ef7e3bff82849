"""The registry of documented views: what each one is, for the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

ResponseBody = type[BaseModel] | tuple[type[BaseModel], ...] | None


@dataclass(frozen=True)
class Operation:
    """One documented view: its summary, body, parameters and responses."""

    summary: str
    description: str = ""
    request: type[BaseModel] | None = None
    # Query parameters, described by a model's fields (aliases are the parameter names).
    query: type[BaseModel] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    # status -> (description, body model, a tuple of models (any one of them), or None for
    # a plain JSON object)
    responses: dict[int, tuple[str, ResponseBody]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


OPERATIONS: dict[Callable[..., Any], Operation] = {}


def documented(summary: str, **details: Any) -> Callable:
    """Register the decorated view in ``OPERATIONS`` (the view is routed in ``booking.web.api``)."""

    def register(view: Callable) -> Callable:
        OPERATIONS[view] = Operation(summary=summary, **details)
        return view

    return register
