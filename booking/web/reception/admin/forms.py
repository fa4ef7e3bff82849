"""The admin pages' forms. Field checks call the service layer's parsers so both agree."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.services import catalog_input
from booking.services.catalog_input import WEEKDAYS
from booking.web.forms import choices


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ButtonForm(FlaskForm):
    """A form with nothing but the CSRF token: deactivate, remove, revoke buttons."""


class ServiceCreateForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 120})
    summary = StringField("One-line summary", render_kw={"maxlength": 300})
    minutes = IntegerField(
        "First duration (minutes)",
        validators=[InputRequired("Give the length in minutes."), NumberRange(5, 480)],
    )
    price = StringField("Price (£)", render_kw={"maxlength": 10, "inputmode": "decimal"})

    def validate_price(self, field):
        try:
            field.data = catalog_input.parse_price(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ServiceForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 120})
    summary = StringField("One-line summary", render_kw={"maxlength": 300})
    body = TextAreaField("Description (Markdown)", render_kw={"rows": 8, "maxlength": 20000})
    suits = StringField("Suits", render_kw={"maxlength": 300})
    buffer_minutes = IntegerField(
        "Buffer after each session (minutes)",
        validators=[InputRequired("Give the buffer in minutes (0 for none)."), NumberRange(0, 240)],
    )
    deep_pressure = BooleanField("Deep pressure (not offered to patients the screen flags)")
    course_sessions = IntegerField(
        "Sessions in a course (0: not offered as a course)",
        validators=[Optional(), NumberRange(0, 12)],
    )
    active = BooleanField("Bookable")
    therapists = _Checkboxes("Therapists who offer it", coerce=int, validate_choice=True)


class DurationForm(FlaskForm):
    minutes = IntegerField(
        "Minutes", validators=[InputRequired("Give the length in minutes."), NumberRange(5, 480)]
    )
    price = StringField("Price (£)", render_kw={"maxlength": 10, "inputmode": "decimal"})

    def validate_price(self, field):
        try:
            field.data = catalog_input.parse_price(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class TherapistCreateForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 100})
    title = StringField("Title", render_kw={"maxlength": 120})


class TherapistForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 100})
    title = StringField("Title", render_kw={"maxlength": 120})
    bio = TextAreaField("Biography", render_kw={"rows": 6, "maxlength": 5000})
    active = BooleanField("Takes bookings")
    services = _Checkboxes("Services offered", coerce=int, validate_choice=True)


def _hours_field(day: int) -> StringField:
    return StringField(
        WEEKDAYS[day],
        render_kw={"maxlength": 200, "placeholder": "e.g. 09:00-13:00, 14:00-18:00"},
    )


class HoursForm(FlaskForm):
    """One text per weekday; blank is a day off. Parsed by ``catalog_input.parse_week``."""

    day_0 = _hours_field(0)
    day_1 = _hours_field(1)
    day_2 = _hours_field(2)
    day_3 = _hours_field(3)
    day_4 = _hours_field(4)
    day_5 = _hours_field(5)
    day_6 = _hours_field(6)

    def day_fields(self):
        return [getattr(self, f"day_{d}") for d in range(7)]


class RoomForm(FlaskForm):
    name = StringField("Room name", render_kw={"maxlength": 80})


class StaffCreateForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 100, "autocomplete": "off"})
    email = EmailField("Email", render_kw={"maxlength": 254, "autocomplete": "off"})
    role = SelectField(
        "Role",
        choices=choices(
            [("reception", "Reception"), ("therapist", "Therapist"), ("admin", "Admin")]
        ),
        validate_choice=True,
    )
    therapist = SelectField(
        "Therapist (for a therapist account)", coerce=str, validate_choice=True, default=""
    )
    password = PasswordField(
        "Initial password", render_kw={"autocomplete": "new-password", "maxlength": 1024}
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        "New password", render_kw={"autocomplete": "new-password", "maxlength": 1024}
    )


class FeedCreateForm(FlaskForm):
    therapist = SelectField("Whose bookings", coerce=str, validate_choice=True, default="")
    label = StringField("Label (e.g. whose phone)", render_kw={"maxlength": 100})


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = StringField("Action starts with", render_kw={"maxlength": 64})
    date_from = DateField("From", validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField("To", validators=[Optional()], format="%Y-%m-%d")
    ref = StringField("Booking reference", render_kw={"maxlength": 32})
    staff = SelectField("Staff member", coerce=str, validate_choice=True, default="")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


class ExportForm(FlaskForm):
    class Meta:
        csrf = False

    # Sent as ?from=&to= (``from`` is a Python keyword, hence ``name=``).
    date_from = DateField(
        "From", validators=[InputRequired("Give the first day.")], format="%Y-%m-%d", name="from"
    )
    date_to = DateField(
        "To", validators=[InputRequired("Give the last day.")], format="%Y-%m-%d", name="to"
    )

    def validate_date_to(self, field):
        if field.data and self.date_from.data:
            if field.data < self.date_from.data:
                raise ValidationError("The end date is before the start date.")
            if (field.data - self.date_from.data).days > 366:
                raise ValidationError("Export at most a year at a time.")
