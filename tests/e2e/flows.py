"""The patient's booking path in the browser, step by step (used by several e2e tests)."""

from __future__ import annotations

import secrets

FINE_ANSWERS = {
    "location": "lower_back",
    "duration": "over_12_weeks",
    "sudden_onset": "no",
    "disturbs_sleep_or_daily_life": "no",
    "recent_injury": "none",
    "long_term_steroids": "no",
    "under_care": "no",
    "told_not_to_massage": "no",
    "seen_doctor_since_onset": "no",
}
# Each 999 sign is its own yes / no / not sure question.
SIGNS = ("saddle_numbness", "bladder", "bowel", "leg_weakness", "sexual_function", "chest_pain")


def new_email(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(3)}@example.org"


def choose_treatment(page, option: str = "option-therapeutic-back-massage-60") -> None:
    page.goto("/book/")
    page.check(f"#{option}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/book/health")


def answer_health(page, *, pain: int = 3, emergency: str | None = None) -> None:
    page.check("#consent")
    for name, value in FINE_ANSWERS.items():
        page.check(f"#{name}-{value}")
    page.check(f"#pain_score-{pain}")
    for sign in SIGNS:
        page.check(f"#sign_{sign}-{'yes' if sign == emergency else 'no'}")
    page.get_by_role("button", name="Continue").click()


def pick_first_time(page) -> str:
    button = page.locator("button.time-button").first
    label = button.get_attribute("aria-label") or button.inner_text()
    button.click()
    return label


def fill_details(page, *, name: str, email: str) -> None:
    page.wait_for_url("**/book/details")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#phone", "07700 900123")
    page.check("#over_18")
    page.check("#agree_policy")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/book/review")


def book(page, *, name: str, email: str, pain: int = 3) -> str:
    """Walk the whole path; return the time picked. Leaves the page on /book/done/<ref>."""
    choose_treatment(page)
    answer_health(page, pain=pain)
    page.wait_for_url("**/book/time")
    picked = pick_first_time(page)
    fill_details(page, name=name, email=email)
    page.locator("form button.button-primary").click()
    page.wait_for_url("**/book/done/**")
    return picked
