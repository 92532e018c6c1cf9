"""Prompts live as text files in ``prompts/``; their ``{variables}`` are checked when loaded.

A file ``prompts/<name>.txt`` is a template for :meth:`str.format`. Each prompt the code uses is
declared in :data:`REQUIRED` with the exact variables the code supplies, so an edited prompt that
drops or invents a variable fails at start-up, not in the middle of a conversation.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from chatrec.errors import PromptError

#: prompt name -> the variables the code fills in
REQUIRED: dict[str, frozenset[str]] = {
    "rank_system": frozenset({"noun_plural", "n"}),
    "rank_user": frozenset({"profile", "request", "candidates"}),
    "order_system": frozenset({"noun_plural", "n"}),
    "order_user": frozenset({"profile", "request", "candidates"}),
    "extract_system": frozenset({"noun", "fields"}),
    "extract_user": frozenset({"message"}),
}


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    variables: frozenset[str]

    def render(self, **values: object) -> str:
        given = set(values)
        if given != set(self.variables):
            missing = sorted(self.variables - given)
            extra = sorted(given - self.variables)
            raise PromptError(f"prompt {self.name!r}: missing {missing}, unexpected {extra}")
        return self.text.format(**values)


def variables_of(text: str) -> frozenset[str]:
    names = set()
    for _, field_name, _, _ in string.Formatter().parse(text):
        if field_name is not None:
            if not field_name.isidentifier():
                raise PromptError(f"bad template field {{{field_name}}}: use plain {{name}} fields "
                                  "and write literal braces as {{ and }}")
            names.add(field_name)
    return frozenset(names)


def load_prompt(directory: Path, name: str, expected: frozenset[str] | None = None) -> Prompt:
    path = Path(directory) / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"prompt file {path} is missing (restore it from the repository)") from None
    try:
        found = variables_of(text)
    except (ValueError, PromptError) as e:
        raise PromptError(f"{path}: {e}") from None
    want = REQUIRED.get(name) if expected is None else expected
    if want is not None and found != want:
        raise PromptError(
            f"{path}: the template uses {sorted(found)} but the code supplies {sorted(want)}; "
            f"unknown: {sorted(found - want)}, unused: {sorted(want - found)}")
    return Prompt(name, text.strip() + "\n", found)


def load_prompts(directory: Path) -> dict[str, Prompt]:
    """Load and check every prompt the code uses."""
    return {name: load_prompt(directory, name) for name in REQUIRED}
