"""The real stack: gunicorn workers, ``flask booking worker`` and an SMTP sink, as deployed."""
