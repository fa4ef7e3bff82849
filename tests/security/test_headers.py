"""Security headers on every response, and no inline script or style on any page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from booking import PROJECT_ROOT, clock
from booking.models import StaffRole
from booking.security import CONTENT_SECURITY_POLICY
from tests.security import booking_with_token
from tests.support.database import DEFAULT_NOW
from tests.web.test_reception_guard import signed_in_client

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def assert_common_headers(response) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert re.fullmatch(r"[A-Za-z0-9-]{1,64}", headers["X-Request-ID"])
    assert "Strict-Transport-Security" not in headers  # plain HTTP


def assert_personal(response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert "cookie" in {v.strip().lower() for v in response.headers["Vary"].split(",")}


def test_the_policy_allows_nothing_inline_and_nothing_third_party():
    assert CONTENT_SECURITY_POLICY == CSP
    assert "unsafe-inline" not in CSP and "http" not in CSP


def test_a_public_page_has_the_headers(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    assert_common_headers(response)
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_static_files_and_errors_have_the_headers_too(client, demo):
    with client.get("/static/css/site.css") as response:
        assert_common_headers(response)
    assert_common_headers(client.get("/nowhere"))


def test_a_manage_page_is_private_and_sends_no_referrer(client, demo):
    _, token = booking_with_token()
    response = client.get(f"/manage/{token}")
    assert response.status_code == 200
    assert_common_headers(response)
    assert_personal(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path", ["/manage/{token}/calendar.ics", "/manage/no-such-token-at-all-here", "/feeds/x.ics"]
)
def test_token_pages_send_no_referrer_even_when_missing(client, demo, path):
    _, token = booking_with_token()
    response = client.get(path.format(token=token))
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert_common_headers(response)


def test_a_reception_page_is_private(app: Flask, demo):
    client = signed_in_client(app, StaffRole.RECEPTION)
    response = client.get("/reception/")
    assert response.status_code == 200
    assert_common_headers(response)
    assert_personal(response)


def test_the_sign_in_page_is_private(client):
    response = client.get("/staff/login")
    assert_personal(response)


def test_the_booking_flow_is_private(client, demo):
    assert_personal(client.get("/book/"))


def test_api_answers_about_a_booking_are_private(client, demo):
    _, token = booking_with_token()
    response = client.get(f"/api/v1/bookings/{token}")
    assert response.status_code == 200
    assert_common_headers(response)
    assert_personal(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    missing = client.get("/api/v1/bookings/" + "A" * 32)
    assert missing.status_code == 404
    assert_personal(missing)
    assert missing.headers["Referrer-Policy"] == "no-referrer"


def test_the_public_api_has_the_headers(client, demo):
    response = client.get("/api/v1/services")
    assert_common_headers(response)
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_hsts_only_over_https(client, demo):
    secure = client.get("/", base_url="https://clinic.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/").headers


# --- No inline script or style, on any page -----------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^>]*>")
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
INLINE_ATTRIBUTE = re.compile(r"\s(?:on[a-z]+|style)\s*=", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Return every inline script, style element, style= or on*= attribute in ``html``."""
    found = [m.group(0)[:80] for m in SCRIPT.finditer(html) if m.group(2).strip()]
    found += [m.group(0)[:80] for m in SCRIPT.finditer(html) if "src=" not in m.group(1).lower()]
    found += re.findall(r"<style\b", html, re.IGNORECASE)
    found += [tag[:80] for tag in TAG.findall(html) if INLINE_ATTRIBUTE.search(tag)]
    found += re.findall(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I)
    return found


def get_routes_without_arguments(app: Flask) -> list[str]:
    paths = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments
    ]
    assert "/" in paths and "/book/" in paths
    return sorted(paths)


def assert_no_inline_code(client, app: Flask) -> int:
    pages = 0
    for path in get_routes_without_arguments(app):
        response = client.get(path, follow_redirects=True)
        if response.mimetype != "text/html":
            continue
        pages += 1
        assert inline_code(response.get_data(as_text=True)) == [], path
    return pages


def test_no_page_has_inline_code_for_visitors(app: Flask, demo):
    assert assert_no_inline_code(app.test_client(), app) > 5


def test_no_page_has_inline_code_for_an_admin(app: Flask, demo):
    client = signed_in_client(app, StaffRole.ADMIN)
    assert assert_no_inline_code(client, app) > 5


def test_the_detector_finds_inline_code():
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<p style="color:red">')
    assert inline_code('<img src=x onerror="alert(1)">')
    assert inline_code('<a href="javascript:alert(1)">')
    assert not inline_code('<script src="/static/js/forms.js" defer></script><p class="x">')


def template_files() -> list[Path]:
    # E-mails are not web pages (no CSP applies, and mail clients need inline styles).
    root = PROJECT_ROOT / "templates"
    files = [p for p in root.rglob("*.html") if "email" not in p.relative_to(root).parts]
    assert files
    return files


@pytest.mark.parametrize("path", template_files(), ids=lambda p: p.name)
def test_templates_have_no_inline_code(path: Path):
    assert inline_code(path.read_text(encoding="utf-8")) == []


# --- Cookies ----------------------------------------------------------------------------


def session_cookie_header(app: Flask) -> str:
    client = app.test_client()
    # The sign-in form's CSRF token lives in the session, so the page sets the cookie.
    response = client.get("/staff/login")
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax(make_app):
    cookie = session_cookie_header(make_app(WTF_CSRF_ENABLED=True))
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the default is for local development over HTTP


def test_secure_cookies_make_a_secure_host_only_cookie(make_app):
    cookie = session_cookie_header(make_app(WTF_CSRF_ENABLED=True, SECURE_COOKIES=True))
    assert cookie.startswith("__Host-session=")
    attributes = [part.strip() for part in cookie.split(";")]
    assert "Secure" in attributes and "HttpOnly" in attributes and "SameSite=Lax" in attributes
    assert "Path=/" in attributes
    assert not any(a.lower().startswith("domain=") for a in attributes)


def test_signing_in_sets_no_remember_me_cookie(app: Flask):
    client = signed_in_client(app, StaffRole.RECEPTION)
    assert client.get_cookie("remember_token", domain="clinic.test") is None
    assert client.get_cookie("session", domain="clinic.test") is not None
