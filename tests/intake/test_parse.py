"""parse_answers: strict about what a form or JSON body may send."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.intake import (
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    ScreenAnswers,
    ScreenError,
    UrgentSymptom,
    parse_answers,
)

FORM: dict[str, object] = {
    "location": "lower_back",
    "duration": "4_to_12_weeks",
    "sudden_onset": "no",
    "pain_score": "4",
    "disturbs_sleep_or_daily_life": "no",
    "recent_injury": "none",
    "long_term_steroids": "no",
    "under_care": "yes",
    "told_not_to_massage": "no",
}


def with_(**changes: object) -> dict[str, object]:
    data = dict(FORM)
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return data


class MultiDict:
    """The shape of Werkzeug's MultiDict: get() gives the first value, getlist() all."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def get(self, key: str, default: object = None) -> object:
        return next((v for k, v in self._pairs if k == key), default)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value  # type: ignore[return-value]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(dict(self._pairs))

    def __len__(self) -> int:
        return len(dict(self._pairs))


def test_parses_a_form() -> None:
    answers = parse_answers(FORM)
    assert answers == ScreenAnswers(
        location=PainLocation.LOWER_BACK,
        duration=PainDuration.FROM_4_TO_12_WEEKS,
        sudden_onset=False,
        pain_score=4,
        disturbs_sleep_or_daily_life=False,
        recent_injury=RecentInjury.NONE,
        long_term_steroids=False,
        under_care=True,
        told_not_to_massage=False,
    )
    assert answers.emergency_symptoms == frozenset()  # unticked boxes send nothing


def test_parses_json() -> None:
    data = with_(
        pain_score=10,
        sudden_onset=True,
        under_care=False,
        emergency_symptoms=[],
        urgent_symptoms=["night_or_rest_pain", "cancer_history"],
        history=["pregnant"],
    )
    answers = parse_answers(data)
    assert answers.pain_score == 10
    assert answers.sudden_onset is True
    assert answers.under_care is False
    assert answers.urgent_symptoms == {
        UrgentSymptom.NIGHT_OR_REST_PAIN,
        UrgentSymptom.CANCER_HISTORY,
    }
    assert answers.history == {HistoryItem.PREGNANT}


def test_multidict_checkboxes_are_all_read() -> None:
    pairs = [(k, str(v)) for k, v in FORM.items()]
    pairs += [
        ("emergency_symptoms", "bladder"),
        ("emergency_symptoms", "bowel"),
        ("csrf_token", "ignored"),
        ("consent", "yes"),
    ]
    answers = parse_answers(MultiDict(pairs))  # type: ignore[arg-type]
    assert answers.emergency_symptoms == {EmergencySymptom.BLADDER, EmergencySymptom.BOWEL}


def test_a_single_ticked_value_may_come_as_a_string() -> None:
    answers = parse_answers(with_(history="blood_thinners"))
    assert answers.history == {HistoryItem.BLOOD_THINNERS}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", 0), ("1", 1), ("7", 7), ("10", 10), (0, 0), (7, 7), (10, 10)],
)
def test_pain_score_accepts(raw: object, expected: int) -> None:
    assert parse_answers(with_(pain_score=raw)).pain_score == expected


@pytest.mark.parametrize(
    "raw",
    [
        " 7",
        "7 ",
        "7\n",
        "7.0",
        "\u0667",  # Arabic-Indic digit seven
        "\uff17",  # fullwidth digit seven
        "\u00b2",  # superscript two
        "+7",
        "-0",
        "07",
        "00",
        "7e0",
        "7_0",
        "0x7",
        "11",
        "-1",
        "",
        "seven",
        True,
        False,
        7.0,
        -1,
        11,
        None,
        ["7"],
        ...,  # missing altogether
    ],
)
def test_pain_score_rejects(raw: object) -> None:
    with pytest.raises(ScreenError) as excinfo:
        parse_answers(with_(pain_score=raw))
    assert excinfo.value.field == "pain_score"
    assert excinfo.value.message == "Choose a number from 0 to 10."
    assert dict(excinfo.value.errors) == {"pain_score": "Choose a number from 0 to 10."}


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("location", "upper_back"),
        ("location", "Lower_Back"),
        ("location", " lower_back"),
        ("location", "LOWER_BACK"),
        ("location", ""),
        ("location", None),
        ("location", ["lower_back"]),
        ("location", ...),
        ("duration", "over_12"),
        ("duration", ...),
        ("recent_injury", "car_crash"),
        ("recent_injury", True),
        ("emergency_symptoms", ["headache"]),
        ("emergency_symptoms", ["bladder", ""]),
        ("emergency_symptoms", "Bladder"),
        ("emergency_symptoms", [1]),
        ("emergency_symptoms", {"bladder": True}),
        ("urgent_symptoms", ["fever"]),
        ("history", ["pregnancy"]),
        ("history", 5),
    ],
)
def test_unknown_choices_are_rejected(field: str, raw: object) -> None:
    with pytest.raises(ScreenError) as excinfo:
        parse_answers(with_(**{field: raw}))
    assert excinfo.value.field == field
    assert field in str(excinfo.value)
    assert excinfo.value.message.startswith("Choose ")  # patient words, no echo of the value


@pytest.mark.parametrize(
    "field",
    [
        "sudden_onset",
        "disturbs_sleep_or_daily_life",
        "long_term_steroids",
        "under_care",
        "told_not_to_massage",
    ],
)
@pytest.mark.parametrize(
    "raw", ["on", "1", "0", "true", "Yes", "YES", "y", "n", "", 1, 0, None, ...]
)
def test_booleans_accept_only_yes_no_or_json(field: str, raw: object) -> None:
    with pytest.raises(ScreenError) as excinfo:
        parse_answers(with_(**{field: raw}))
    assert excinfo.value.field == field
    assert excinfo.value.message == "Choose yes or no."


@pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("no", False), (True, True)])
def test_booleans_accepted(raw: object, expected: bool) -> None:
    assert parse_answers(with_(told_not_to_massage=raw)).told_not_to_massage is expected


def test_all_errors_are_reported_first_in_question_order() -> None:
    with pytest.raises(ScreenError) as excinfo:
        parse_answers(with_(told_not_to_massage="maybe", pain_score="11", location=...))
    error = excinfo.value
    assert error.field == "location"
    assert list(error.errors) == ["location", "pain_score", "told_not_to_massage"]
    assert isinstance(error, ValueError)


def test_empty_submission_names_every_required_field() -> None:
    with pytest.raises(ScreenError) as excinfo:
        parse_answers({})
    assert set(excinfo.value.errors) == set(FORM)


screens = st.builds(
    ScreenAnswers,
    location=st.sampled_from(PainLocation),
    duration=st.sampled_from(PainDuration),
    sudden_onset=st.booleans(),
    pain_score=st.integers(0, 10),
    disturbs_sleep_or_daily_life=st.booleans(),
    recent_injury=st.sampled_from(RecentInjury),
    long_term_steroids=st.booleans(),
    emergency_symptoms=st.frozensets(st.sampled_from(EmergencySymptom)),
    urgent_symptoms=st.frozensets(st.sampled_from(UrgentSymptom)),
    history=st.frozensets(st.sampled_from(HistoryItem)),
    under_care=st.booleans(),
    told_not_to_massage=st.booleans(),
)


@given(screens)
def test_to_data_round_trips(answers: ScreenAnswers) -> None:
    assert parse_answers(answers.to_data()) == answers


@given(st.text(max_size=4))
def test_only_the_eleven_ascii_strings_are_scores(raw: str) -> None:
    valid = {str(n) for n in range(11)}
    try:
        score = parse_answers(with_(pain_score=raw)).pain_score
    except ScreenError:
        assert raw not in valid
    else:
        assert raw in valid and str(score) == raw
