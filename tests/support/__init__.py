"""What tests share: data builders, pain screens, walks through the pages, mail and
calendar checks, signing staff in, and the database helpers the fixtures in
tests/conftest.py stand on.

- ``builders``: services, therapists, rooms, patients, bookings with sensible defaults
- ``screens``: pain screen answers that book, hold or stop a booking, and as posted
- ``flows``: the patient's booking flow through the test client
- ``auth``: staff accounts, signed in through every step they owe (password, TOTP)
- ``notify``: a clinic booked through the verbs, the outbox, MIME and iMIP checks
- ``ics``: appointment facts and the calendar wire format
- ``clearance``: the clearance tests' clinic, booking through the verb, a clinician's statement
- ``misses``: comparing "not found" answers without their request reference
- ``policy``: the shipped clinic policy as a value, with changes
- ``database``: the fixed ``DEFAULT_NOW`` and ``empty_database()``
- ``apps``: ``build_app(url, **settings)``, an app with the test settings
"""
