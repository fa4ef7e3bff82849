"""The booking flow's forms. Field checks call ``booking.validation`` so the API agrees."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking import clock, validation
from booking.services.clearance import RESTRICTION_TICKS
from booking.services.clinic_settings import current_policy

LIMITS = {"name": 100, "email": 254, "phone": 20, "note": 2000}


def choices(pairs) -> list[SelectChoice]:
    """Build select or radio options from ``(value, label)`` pairs (WTForms 3.3 deprecates
    plain tuples)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def _check(func, **kwargs):
    """Wrap a validation function as a WTForms validator that stores the cleaned value."""

    def validator(form, field):
        try:
            field.data = func(field.data, **kwargs)
        except validation.InvalidInput as error:
            raise ValidationError(str(error)) from None

    return validator


class ChooseTreatmentForm(FlaskForm):
    option = RadioField(
        "Treatment and length",
        validators=[DataRequired("Please choose a treatment and how long you'd like.")],
        validate_choice=True,
    )
    therapist = SelectField("Therapist", validate_choice=True, default="")
    # Only for a treatment offered as a course (``Service.offers_course``); the view checks
    # that the treatment chosen is one.
    kind = RadioField(
        "One session or a course",
        choices=choices((("single", "A single session"), ("course", "A course of sessions"))),
        default="single",
        validators=[Optional()],
        validate_choice=True,
    )
    every_weeks = RadioField(
        "How often, for a course",
        choices=choices(
            (str(n), "Every week" if n == 1 else f"Every {n} weeks") for n in range(1, 5)
        ),
        default="1",
        validators=[Optional()],
        validate_choice=True,
    )


class CoursePlanForm(FlaskForm):
    """The course's sessions as planned; a session field per moved session is added by
    ``booking_flow.course.plan_form``."""

    accept = BooleanField("I accept the changed times shown above")


class TimeForm(FlaskForm):
    start = HiddenField("Time", validators=[DataRequired("Please choose a time.")])


class DetailsForm(FlaskForm):
    name = StringField("Full name", render_kw={"autocomplete": "name", "maxlength": 100})
    email = EmailField("Email", render_kw={"autocomplete": "email", "maxlength": 254})
    phone = TelField("Phone", render_kw={"autocomplete": "tel", "maxlength": 20})
    note = TextAreaField(
        "Anything your therapist should know? (optional)",
        validators=[Optional()],
        render_kw={"maxlength": 2000, "rows": 4},
    )
    over_18 = BooleanField("I am 18 or over")
    date_of_birth = DateField(
        "Date of birth (if you are under 18)", validators=[Optional()], format="%Y-%m-%d"
    )
    guardian_consent = BooleanField(
        "A parent or guardian agrees to this booking and will come with me"
    )
    agree_policy = BooleanField("I have read and agree to the cancellation policy")

    def validate_name(self, field):
        _check(validation.clean_name, max_length=LIMITS["name"])(self, field)

    def validate_email(self, field):
        _check(validation.normalise_email, max_length=LIMITS["email"])(self, field)

    def validate_phone(self, field):
        region = current_app.config["CLINIC_COUNTRY"]
        _check(validation.normalise_phone, region=region, max_length=LIMITS["phone"])(self, field)

    def validate_note(self, field):
        _check(validation.clean_text, max_length=LIMITS["note"], multiline=True)(self, field)

    def validate_over_18(self, field):
        if field.data:
            return
        if not self.date_of_birth.data:
            raise ValidationError("Tick this box, or give your date of birth below.")

    def validate_date_of_birth(self, field):
        if field.data is None or self.over_18.data:
            return
        today = _clinic_today()
        if field.data > today or field.data.year < today.year - 120:
            raise ValidationError("Please check your date of birth.")
        if _age(field.data, today) >= 18:
            self.over_18.data = True

    def validate_guardian_consent(self, field):
        if self.over_18.data or self.date_of_birth.data is None or field.data:
            return
        raise ValidationError("Under-18s need a parent's or guardian's agreement.")

    def validate_agree_policy(self, field):
        if not field.data:
            raise ValidationError("Please agree to the cancellation policy to book.")


def _clinic_today() -> date:
    zone = current_policy().zone
    return clock.now().astimezone(zone).date()


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ConfirmForm(FlaskForm):
    """The review page's button; ``form_key`` makes a resubmission return the same booking."""

    form_key = HiddenField(
        validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}\Z", message="Please try again.")]
    )


class CancelForm(FlaskForm):
    pass


class ScreenForm(FlaskForm):
    """The pain screen's consent box; the nine questions are parsed by ``booking.intake``."""

    consent = BooleanField("I agree")

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(
                "Please tick the box to agree, so we can use your answers to plan your visit."
            )


class ClearanceForm(FlaskForm):
    """The patient's statement that a clinician has (or hasn't) cleared them."""

    clinician_name = StringField(
        "Who did you see?", render_kw={"maxlength": 100, "autocomplete": "off"}
    )
    clinician_kind = RadioField(
        "What kind of clinician are they?",
        choices=choices(
            [
                ("gp", "GP"),
                ("consultant", "Hospital consultant"),
                ("physiotherapist", "Physiotherapist"),
                ("other", "Other"),
            ]
        ),
        validate_choice=True,
        validators=[DataRequired("Please tell us what kind of clinician they are.")],
    )
    consultation_date = DateField(
        "When did you see them?",
        format="%Y-%m-%d",
        validators=[DataRequired("Please give the date as YYYY-MM-DD, for example 2027-03-04.")],
    )
    outcome = RadioField(
        "What did they say?",
        choices=choices(
            [
                ("cleared", "Massage is fine for me"),
                ("cleared_with_restrictions", "Massage is fine, with some restrictions"),
                ("not_cleared", "I shouldn't have massage for now"),
            ]
        ),
        validate_choice=True,
        validators=[DataRequired("Please tell us what they said.")],
    )
    restriction_ticks = SelectMultipleField(
        "Restrictions",
        choices=choices(RESTRICTION_TICKS.items()),
        validate_choice=True,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    restrictions = TextAreaField(
        "Anything else we should know about the restrictions? (optional)",
        render_kw={"maxlength": 1000, "rows": 3},
    )
    truthful = BooleanField("This is true, and I will tell you if anything changes")

    def validate_clinician_name(self, field):
        _check(validation.clean_name, max_length=100)(self, field)

    def validate_restrictions(self, field):
        _check(validation.clean_text, max_length=1000, multiline=True)(self, field)

    def validate_truthful(self, field):
        if not field.data:
            raise ValidationError("Please confirm that this is true.")
