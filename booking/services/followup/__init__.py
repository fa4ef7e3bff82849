"""The follow-up after a completed session, as the app runs it.

* ``sending``: the worker's job that creates each due follow-up with its email, once, and
  the link minted when that email is sent.
* ``answering``: finding a follow-up by its link and the patient's one submission.
* ``review``: what staff see: the flag for the therapist, the pain scores over the
  sessions, marking a flag as seen.

The questions and what the answers mean are pure (``booking.intake.followup``).
"""
