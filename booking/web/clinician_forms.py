"""The forms of a clinician's own link: the patient's request, and the clinician's answer.

Names, addresses and registration numbers are checked by the verbs
(``booking.services.clinician_links`` and ``clearance.validate``), whose refusals name the
field, so the API and the pages agree; these forms check the choices and the free text.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from booking import validation
from booking.services.clearance import RESTRICTION_TICKS
from booking.web.forms import _check, choices

ROLES = [("gp", "GP"), ("physiotherapist", "Physiotherapist"), ("other", "Other clinician")]


class ClinicianRequestForm(FlaskForm):
    """The patient names their GP or physio and gives the address to send the link to."""

    name = StringField("Your clinician's name", render_kw={"maxlength": 100, "autocomplete": "off"})
    email = EmailField("Their email address", render_kw={"maxlength": 254, "autocomplete": "off"})


class ClinicianClearanceForm(FlaskForm):
    """The clinician's own statement, asked as the patient's clearance form asks it."""

    clinician_name = StringField("Your name", render_kw={"maxlength": 100, "autocomplete": "name"})
    clinician_kind = RadioField(
        "Your role",
        choices=choices(ROLES),
        validate_choice=True,
        validators=[DataRequired("Please tell us your role.")],
    )
    registration = StringField(
        "Professional registration number",
        render_kw={"maxlength": 24, "autocomplete": "off", "spellcheck": "false"},
    )
    outcome = RadioField(
        "Is massage suitable for this patient now?",
        choices=choices(
            [
                ("cleared", "Yes, massage is suitable"),
                ("cleared_with_restrictions", "Yes, with the restrictions below"),
                ("not_cleared", "No, not for now"),
            ]
        ),
        validate_choice=True,
        validators=[DataRequired("Please say whether massage is suitable.")],
    )
    restriction_ticks = SelectMultipleField(
        "Restrictions",
        choices=choices(RESTRICTION_TICKS.items()),
        validate_choice=True,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    restrictions = TextAreaField(
        "Any other restriction, or what the therapist should avoid (optional)",
        render_kw={"maxlength": 1000, "rows": 3},
    )
    truthful = BooleanField("I am the clinician named above, and this is my professional opinion")

    def validate_restrictions(self, field):
        _check(validation.clean_text, max_length=1000, multiline=True)(self, field)

    def validate_truthful(self, field):
        if not field.data:
            raise ValidationError("Please confirm that this is your professional opinion.")
