"""The "has anything changed?" re-screen of a returning patient with a valid clearance."""

from __future__ import annotations

from booking.intake.answers import ScreenAnswers, ScreenSettings
from booking.intake.choices import HistoryItem
from booking.intake.rules import CLINICAL_OUTCOMES, assess


def _history(answers: ScreenAnswers) -> set[HistoryItem]:
    items = set(answers.history)
    if HistoryItem.HIGH_RISK_PREGNANCY in items:
        items.add(HistoryItem.PREGNANT)
    return items


def material_changes(
    previous: ScreenAnswers,
    current: ScreenAnswers,
    settings: ScreenSettings | None = None,
) -> tuple[str, ...]:
    """Name every material change between the answers given at clearance and today's.

    DOMAIN.md section 2; a change is material, and a new clearance is needed, when:

    * today's answers fire an EMERGENCY, URGENT, HOLD or DECLINED rule (by ``Rule.code``)
      that the answers at clearance did not: a new red flag or "not sure", new cancer
      treatment, a score that newly reached the hold threshold (7+ when it was below);
    * any question-8 item is new (blood thinners, surgery, fracture, clot, pregnancy, skin
      infection), even one that on its own would only flag the booking;
    * the pain score rose by ``settings.material_pain_rise`` (default 2) or more;
    * the pain is in a different place (arguably a different episode).

    Whether the clinician's restrictions still fit the service asked for is the caller's
    check: it needs the service. Returns codes such as ``"new_rule:q7.urgent_symptom.x"``,
    ``"new_history:blood_thinners"``, ``"pain_rise"``, ``"location"``; empty when nothing
    material changed.
    """
    settings = settings or ScreenSettings()

    def clinical_codes(answers: ScreenAnswers) -> set[str]:
        # A rule's own outcome, not the assessment's: an URGENT sign stays material even
        # when a doctor has seen the patient since (that makes today's outcome HOLD).
        return {r.code for r in assess(answers, settings).rules if r.outcome in CLINICAL_OUTCOMES}

    before = clinical_codes(previous)
    changes = [f"new_rule:{code}" for code in sorted(clinical_codes(current) - before)]
    old_history = _history(previous)
    changes += [
        f"new_history:{item.value}"
        for item in HistoryItem
        if item in _history(current) and item not in old_history
    ]
    if current.pain_score - previous.pain_score >= settings.material_pain_rise:
        changes.append("pain_rise")
    if current.location is not previous.location:
        changes.append("location")
    return tuple(changes)


def is_material_change(
    previous: ScreenAnswers,
    current: ScreenAnswers,
    settings: ScreenSettings | None = None,
) -> bool:
    """Say whether ``material_changes`` found anything. The caller still acts on
    ``assess(current)`` first: an EMERGENCY or URGENT never books, whatever this returns."""
    return bool(material_changes(previous, current, settings))
