"""Every class a template uses is styled by a stylesheet under static/, or is a named hook.

A class with no rule is a page that looks finished in the template and unstyled in the
browser (a list of buttons as bullets, a danger button that looks like any other). The
check reads the templates as text, so it covers pages no other test renders: the literal
class names of ``class="..."`` attributes (with Jinja tags removed, the text inside
``{% if %}`` blocks kept), the string literals of ``{{ ... }}`` expressions inside them, and
the ``class_=`` arguments passed to form macros. A name built from a prefix and an
expression (``status-{{ ... }}``) needs at least one rule for that prefix.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

#: Classes that are hooks for scripts or tests, not for looks. Keep this list short: a
#: class that changes how something looks belongs in a stylesheet.
#: Empty today: every class the templates use has a rule.
HOOKS: frozenset[str] = frozenset()

_ATTRIBUTE = re.compile(r"""\bclass_?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_DICT_ENTRY = re.compile(r"""['"]class['"]\s*:\s*(?:"([^"]*)"|'([^']*)')""")
_STATEMENT = re.compile(r"{%.*?%}", re.S)
_EXPRESSION = re.compile(r"{{(.*?)}}", re.S)
# A literal compared against (``kind == 'score'``) is a value, not a class.
_COMPARED = re.compile(r"""(?:==|!=|\bin)\s*(?:'[^']*'|"[^"]*")""")
_LITERAL = re.compile(r"""'([^']*)'|"([^"]*)\"""")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_CLASS = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
_EMAIL_TEMPLATES = TEMPLATES / "email"


def defined_classes() -> set[str]:
    """Return every class name a selector under static/ mentions."""
    names: set[str] = set()
    for sheet in STATIC.rglob("*.css"):
        text = _CSS_COMMENT.sub("", sheet.read_text(encoding="utf-8"))
        # Only selectors: drop the declaration blocks (values hold "0.5rem", "img.svg").
        selectors = re.sub(r"{[^{}]*}", "{}", text)
        names.update(_CSS_CLASS.findall(selectors))
    return names


def _attribute_values(source: str) -> list[str]:
    values = []
    for pattern in (_ATTRIBUTE, _DICT_ENTRY):
        for match in pattern.finditer(source):
            values.append(match.group(1) if match.group(1) is not None else match.group(2))
    return values


def used_classes(source: str) -> tuple[set[str], set[str]]:
    """Return (class names, prefixes of built names) that one template's source uses."""
    names: set[str] = set()
    prefixes: set[str] = set()
    for value in _attribute_values(source):
        value = _STATEMENT.sub(" ", value)
        for expression in _EXPRESSION.findall(value):
            for single, double in _LITERAL.findall(_COMPARED.sub(" ", expression)):
                names.update((single or double).split())
        for token in _EXPRESSION.sub("\0", value).split():
            if "\0" in token:
                prefix = token.split("\0", 1)[0]
                if prefix:
                    prefixes.add(prefix)
            else:
                names.add(token)
    return names, prefixes


def page_templates() -> list[Path]:
    # Emails carry their own inline styles (mail clients ignore linked stylesheets).
    return sorted(
        path for path in TEMPLATES.rglob("*.html") if _EMAIL_TEMPLATES not in path.parents
    )


def unstyled() -> dict[str, list[str]]:
    """Return {template: [classes with no rule]} for every page template."""
    defined = defined_classes() | HOOKS
    missing: dict[str, list[str]] = {}
    for path in page_templates():
        names, prefixes = used_classes(path.read_text(encoding="utf-8"))
        gaps = sorted(name for name in names if name not in defined)
        gaps += sorted(
            f"{prefix}*"
            for prefix in prefixes
            if not any(name.startswith(prefix) for name in defined)
        )
        if gaps:
            missing[str(path.relative_to(ROOT))] = gaps
    return missing


def test_every_class_a_template_uses_has_a_rule():
    assert unstyled() == {}


def test_the_check_sees_classes_in_conditions_expressions_and_macro_arguments():
    source = """
      <div class="field{% if error %} has-error{% endif %}">
      <div class="{{ 'score-scale' if kind == 'score' else '' }}">
      <li class="status-{{ booking.status.value }}">
      {{ field(form.date, class_="narrow") }}
      {{ form.x(**{'class': 'wide'}) }}
    """
    names, prefixes = used_classes(source)
    assert names == {"field", "has-error", "score-scale", "narrow", "wide"}
    assert prefixes == {"status-"}


def test_the_check_reads_selectors_not_values():
    defined = defined_classes()
    assert {"button", "notice", "visually-hidden"} <= defined
    assert "5rem" not in defined and "svg" not in defined
