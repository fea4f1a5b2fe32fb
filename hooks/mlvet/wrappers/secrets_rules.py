"""(Placeholder: rule documentation for this wrapper is not written yet.)"""

from __future__ import annotations

from mlvet.registry import Rule

RULES: list[Rule] = []
