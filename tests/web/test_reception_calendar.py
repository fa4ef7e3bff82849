"""The day and week views: bookings in the right column and row, in the clinic's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from booking import clock
from booking.extensions import db
from booking.models import BookingStatus, Closure, Intake, StaffRole, TimeOff
from booking.services import staff as staff_service
from booking.services.audit import Actor
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)
from tests.support.database import DEFAULT_NOW

PASSWORD = "correct horse battery"
H = 60
# Wednesday 10 March 2027, 10:20 in London (GMT): the "now" of these tests.
NOW = datetime(2027, 3, 10, 10, 20, tzinfo=UTC)


class Table(HTMLParser):
    """Read the calendar table into {(row header, column header): cell text}, rowspans kept."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.cells: dict[tuple[str, str], str] = {}
        self.classes: dict[tuple[str, str], str] = {}
        self.row_classes: dict[str, str] = {}
        self._in_table = self._in_head = False
        self._row: list[tuple[str, str, int]] | None = None
        self._row_class = ""
        self._cell: list[str] | None = None
        self._cell_attrs: dict = {}
        self._pending: dict[int, tuple[str, str, int]] = {}  # column -> (text, class, rows left)
        self._rows: list[list[tuple[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-calendar" in attrs:
            self._in_table = True
        if not self._in_table:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
            self._row_class = attrs.get("class") or ""
        elif tag in ("td", "th"):
            self._cell = []
            self._cell_attrs = attrs

    def handle_endtag(self, tag):
        if not self._in_table:
            return
        if tag == "table":
            self._in_table = False
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append(
                (text, self._cell_attrs.get("class") or "", int(self._cell_attrs.get("rowspan", 1)))
            )
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self.headers = [t for t, _, _ in self._row[1:]]
            else:
                self._finish_row()
            self._row = None

    def _finish_row(self):
        label, *cells = self._row
        row_label = label[0].split(" ")[0]
        self.row_classes[row_label] = self._row_class
        it = iter(cells)
        for col, header in enumerate(self.headers):
            if col in self._pending:
                text, cls, left = self._pending[col]
                if left > 1:
                    self._pending[col] = (text, cls, left - 1)
                else:
                    del self._pending[col]
            else:
                text, cls, span = next(it)
                if span > 1:
                    self._pending[col] = (text, cls, span - 1)
            self.cells[(row_label, header)] = text
            self.classes[(row_label, header)] = cls

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(html: str) -> Table:
    parsed = Table()
    parsed.feed(html)
    assert parsed.headers, "no calendar table on the page"
    return parsed


def sign_in(app, role=StaffRole.RECEPTION, therapist_id=None):
    email = f"{role.value}@clinic.example"
    staff_service.create_staff(
        email=email,
        name=f"{role.value.title()} Person",
        role=role,
        password=PASSWORD,
        therapist_id=therapist_id,
        actor=Actor.system(),
        now=DEFAULT_NOW,
    )
    client = app.test_client()
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303
    return client


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def clinic(app, frozen):
    service = make_service(name="Back massage", durations=((60, 5500), (30, 3500)))
    sunday_too = {d: [(9 * H, 17 * H)] for d in range(5)}
    sunday_too[6] = [(0, 4 * H), (9 * H, 17 * H)]
    amy = make_therapist(name="Amy Able", services=[service], hours=sunday_too, position=1)
    ben = make_therapist(
        name="Ben Bright", services=[service], hours={2: [(12 * H, 18 * H)]}, position=2
    )
    room_a = make_room(name="Room Alpha", position=1)
    room_b = make_room(name="Room Beta", position=2)
    db.session.commit()
    return {"service": service, "amy": amy, "ben": ben, "room_a": room_a, "room_b": room_b}


def book(clinic, start, *, therapist="amy", room="room_a", minutes=60, **fields):
    booking = make_booking(
        starts_at=start,
        minutes=minutes,
        service=clinic["service"],
        therapist=clinic[therapist],
        room=clinic[room],
        **fields,
    )
    db.session.commit()
    return booking


def test_booking_sits_in_its_therapists_column_over_its_rows(app, clinic):
    book(clinic, datetime(2027, 3, 10, 10, 0, tzinfo=UTC), patient=make_patient(name="Pat One"))
    book(
        clinic,
        datetime(2027, 3, 10, 13, 30, tzinfo=UTC),
        therapist="ben",
        room="room_b",
        minutes=30,
        patient=make_patient(name="Pat Two"),
    )
    page = sign_in(app).get("/reception/day?date=2027-03-10")
    assert page.status_code == 200
    grid = table(page.text)
    assert grid.headers == ["Amy Able", "Ben Bright"]
    for row in ("10:00", "10:15", "10:30", "10:45"):
        assert "Pat One" in grid.cells[(row, "Amy Able")]
        assert "Pat One" not in grid.cells[(row, "Ben Bright")]
    assert "Pat One" not in grid.cells[("11:00", "Amy Able")]
    assert "10:00\u201311:00" in grid.cells[("10:00", "Amy Able")]
    assert "Back massage" in grid.cells[("10:00", "Amy Able")]
    assert "Confirmed" in grid.cells[("10:00", "Amy Able")]
    assert "Pat Two" in grid.cells[("13:30", "Ben Bright")]
    assert "Pat Two" not in grid.cells[("14:00", "Ben Bright")]


def test_home_is_todays_day_view(app, clinic):
    book(clinic, datetime(2027, 3, 10, 9, 0, tzinfo=UTC), patient=make_patient(name="Today Tess"))
    client = sign_in(app)
    page = client.get("/reception/")
    assert page.status_code == 200
    assert "Wednesday 10 March 2027" in page.text
    assert "Today Tess" in table(page.text).cells[("09:00", "Amy Able")]


def test_working_hours_and_off_hours_are_marked(app, clinic):
    grid = table(sign_in(app).get("/reception/day?date=2027-03-10").text)
    assert "work" in grid.classes[("09:00", "Amy Able")].split()
    assert "off" in grid.classes[("09:00", "Ben Bright")].split()
    assert "work" in grid.classes[("12:00", "Ben Bright")].split()
    rows = list(grid.row_classes)
    assert rows[0] == "09:00" and rows[-1] == "17:45"


def test_spring_forward_day_has_no_missing_hour_and_local_rows(app, clinic):
    # 2027-03-28: London clocks go 01:00 GMT -> 02:00 BST.
    book(clinic, datetime(2027, 3, 28, 1, 0, tzinfo=UTC), patient=make_patient(name="Early Eve"))
    book(clinic, datetime(2027, 3, 28, 8, 0, tzinfo=UTC), patient=make_patient(name="Nine Nia"))
    grid = table(sign_in(app).get("/reception/day?date=2027-03-28").text)
    rows = list(grid.row_classes)
    assert "00:45" in rows and "02:00" in rows
    assert not [r for r in rows if r.startswith("01:")]
    assert "Early Eve" in grid.cells[("02:00", "Amy Able")]  # 01:00 UTC is 02:00 BST
    assert "02:00\u201303:00" in grid.cells[("02:00", "Amy Able")]
    assert "Nine Nia" in grid.cells[("09:00", "Amy Able")]  # 08:00 UTC is 09:00 BST
    assert "Nine Nia" not in grid.cells[("08:45", "Amy Able")]


def test_week_across_the_clock_change_keeps_wall_times(app, clinic):
    book(clinic, datetime(2027, 3, 24, 9, 0, tzinfo=UTC), patient=make_patient(name="Wed Wendy"))
    book(clinic, datetime(2027, 3, 28, 8, 0, tzinfo=UTC), patient=make_patient(name="Sun Sam"))
    page = sign_in(app).get(f"/reception/week?therapist={clinic['amy'].slug}&date=2027-03-26")
    assert page.status_code == 200
    grid = table(page.text)
    assert grid.headers == [
        f"{d} {n} Mar"
        for d, n in zip(
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], range(22, 29), strict=True
        )
    ]
    assert "Wed Wendy" in grid.cells[("09:00", "Wed 24 Mar")]
    assert "Sun Sam" in grid.cells[("09:00", "Sun 28 Mar")]
    assert "gap" in grid.classes[("01:00", "Sun 28 Mar")].split()
    assert "gap" not in grid.classes[("01:00", "Sat 27 Mar")].split()
    assert "Amy Able" in page.text


def test_week_view_offers_a_therapist_chooser(app, clinic):
    page = sign_in(app).get(f"/reception/week?therapist={clinic['ben'].slug}&date=2027-03-10")
    assert page.status_code == 200
    assert 'name="therapist"' in page.text
    assert f'value="{clinic["ben"].slug}" selected' in page.text
    grid = table(page.text)
    assert "work" in grid.classes[("12:00", "Wed 10 Mar")].split()
    assert "off" in grid.classes[("12:00", "Thu 11 Mar")].split()


def test_cancelled_bookings_are_hidden_unless_asked_for(app, clinic):
    start = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
    book(clinic, start, status=BookingStatus.CANCELLED, patient=make_patient(name="Gone Gina"))
    book(clinic, start, room="room_b", patient=make_patient(name="Here Hal"))
    client = sign_in(app)
    hidden = client.get("/reception/day?date=2027-03-10")
    assert "Gone Gina" not in hidden.text and "Here Hal" in hidden.text
    shown = client.get("/reception/day?date=2027-03-10&show=all")
    cell = table(shown.text).cells[("14:00", "Amy Able")]
    assert "Gone Gina" in cell and "Cancelled" in cell and "Here Hal" in cell


def test_statuses_and_hold_time_left_are_shown(app, clinic):
    book(
        clinic,
        datetime(2027, 3, 10, 15, 0, tzinfo=UTC),
        status=BookingStatus.HELD,
        hold_expires_at=NOW + timedelta(hours=5, minutes=10),
        patient=make_patient(name="Held Harry"),
    )
    book(
        clinic,
        datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
        therapist="ben",
        room="room_b",
        status=BookingStatus.NO_SHOW,
    )
    grid = table(sign_in(app).get("/reception/day?date=2027-03-10").text)
    assert "Held, 5 h 10 min left" in grid.cells[("15:00", "Amy Able")]
    assert "No-show" in grid.cells[("12:00", "Ben Bright")]


def test_per_room_toggle_puts_bookings_in_room_columns(app, clinic):
    book(
        clinic,
        datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
        therapist="ben",
        room="room_b",
        patient=make_patient(name="Roomy Rita"),
    )
    grid = table(sign_in(app).get("/reception/day?date=2027-03-10&by=room").text)
    assert grid.headers == ["Room Alpha", "Room Beta"]
    assert "Roomy Rita" in grid.cells[("12:00", "Room Beta")]
    assert "Roomy Rita" not in grid.cells[("12:00", "Room Alpha")]


def test_closures_and_time_off_are_shaded(app, clinic):
    db.session.add(
        TimeOff(
            therapist_id=clinic["amy"].id,
            starts_at=datetime(2027, 3, 10, 11, 0, tzinfo=UTC),
            ends_at=datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
            reason="Dentist",
        )
    )
    db.session.add(
        Closure(
            starts_at=datetime(2027, 3, 10, 16, 0, tzinfo=UTC),
            ends_at=datetime(2027, 3, 11, 0, 0, tzinfo=UTC),
            reason="Staff training",
        )
    )
    db.session.commit()
    page = sign_in(app).get("/reception/day?date=2027-03-10")
    grid = table(page.text)
    assert "time-off" in grid.classes[("11:00", "Amy Able")].split()
    assert "Time off: Dentist" in grid.cells[("11:00", "Amy Able")]
    assert "time-off" not in grid.classes[("11:00", "Ben Bright")].split()
    assert "time-off" not in grid.classes[("12:00", "Amy Able")].split()
    assert "closed" in grid.classes[("16:00", "Amy Able")].split()
    assert "closed" in grid.classes[("16:00", "Ben Bright")].split()
    assert "Clinic closed: Staff training" in grid.cells[("16:00", "Ben Bright")]
    assert "closed" not in grid.classes[("15:45", "Ben Bright")].split()


def test_current_time_line_is_on_todays_row_only(app, clinic):
    client = sign_in(app)
    today = table(client.get("/reception/day?date=2027-03-10").text)
    assert [r for r, c in today.row_classes.items() if "now-row" in c] == ["10:15"]
    page = client.get("/reception/day?date=2027-03-10")
    assert "Now 10:20" in page.text
    tomorrow = table(client.get("/reception/day?date=2027-03-11").text)
    assert not [r for r, c in tomorrow.row_classes.items() if "now-row" in c]


def test_day_links_and_date_picker_work_without_javascript(app, clinic):
    page = sign_in(app).get("/reception/day?date=2027-03-10")
    assert 'href="/reception/day?date=2027-03-09"' in page.text
    assert 'href="/reception/day?date=2027-03-11"' in page.text
    assert 'type="date"' in page.text and 'name="date"' in page.text
    assert '<th scope="col"' in page.text and '<th scope="row"' in page.text
    assert "<caption" in page.text
    assert "style=" not in page.text


def test_a_date_that_is_not_a_date_shows_today_with_a_message(app, clinic):
    page = sign_in(app).get("/reception/day?date=2027-13-45")
    assert page.status_code == 200
    assert "That date was not understood" in page.text
    assert "Wednesday 10 March 2027" in page.text


def test_therapist_sees_only_their_own_column(app, clinic):
    book(clinic, datetime(2027, 3, 10, 10, 0, tzinfo=UTC), patient=make_patient(name="Amys Client"))
    book(
        clinic,
        datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
        therapist="ben",
        room="room_b",
        patient=make_patient(name="Bens Client"),
    )
    client = sign_in(app, StaffRole.THERAPIST, therapist_id=clinic["ben"].id)
    page = client.get("/reception/day?date=2027-03-10")
    assert table(page.text).headers == ["Ben Bright"]
    assert "Bens Client" in page.text and "Amys Client" not in page.text
    by_room = client.get("/reception/day?date=2027-03-10&by=room")
    assert table(by_room.text).headers == ["Ben Bright"]
    assert "Amys Client" not in by_room.text
    week = client.get(f"/reception/week?therapist={clinic['amy'].slug}&date=2027-03-10")
    assert "Amys Client" not in week.text and "Bens Client" in week.text


def test_reception_never_sees_screen_answers_on_the_calendar(app, clinic):
    booking = book(
        clinic,
        datetime(2027, 3, 10, 15, 0, tzinfo=UTC),
        status=BookingStatus.HELD,
        hold_expires_at=NOW + timedelta(hours=3),
    )
    db.session.add(
        Intake(
            booking_id=booking.id,
            answers={"pain_score": 9, "location": "lower_back"},
            outcome="hold",
            rule_codes=["q3.pain_score_at_least_threshold"],
            flags=["blood_thinners"],
            consent_version="2026-11",
            consented_at=NOW,
        )
    )
    db.session.commit()
    client = sign_in(app)
    for url in ("/reception/day?date=2027-03-10", "/reception/week?date=2027-03-10"):
        text = client.get(url).text
        for secret in ("pain_score", "q3.", "blood_thinners", "lower_back", "9/10"):
            assert secret not in text, (url, secret)


def test_names_with_markup_are_shown_as_text(app, clinic):
    book(
        clinic,
        datetime(2027, 3, 10, 10, 0, tzinfo=UTC),
        patient=make_patient(name="<script>alert(1)</script>"),
    )
    client = sign_in(app)
    for url in ("/reception/day?date=2027-03-10", "/reception/week?date=2027-03-10"):
        text = client.get(url).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
