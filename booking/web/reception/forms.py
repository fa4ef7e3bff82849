"""Reception's action forms. Field checks call ``booking.validation`` like the public forms.

Times staff type (overrides, time off, closures) are clinic-local dates and clock times;
``local_instant`` turns them into aware instants and refuses the hour that does not exist
when the clocks go forward.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import EmailField, TelField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking import validation
from booking.services import reasons
from booking.services.clearance import RESTRICTION_TICKS
from booking.services.clinic_settings import current_policy
from booking.web.forms import LIMITS, _check
from booking.web.forms import choices as web_choices
from booking.web.picker import parse_start

REASON_LIMIT = 200


def choices(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms choices."""
    return web_choices(pairs)


def local_instant(day: date, clock_time: time) -> datetime | None:
    """Return ``day`` at ``clock_time`` in the clinic's zone, or None if that time is skipped."""
    zone = current_policy().zone
    moment = datetime.combine(day, clock_time, zone)
    round_trip = moment.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


def _reason(form, field):
    _check(validation.clean_text, max_length=REASON_LIMIT)(form, field)
    if not field.data:
        raise ValidationError("Please give a reason.")
    if not reasons.is_real_sentence(field.data):
        raise ValidationError(reasons.REASON_MESSAGE)


class _OverrideFields(FlaskForm):
    """Book outside the rules: a tick, a reason, a typed local date and time."""

    start = HiddenField("Time")
    override = BooleanField("Override the booking rules (outside hours, inside the notice)")
    override_reason = StringField(
        "Reason for the override", render_kw={"maxlength": REASON_LIMIT, "autocomplete": "off"}
    )
    override_date = DateField("Date", format="%Y-%m-%d", validators=[Optional()])
    override_time = TimeField("Time", format="%H:%M", validators=[Optional()])

    def validate_override_reason(self, field):
        if self.override.data:
            _reason(self, field)

    def validate_override_date(self, field):
        if self.override.data and field.data is None:
            raise ValidationError("Give the date as YYYY-MM-DD.")

    def validate_override_time(self, field):
        if self.override.data and field.data is None:
            raise ValidationError("Give the time as HH:MM, for example 18:30.")

    def validate_start(self, field):
        if not self.override.data and not field.data:
            raise ValidationError("Choose one of the free times, or tick the override.")

    def wanted_start(self) -> datetime | None:
        """The start asked for: the typed local time under an override, else the picked one."""
        if self.override.data:
            moment = local_instant(self.override_date.data, self.override_time.data)
            if moment is None:
                self.override_time.errors.append("That time is skipped when the clocks change.")
            return moment
        start = parse_start(self.start.data or "")
        if start is None:
            self.start.errors.append("Choose one of the free times shown.")
        return start


class NewBookingForm(_OverrideFields):
    """Reception books for a caller: treatment, time, patient, and the pain screen."""

    option = SelectField(
        "Treatment and length",
        validate_choice=True,
        validators=[DataRequired("Choose a treatment and length.")],
    )
    therapist = SelectField("Therapist", validate_choice=True, default="")
    name = StringField("Full name", render_kw={"autocomplete": "off", "maxlength": 100})
    email = EmailField(
        "Email (optional: leave empty for a phone-only caller)",
        render_kw={"autocomplete": "off", "maxlength": 254},
    )
    phone = TelField("Phone", render_kw={"autocomplete": "off", "maxlength": 20})
    note = TextAreaField(
        "Note for the therapist (optional)",
        validators=[Optional()],
        render_kw={"maxlength": 2000, "rows": 3},
    )
    over_18 = BooleanField("The caller is 18 or over, or a parent or guardian agrees and attends")
    consent = BooleanField("The caller agreed to the use of their answers, as read out above")
    restriction_override_reason = StringField(
        "Reason to book a service the caller's clearance restrictions rule out (it will be "
        "held for a new clearance)",
        render_kw={"maxlength": REASON_LIMIT, "autocomplete": "off"},
    )
    form_key = HiddenField()

    def validate_restriction_override_reason(self, field):
        if field.data and field.data.strip():
            _reason(self, field)

    def validate_name(self, field):
        _check(validation.clean_name, max_length=LIMITS["name"])(self, field)

    def validate_email(self, field):
        # Optional at the desk: a caller without an address is booked phone-only.
        if not (field.data or "").strip():
            field.data = ""
            return
        _check(validation.normalise_email, max_length=LIMITS["email"])(self, field)

    def validate_phone(self, field):
        region = current_app.config["CLINIC_COUNTRY"]
        if not (field.data or "").strip() and not (self.email.data or "").strip():
            raise ValidationError("A caller without an email needs a phone number.")
        _check(validation.normalise_phone, region=region, max_length=LIMITS["phone"])(self, field)

    def validate_note(self, field):
        _check(validation.clean_text, max_length=LIMITS["note"], multiline=True)(self, field)

    def validate_over_18(self, field):
        if not field.data:
            raise ValidationError("Under-18s need a parent's or guardian's agreement.")

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError("Read the consent text to the caller and tick when they agree.")

    def validate_therapist(self, field):
        if self.override.data and not field.data:
            raise ValidationError("An override needs a named therapist.")


class MoveForm(_OverrideFields):
    therapist = SelectField("Therapist", validate_choice=True, default="")
    notify = BooleanField("Notify the patient by email", default=True)

    def validate_therapist(self, field):
        if self.override.data and not field.data:
            raise ValidationError("An override needs a named therapist.")


class CancelBookingForm(FlaskForm):
    confirm = BooleanField("Yes, cancel this booking")
    notify = BooleanField("Notify the patient by email", default=True)

    def validate_confirm(self, field):
        if not field.data:
            raise ValidationError("Tick to confirm the cancellation.")


class CancelCourseForm(FlaskForm):
    confirm = BooleanField("Yes, cancel every session of this course still to come")

    def validate_confirm(self, field):
        if not field.data:
            raise ValidationError("Tick to confirm cancelling the rest of the course.")


class StatusForm(FlaskForm):
    value = RadioField(
        "New status",
        choices=choices(("arrived", "Arrived"), ("completed", "Completed"), ("no_show", "No-show")),
        validate_choice=True,
        validators=[DataRequired("Choose a status.")],
    )


class NoteForm(FlaskForm):
    body = TextAreaField("Add a note (staff only)", render_kw={"maxlength": 2000, "rows": 3})

    def validate_body(self, field):
        _check(validation.clean_text, max_length=2000, multiline=True)(self, field)
        if not field.data:
            raise ValidationError("Please write the note.")


class ExtendHoldForm(FlaskForm):
    reason = StringField(
        "Reason (for example: GP appointment booked)",
        render_kw={"maxlength": REASON_LIMIT, "autocomplete": "off"},
    )

    def validate_reason(self, field):
        _reason(self, field)


class RecordClearanceForm(FlaskForm):
    source = RadioField(
        "Received by",
        choices=choices(("phone", "Phone"), ("letter", "Letter"), ("email", "Email")),
        validate_choice=True,
        validators=[DataRequired("Say how the clearance reached us.")],
    )
    outcome = RadioField(
        "What the clinician said",
        choices=choices(
            ("cleared", "Cleared"),
            ("cleared_with_restrictions", "Cleared with restrictions"),
            ("not_cleared", "Not cleared"),
        ),
        validate_choice=True,
        validators=[DataRequired("Choose what the clinician said.")],
    )
    restriction_ticks = SelectMultipleField(
        "Restrictions (if any)",
        choices=choices(*RESTRICTION_TICKS.items()),
        validate_choice=True,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    reason = StringField(
        "Reason (who told us, and how we checked)",
        render_kw={"maxlength": REASON_LIMIT, "autocomplete": "off"},
    )

    def validate_reason(self, field):
        _reason(self, field)


class DecideClearanceForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=choices(
            ("approve", "Approve: confirm the booking"), ("refuse", "Refuse: release it")
        ),
        validate_choice=True,
        validators=[InputRequired("Choose approve or refuse.")],
    )
    reason = StringField(
        "Reason (optional)", render_kw={"maxlength": REASON_LIMIT, "autocomplete": "off"}
    )

    def validate_reason(self, field):
        if self.decision.data == "refuse":
            _reason(self, field)
        else:
            _check(validation.clean_text, max_length=REASON_LIMIT)(self, field)


class _BlockFields(FlaskForm):
    start_date = DateField("From date", format="%Y-%m-%d", validators=[Optional()])
    start_time = TimeField("From time", format="%H:%M", validators=[Optional()])
    end_date = DateField("Until date", format="%Y-%m-%d", validators=[Optional()])
    end_time = TimeField("Until time", format="%H:%M", validators=[Optional()])
    reason = StringField("Reason", render_kw={"maxlength": REASON_LIMIT, "autocomplete": "off"})

    def validate_start_date(self, field):
        if field.data is None:
            raise ValidationError("Give the date as YYYY-MM-DD.")

    def validate_end_date(self, field):
        if field.data is None:
            raise ValidationError("Give the date as YYYY-MM-DD.")

    def validate_reason(self, field):
        _check(validation.clean_text, max_length=REASON_LIMIT)(self, field)

    def span(self) -> tuple[datetime, datetime] | None:
        """Return the typed span as instants; a blank time means the start / end of the day."""
        start = local_instant(self.start_date.data, self.start_time.data or time(0))
        if self.end_time.data is None:
            end = local_instant(self.end_date.data + timedelta(days=1), time(0))
        else:
            end = local_instant(self.end_date.data, self.end_time.data)
        if start is None:
            self.start_time.errors.append("That time is skipped when the clocks change.")
        if end is None:
            self.end_time.errors.append("That time is skipped when the clocks change.")
        return (start, end) if start and end else None


class TimeOffForm(_BlockFields):
    therapist = SelectField(
        "Therapist", validate_choice=True, validators=[DataRequired("Choose a therapist.")]
    )


class ClosureForm(_BlockFields):
    pass


class DeleteBlockForm(FlaskForm):
    pass
