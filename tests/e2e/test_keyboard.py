"""The whole booking path by keyboard alone: Tab to move, Space to tick, Enter to go.

Radio groups are one tab stop, as in every browser; within one the arrow keys choose
(the standard keyboard pattern for radio buttons). No mouse event is ever sent.
"""

from __future__ import annotations

from tests.e2e.flows import FINE_ANSWERS, new_email

MAX_TABS = 250


def tab_to(page, selector: str) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def choose_radio(page, name: str, value: str) -> None:
    tab_to(page, f'input[type=radio][name="{name}"]')
    for _ in range(30):
        if page.evaluate("() => document.activeElement.value") == value:
            page.keyboard.press("Space")
            assert page.is_checked(f'input[name="{name}"][value="{value}"]')
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no {value} in radio group {name}")


def tick(page, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Space")
    assert page.is_checked(selector)


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press_button(page, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Enter")


def test_book_with_the_keyboard_alone(page, server):
    # The public pages do not link to /book/ yet (they say "call us"), so start there.
    page.goto("/book/")

    choose_radio(page, "option", "therapeutic-back-massage:60")
    press_button(page, "form button[type=submit]")
    page.wait_for_url("**/book/health")

    # Continue without answering: the error summary takes focus.
    press_button(page, "form.screen button[type=submit]")
    page.locator("#error-summary").wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"

    tick(page, "#consent")
    for name, value in FINE_ANSWERS.items():
        choose_radio(page, name, value)
    choose_radio(page, "pain_score", "3")
    press_button(page, "form.screen button[type=submit]")
    page.wait_for_url("**/book/time")

    press_button(page, "button.time-button")
    page.wait_for_url("**/book/details")
    type_into(page, "#name", "Kim Keyboard")
    type_into(page, "#email", new_email("keyboard"))
    type_into(page, "#phone", "07700 900456")
    tick(page, "#over_18")
    tick(page, "#agree_policy")
    press_button(page, "form button.button-primary")
    page.wait_for_url("**/book/review")

    press_button(page, "form button.button-primary")
    page.wait_for_url("**/book/done/**")
    assert page.get_by_role("heading", level=1).inner_text() == "You're booked"
    # Focus stays visible: the focused element has an outline or box shadow.
    tab_to(page, "a.button-primary")
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    assert style[0] != "none" or style[2] != "none", style
