"""Password hashing (argon2id) and the ``next=`` check, as plain functions."""

import pytest
from argon2 import PasswordHasher, Type

from booking.auth import passwords
from booking.auth.redirects import is_safe_next, safe_next


def test_hash_is_argon2id_and_verifies_only_the_right_password():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")


def test_same_password_hashes_differently_each_time():
    assert passwords.hash_password("same password!") != passwords.hash_password("same password!")


def test_damaged_hash_verifies_nothing_and_asks_for_rehash():
    assert not passwords.verify_password("not-a-hash", "anything at all")
    assert passwords.needs_rehash("not-a-hash")


def test_weaker_parameters_need_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    assert passwords.needs_rehash(weak.hash("a password here"))
    assert not passwords.needs_rehash(passwords.hash_password("a password here"))


def test_overlong_password_is_refused_without_hashing():
    stored = passwords.hash_password("x" * 12)
    assert not passwords.verify_password(stored, "x" * (passwords.MAX_PASSWORD_LENGTH + 1))


def test_dummy_verification_runs_without_error():
    passwords.verify_against_dummy("whatever")


OPEN_REDIRECTS = [
    "//evil.example",
    "//evil.example/reception/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "http://evil.example/reception/",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "/%25252F%25252Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\u3002evil.example",
    "reception/",
    "evil.example",
    "",
    None,
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_refuses_anything_but_a_path_on_this_site(target):
    assert not is_safe_next(target)
    assert safe_next(target, "/reception/") == "/reception/"


@pytest.mark.parametrize(
    "target",
    ["/reception/", "/reception/admin/", "/reception/?day=2027-03-10", "/reception/a%20b"],
)
def test_next_keeps_a_relative_path(target):
    assert is_safe_next(target)
    assert safe_next(target, "/reception/") == target
