"""Waitlist verbs: joining, offering freed times one entry at a time, claiming."""
