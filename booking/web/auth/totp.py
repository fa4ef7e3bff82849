"""The second sign-in step: a TOTP code (``/staff/login/code``) and its set-up page.

After the password, ``booking.auth.sessions`` owes the
``totp`` step of every admin and of anyone enrolled; until it passes nobody is signed in.
An admin who has not set up a code yet is sent to the set-up page, and finishes signing in
by confirming a first code there. Staff pages visited half-way send the person back to the
step they owe, and a signed-in admin without a second factor (a session from before it was
required) can reach nothing on them but the set-up page.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from booking import clock
from booking.auth import sessions, totp
from booking.auth.redirects import safe_next
from booking.extensions import limiter
from booking.models import StaffRole, StaffUser
from booking.services import staff as staff_service
from booking.services import staff_totp

# Blueprints whose pages need a finished sign-in (their guard refuses anyone else).
STAFF_BLUEPRINTS = frozenset({"reception", "admin"})
CODE_LIMIT = "5 per 5 minutes"  # wrong codes per account; success does not count


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired("Please enter the 6-digit code."), Length(max=16)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": 16,
            "spellcheck": "false",
        },
    )


def _pending_account_key() -> str:
    pending = session.get(sessions.PENDING_KEY)
    if isinstance(pending, dict) and pending.get("staff_id") is not None:
        return f"staff-totp:{pending['staff_id']}"
    if current_user.is_authenticated:
        return f"staff-totp:{current_user.id}"
    return "staff-totp-address:" + get_remote_address()


def _code_limit() -> str:
    return current_app.config.get("STAFF_TOTP_LIMIT_PER_ACCOUNT", CODE_LIMIT)


def _only_refusals(response) -> bool:
    return response.status_code != 303


def _reception_home() -> str:
    return url_for("reception.home")


def _finish(staff: StaffUser, now):
    """Go to the next step owed, or sign in and go where the person was heading."""
    step = sessions.next_step(staff)
    if step is not None:
        return redirect(url_for(step.endpoint), code=303)
    destination = sessions.complete_login(staff, now=now)
    staff_service.record_login(staff, now=now)
    return redirect(safe_next(destination, _reception_home()), code=303)


def _lapsed():
    flash("Your sign-in took too long. Please sign in again.", "info")
    return redirect(url_for("auth.login"), code=303)


@limiter.limit(
    _code_limit, key_func=_pending_account_key, methods=["POST"], deduct_when=_only_refusals
)
def login_code():
    if current_user.is_authenticated:
        return redirect(_reception_home())
    now = clock.now()
    staff = sessions.pending_login(now=now)
    if staff is None:
        return _lapsed()
    if sessions.TOTP_STEP.name in _done_steps() or not sessions.owes_totp(staff):
        return _finish(staff, now)
    if not staff.totp_enrolled:
        return redirect(url_for("auth.totp_setup"), code=303)
    form = CodeForm()
    if form.validate_on_submit():
        if staff_totp.check_code(staff, form.code.data, now=now):
            sessions.mark_step_done(sessions.TOTP_STEP.name)
            return _finish(staff, now)
        form.code.errors.append(staff_totp.WRONG_CODE)
    return render_template("auth/code.html", form=form)


@limiter.limit(
    _code_limit, key_func=_pending_account_key, methods=["POST"], deduct_when=_only_refusals
)
def totp_setup():
    now = clock.now()
    signing_in = not current_user.is_authenticated
    if signing_in:
        staff = sessions.pending_login(now=now)
        if staff is None:
            return _lapsed()
        if staff.totp_enrolled or not sessions.owes_totp(staff):
            return redirect(url_for("auth.login_code"), code=303)
    else:
        staff = current_user.staff
    if staff.totp_enrolled:
        return render_template("auth/totp_enrolled.html")
    form = CodeForm()
    if form.validate_on_submit():
        try:
            staff_totp.enrol(staff, form.code.data, now=now)
        except staff_service.StaffError as error:
            form.code.errors.append(error.message)
        else:
            if signing_in:
                sessions.mark_step_done(sessions.TOTP_STEP.name)
                return _finish(staff, now)
            flash("Two-step sign-in is on. You will need a code each time you sign in.", "info")
            return redirect(_reception_home(), code=303)
    secret = staff_totp.enrolment_secret(staff)
    issuer = current_app.config["CLINIC_NAME"]
    uri = totp.provisioning_uri(secret, account=staff.email, issuer=issuer)
    return render_template(
        "auth/totp_setup.html",
        form=form,
        signing_in=signing_in,
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
        otpauth_uri=uri,
        # segno draws the SVG from the URI alone; no user text reaches it unescaped.
        qr_svg=Markup(totp.qr_svg(uri)),  # noqa: S704
        issuer=issuer,
        account=staff.email,
    )


def staff_pages_need_every_step():
    """Send a half-finished sign-in to its step, and an admin without a code to set-up."""
    if request.blueprint not in STAFF_BLUEPRINTS:
        return None
    if current_user.is_authenticated:
        if current_user.role is StaffRole.ADMIN and not current_user.staff.totp_enrolled:
            return redirect(url_for("auth.totp_setup"))
        return None
    staff = sessions.pending_login(now=clock.now())
    if staff is None:
        return None  # the blueprint's guard sends the visitor to the login page
    step = sessions.next_step(staff)
    if step is None or not step.endpoint.startswith("auth."):
        return None  # only this blueprint's sign-in steps are resumed here
    return redirect(url_for(step.endpoint))


def _done_steps() -> set[str]:
    pending = session.get(sessions.PENDING_KEY) or {}
    return set(pending.get("done", ()))
