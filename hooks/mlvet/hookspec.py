"""The hooks: one table that the pre-commit manifest, `mlvet run` and the Action share.

A test keeps .pre-commit-hooks.yaml in step with this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Hook:
    id: str
    argv: tuple[str, ...]  # after `mlvet`
    check_argv: tuple[str, ...]  # the check-only form, for CI (`mlvet run`, the Action)
    summary: str


def _same(hid: str, argv: tuple[str, ...], summary: str) -> Hook:
    return Hook(hid, argv, argv, summary)


HOOKS: tuple[Hook, ...] = (
    _same(
        "mlvet",
        ("check", "--select", "ML1,ML2,ML3,ML7"),
        "every native code and notebook rule (ML1xx-ML3xx, ML7xx)",
    ),
    _same(
        "check-pickle-load",
        ("check", "--select", "ML101,ML102,ML103,ML104,ML105"),
        "unsafe deserialization (ML101-ML105)",
    ),
    _same(
        "check-remote-code",
        ("check", "--select", "ML106,ML107,ML108"),
        "remote code and unpinned hub downloads (ML106-ML108)",
    ),
    _same(
        "check-random-seed",
        ("check", "--select", "ML201,ML202"),
        "unseeded randomness (ML201-ML202)",
    ),
    _same(
        "check-ml-smells",
        ("check", "--select", "ML203,ML204,ML205,ML206,ML207"),
        "training and evaluation bugs (ML203-ML207)",
    ),
    _same(
        "check-notebooks",
        ("check", "--select", "ML3"),
        "notebook outputs and execution order (ML301-ML302)",
    ),
    _same(
        "check-llm-safety",
        ("check", "--select", "ML7"),
        "LLM output to code, shell or SQL; agent tools (ML701-ML703)",
    ),
    _same(
        "scan-model-files",
        ("check", "--select", "ML4"),
        "malicious pickles, unsafe archives, large artifacts (ML401-ML405)",
    ),
    Hook(
        "strip-notebook-outputs",
        ("strip",),
        ("strip", "--check"),
        "strip notebook outputs with nbstripout (rewrites files; --check in CI)",
    ),
    _same("detect-ml-secrets", ("secrets",), "ML credentials (ML501)"),
    _same("ruff-ml", ("ruff",), "ruff with the bundled ML rule set"),
    _same("bandit-ml", ("bandit",), "bandit with the bundled ML profile"),
    _same("audit-dependencies", ("audit",), "vulnerable and unpinned dependencies (ML601-ML602)"),
)

BY_ID = {h.id: h for h in HOOKS}

# The files the audit-dependencies hook reacts to (its `files:` in the manifest).
DEPENDENCY_FILES = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|pyproject\.toml|environment\.ya?ml|setup\.cfg)$"
)

# What `mlvet run` (and so the Action) runs by default: every check once, no overlap.
DEFAULT_RUN: tuple[str, ...] = (
    "mlvet",
    "scan-model-files",
    "detect-ml-secrets",
    "ruff-ml",
    "bandit-ml",
    "audit-dependencies",
)
