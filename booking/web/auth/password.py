"""Staff sign-in and sign-out (``/staff/login``, ``/staff/logout``).

The password step; the TOTP step (``totp``) follows it through ``booking.auth.sessions``.
"""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests
from wtforms import HiddenField, PasswordField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, Length

from booking import clock
from booking.auth import sessions
from booking.auth.passwords import MAX_PASSWORD_LENGTH
from booking.auth.redirects import safe_next
from booking.extensions import limiter
from booking.services import sign_in_throttle as throttle
from booking.services import staff as staff_service

# One answer for every refusal, so the form does not reveal which addresses have accounts.
LOGIN_REFUSED = "Email or password is incorrect."


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired("Please enter your email address."), Length(max=254)],
        render_kw={"autocomplete": "username", "maxlength": 254, "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Please enter your password."),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


def _address_limit() -> str:
    return current_app.config["STAFF_LOGIN_LIMIT_PER_ADDRESS"]


def _reception_home() -> str:
    return url_for("reception.home")


@limiter.limit(_address_limit, key_func=get_remote_address, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    next_url = safe_next(form.next.data, _reception_home())
    if current_user.is_authenticated:
        return redirect(next_url)
    if form.validate_on_submit():
        now = clock.now()
        # Guessing slows down this address's tries at this account, never the account.
        account, source = staff_service.login_key(form.email.data), get_remote_address()
        wait = throttle.seconds_blocked(account, source, now=now)
        if wait:
            return _too_many(wait)
        staff = staff_service.authenticate(form.email.data, form.password.data, now=now)
        if staff is not None:
            throttle.record_success(account, source)
            step = sessions.begin_login(staff, next_url=next_url, now=now)
            if step is not None:
                return redirect(url_for(step.endpoint), code=303)
            destination = sessions.complete_login(staff, now=now)
            staff_service.record_login(staff, now=now)
            return redirect(safe_next(destination, _reception_home()), code=303)
        throttle.record_failure(account, source, now=now)
        form.form_errors.append(LOGIN_REFUSED)
        current_app.logger.warning("staff sign-in refused", extra={"event": "login.failed"})
    return render_template("auth/login.html", form=form)


def _too_many(seconds: int):
    response = current_app.make_response(
        (render_template("errors/429.html", error=None, code=429), 429)
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def logout():
    if current_user.is_authenticated:
        staff_service.sign_out(current_user.staff, now=clock.now())
    sessions.end_session()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"), code=303)


def too_many_attempts(error: TooManyRequests):
    return render_template("errors/429.html", error=error, code=429), 429
