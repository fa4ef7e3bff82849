"""django-appointment's booking path, timed in process (run by peer_booking.py).

Runs with the throwaway environment's Python, never the project's: it imports only Django,
django-appointment and the standard library. Arguments: a PostgreSQL database name, host,
port, user, and how many bookings to time. Builds the same clinic shape as the project's
side (10 staff, one 60-minute service, 3,000 upcoming appointments), then books one
appointment at a time exactly as the package's own views do - the request form, the
staff check, saving the request, creating the client, saving the appointment - and prints
a JSON line with the timings and the SQL statements of one booking.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import time

import django
from django.conf import settings

name, host, port, user = sys.argv[1:5]
runs, warmup = int(sys.argv[5]), int(sys.argv[6])
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-peer-not-secret",
    USE_TZ=True,
    TIME_ZONE="Europe/London",
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "phonenumber_field",
        "appointment",
    ],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "HOST": host,
            "PORT": port,
            "USER": user,
        }
    },
    ROOT_URLCONF="appointment.urls",
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    APPOINTMENT_WEBSITE_NAME="Bench",
    LOGGING_CONFIG=None,
)
django.setup()

import logging  # noqa: E402

from appointment.forms import AppointmentRequestForm  # noqa: E402
from appointment.models import (  # noqa: E402
    Appointment,
    AppointmentRequest,
    Service,
    StaffMember,
    WorkingHours,
)
from appointment.utils.db_helpers import create_and_save_appointment, create_new_user  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

logging.disable(logging.CRITICAL)  # the package logs every booking at INFO
# The package ships no migrations: its tables come from the models directly.
call_command("migrate", verbosity=0)  # auth and friends first: the tables below point at them
call_command("migrate", run_syncdb=True, verbosity=0)
User = get_user_model()
service = Service.objects.create(name="Back massage", duration=dt.timedelta(minutes=60), price=58)
staff = []
for n in range(10):
    u = User.objects.create(username=f"staff{n}", email=f"staff{n}@bench.example.org")
    s = StaffMember.objects.create(user=u)
    s.services_offered.add(service)
    staff.append(s)
    for day in range(1, 7):  # the package counts Sunday as 0
        WorkingHours.objects.create(
            staff_member=s, day_of_week=day, start_time=dt.time(8), end_time=dt.time(20)
        )
client = User.objects.create(username="bench-client", email="client@bench.example.org")
today = dt.date.today()
requests, k = [], 0
for d in range(1, 61):
    day = today + dt.timedelta(days=d)
    if day.weekday() == 6:
        continue
    for hour in range(8, 13):
        for s in staff:
            if len(requests) >= 3000:
                break
            requests.append(
                AppointmentRequest(
                    date=day,
                    start_time=dt.time(hour),
                    end_time=dt.time(hour + 1),
                    service=service,
                    staff_member=s,
                    id_request=f"seed{k}",
                )
            )
            k += 1
AppointmentRequest.objects.bulk_create(requests)
Appointment.objects.bulk_create(
    [Appointment(client=client, appointment_request=ar, phone="+447700900123") for ar in requests]
)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")  # both sides start from fresh statistics (peer_booking.py)

statements: list[str] = []


def record(execute, sql, params, many, context):
    statements.append(sql)
    return execute(sql, params, many, context)


class _Request:
    user = AnonymousUser()


def book_one(i: int, day: dt.date, hour: int, member: StaffMember) -> None:
    form = AppointmentRequestForm(
        {
            "date": day.isoformat(),
            "start_time": f"{hour:02d}:00",
            "end_time": f"{hour + 1:02d}:00",
            "service": service.id,
            "staff_member": member.id,
        }
    )
    if not form.is_valid():
        raise SystemExit(f"peer form invalid: {form.errors}")
    if not StaffMember.objects.filter(id=form.cleaned_data["staff_member"].id).exists():
        raise SystemExit("peer staff missing")
    ar = form.save()
    client_data = {"name": f"Bench Patient {i}", "email": f"patient{i}@bench.example.org"}
    create_new_user(dict(client_data))
    create_and_save_appointment(
        ar,
        client_data,
        {"phone": "+447700900123", "want_reminder": False, "address": "", "additional_info": ""},
        _Request(),
    )


samples = []
targets = [
    (today + dt.timedelta(days=d), hour, s)
    for d in range(1, 61)
    if (today + dt.timedelta(days=d)).weekday() != 6
    for hour in range(14, 20)
    for s in staff
]
for i in range(runs + warmup):
    day, hour, member = targets[i]
    began = time.perf_counter()
    if i == runs + warmup - 1:
        with connection.execute_wrapper(record):
            book_one(i, day, hour, member)
    else:
        book_one(i, day, hour, member)
    if i >= warmup:
        samples.append((time.perf_counter() - began) * 1000)
samples.sort()
print(
    json.dumps(
        {
            "p50": statistics.median(samples),
            "p95": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
            "statements": len(statements),
            "django": django.get_version(),
        }
    )
)
