"""Many threads doing one thing at the same instant, each in its own app context and session."""

from __future__ import annotations

import threading
from collections import Counter

from booking.extensions import db
from booking.services.errors import BookingError


def race(app, work, n: int) -> Counter:
    """Run ``work(i)`` for i in 0..n-1 at once; count "ok" and each refusal's reason."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = [""] * n

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                work(i)
                outcomes[i] = "ok"
            except BookingError as refusal:
                outcomes[i] = str(refusal.reason)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(outcomes)
