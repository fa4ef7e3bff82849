"""Staff pages are closed by default: a blueprint-wide guard, plus per-view narrowing.

``guard_blueprint`` installs a ``before_request`` on the blueprint, so a route added to it
later is refused to anonymous visitors and to the wrong roles until someone widens the
guard on purpose. ``requires_role`` narrows a single view further (never widens it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from booking.models import StaffRole

F = TypeVar("F", bound=Callable[..., Any])


def guard_blueprint(bp: Blueprint, roles: Iterable[StaffRole | str]) -> None:
    """Refuse every request to ``bp`` unless a signed-in staff member holds one of ``roles``.

    Anonymous visitors are redirected to the login page with ``next`` set to the page they
    asked for; a signed-in member with another role gets 403.
    """
    allowed = frozenset(StaffRole(r) for r in roles)
    if not allowed:
        raise ValueError("a guarded blueprint must allow at least one role")

    @bp.before_request
    def _require_staff_role():
        return _refusal(allowed)


def requires_role(*roles: StaffRole | str) -> Callable[[F], F]:
    """Limit one view to ``roles`` (on top of its blueprint's guard)."""
    allowed = frozenset(StaffRole(r) for r in roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = _refusal(allowed)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        # Read by the URL-map access test, so per-view limits are checked like blueprints.
        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _refusal(allowed: frozenset[StaffRole]):
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=_requested_path()))
    if current_user.role not in allowed:
        abort(403)
    return None


def _requested_path() -> str:
    # full_path ends in "?" when there is no query string.
    return request.full_path.rstrip("?") if request.query_string else request.path
