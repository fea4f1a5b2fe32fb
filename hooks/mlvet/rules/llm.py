"""(Placeholder: rules of this family are not written yet.)"""

from __future__ import annotations

from mlvet.registry import Rule
from mlvet.rules.base import Checker

RULES: list[Rule] = []
CHECKERS: list[type[Checker]] = []
