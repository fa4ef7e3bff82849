"""The background worker (``flask booking worker``): each pass runs the timed jobs
(:mod:`~booking.worker.jobs`), then delivers the outbox (:mod:`~booking.worker.delivery`),
each email carrying a link minted as it is sent (:mod:`~booking.worker.links`).

Above the verbs: the jobs call them, and delivery reads what they queued
(``booking.notify``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from booking import clock
from booking.notify.settings import setting
from booking.policy import ClinicPolicy
from booking.services.clinic_settings import load_policy, use_policy
from booking.worker.delivery import deliver_due
from booking.worker.jobs import run_daily_duties, run_jobs


def run_pass(now: datetime, policy: ClinicPolicy | None = None) -> Counter[str]:
    """One worker pass: the jobs, then delivery until nothing due is left.

    The pass runs under one policy, ``policy`` or the one saved now (read once), so a
    setting an admin saves takes effect from the next pass.
    """
    use_policy(policy or load_policy())
    counts = run_jobs(now)
    counts.update(run_daily_duties(now))
    batch = int(setting("WORKER_BATCH_SIZE"))
    while True:
        now = max(now, clock.now())  # a long pass claims by the time it is now
        delivered = deliver_due(now, batch=batch)
        counts.update(delivered)
        if delivered.total() < batch:
            return counts
