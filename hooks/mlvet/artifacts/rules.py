"""(Placeholder: ML4xx documentation is not written yet.)"""

from __future__ import annotations

from mlvet.registry import Rule

RULES: list[Rule] = []
