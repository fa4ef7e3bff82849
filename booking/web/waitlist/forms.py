"""The waitlist's forms: the wish (dates, days, times of day, therapist) and who waits."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking.web.forms import DetailsForm, choices

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_PART_LABELS = {
    "morning": "Mornings (before 12:00)",
    "afternoon": "Afternoons (12:00 to 17:00)",
    "evening": "Evenings (after 17:00)",
}


def _checkboxes(label: str, pairs) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=choices(pairs),
        validate_choice=True,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


class WishForm(FlaskForm):
    """Which times would do. Empty day or time boxes mean any."""

    first_day = DateField(
        "From", format="%Y-%m-%d", validators=[DataRequired("Please give the first day.")]
    )
    last_day = DateField(
        "To", format="%Y-%m-%d", validators=[DataRequired("Please give the last day.")]
    )
    weekdays = _checkboxes("Days that suit (none ticked: any day)", enumerate(WEEKDAYS))
    day_parts = _checkboxes(
        "Times of day that suit (none ticked: any time)", DAY_PART_LABELS.items()
    )
    therapist = SelectField("Therapist", validate_choice=True, default="")

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError("The last day can't be before the first.")


class JoinForm(WishForm, DetailsForm):
    """A wish and the details the booking flow asks for (checked by the same rules)."""

    note = None  # nothing to tell the therapist yet: it is asked for when booking


class ClaimForm(FlaskForm):
    """The offer page's one confirmation; ``form_key`` makes a resubmission safe."""

    form_key = HiddenField(
        validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}\Z", message="Please try again.")]
    )


class PlainForm(FlaskForm):
    """A button that only needs the CSRF token (decline, leave)."""
