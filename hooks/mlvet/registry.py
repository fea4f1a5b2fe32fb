"""The one catalogue of rules: code, name, severity and documentation.

Each rule family declares its `RULES` next to its implementation; this module gathers
them. The README table, `mlvet rule CODE` and SARIF rule help are all produced from here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from mlvet.findings import Severity

DOCS_URL = "https://github.com/mlvet/mlvet/blob/main/README.md#rules"

# Modules that declare RULES. Order decides nothing; the catalogue is sorted by code.
FAMILY_MODULES: tuple[str, ...] = (
    "mlvet.rules.deserialization",
    "mlvet.rules.remote_code",
    "mlvet.rules.reproducibility",
    "mlvet.rules.smells",
    "mlvet.rules.notebook",
    "mlvet.rules.llm",
    "mlvet.artifacts.rules",
    "mlvet.wrappers.secrets_rules",
    "mlvet.wrappers.audit_rules",
)

ExampleKind = Literal["python", "notebook", "none"]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str  # one line, for tables
    what: str  # "What it does"
    why: str  # "Why is this bad?"
    bad: str  # "Example": must fire (for python/notebook examples)
    good: str  # "Use instead": must not fire
    fix: str  # the short hint attached to findings
    references: tuple[str, ...] = ()
    # How the bad/good examples are checked: Python source, notebook JSON, or prose only.
    example_kind: ExampleKind = "python"
    # For SARIF `security-severity` (0.0-10.0); None for non-security rules.
    security_severity: float | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}"

    def markdown(self) -> str:
        refs = "\n".join(f"- {r}" for r in self.references) or "- (none)"
        lang = "python" if self.example_kind == "python" else "json"
        if self.example_kind == "none":
            lang = "text"
        return (
            f"# {self.name} ({self.code})\n\n"
            f"Severity: {self.severity}\n\n"
            f"## What it does\n{self.what}\n\n"
            f"## Why is this bad?\n{self.why}\n\n"
            f"## Example\n```{lang}\n{self.bad.rstrip()}\n```\n\n"
            f"## Use instead\n```{lang}\n{self.good.rstrip()}\n```\n\n"
            f"## Fix\n{self.fix}\n\n"
            f"## References\n{refs}\n"
        )


@lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for module_name in FAMILY_MODULES:
        module = importlib.import_module(module_name)
        for rule in getattr(module, "RULES", ()):
            if rule.code in rules:
                raise RuntimeError(f"rule code {rule.code} declared twice")
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


def get_rule(code: str) -> Rule | None:
    return all_rules().get(code.upper())


def markdown_table() -> str:
    """The README's rule table."""
    lines = ["| code | name | severity | what it flags |", "|---|---|---|---|"]
    for rule in all_rules().values():
        lines.append(f"| {rule.code} | {rule.name} | {rule.severity} | {rule.summary} |")
    return "\n".join(lines)
