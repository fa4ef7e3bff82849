"""Two-step sign-in: one secret per enrolment, shown until the first code proves it; each
code works once; a reset forgets the factor and ends the sessions; refusals are audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from booking.auth import totp
from booking.extensions import db
from booking.models import AuditEvent, StaffRole
from booking.services import staff_totp
from booking.services.audit import Actor
from booking.services.errors import StaffError
from tests.support.auth import make_staff

NOW = datetime(2027, 3, 10, 9, 0, 10, tzinfo=UTC)


def code(secret: str, moment: datetime = NOW) -> str:
    return totp.code_for_step(secret, totp.time_step(moment))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def member(app):
    return make_staff(StaffRole.ADMIN)


def test_the_secret_stays_the_same_until_enrolment(member):
    secret = staff_totp.enrolment_secret(member)
    assert staff_totp.enrolment_secret(member) == secret


def test_the_first_code_enrols_and_the_secret_is_never_shown_again(member):
    secret = staff_totp.enrolment_secret(member)
    staff_totp.enrol(member, code(secret), now=NOW)
    assert member.totp_enrolled
    assert "staff.totp_enrolled" in actions()
    with pytest.raises(StaffError) as refused:
        staff_totp.enrolment_secret(member)
    assert refused.value.reason == "already_enrolled"


def test_a_wrong_code_does_not_enrol_and_is_audited(member):
    secret = staff_totp.enrolment_secret(member)
    wrong = "000000" if code(secret) != "000000" else "111111"
    with pytest.raises(StaffError) as refused:
        staff_totp.enrol(member, wrong, now=NOW)
    assert (refused.value.reason, refused.value.field) == ("wrong_code", "code")
    assert not member.totp_enrolled
    assert actions()[-1] == "staff.totp_failed"


def test_enrolling_without_a_secret_asks_to_start_again(member):
    with pytest.raises(StaffError) as refused:
        staff_totp.enrol(member, "123456", now=NOW)
    assert refused.value.reason == "no_secret"


def test_a_code_signs_in_once(member):
    secret = staff_totp.enrolment_secret(member)
    staff_totp.enrol(member, code(secret), now=NOW)
    later = datetime(2027, 3, 10, 9, 5, 10, tzinfo=UTC)
    assert staff_totp.check_code(member, code(secret, later), now=later) is True
    assert staff_totp.check_code(member, code(secret, later), now=later) is False  # replayed
    assert staff_totp.check_code(member, None, now=later) is False


def test_an_account_without_the_factor_has_no_valid_code(member):
    assert staff_totp.check_code(member, "123456", now=NOW) is False


def test_a_reset_forgets_the_factor_and_ends_the_sessions(member):
    secret = staff_totp.enrolment_secret(member)
    staff_totp.enrol(member, code(secret), now=NOW)
    version = member.session_version
    staff_totp.reset(member, actor=Actor.system(), now=NOW)
    assert not member.totp_enrolled
    assert member.totp_secret is None
    assert member.session_version == version + 1
    assert staff_totp.enrolment_secret(member) != secret
