"""The ML1xx rule catalogue: complete docs, examples that do what they say."""

from __future__ import annotations

import re

import pytest
from conftest import check_code
from mlvet.registry import Rule, all_rules, get_rule
from mlvet.rules import deserialization, remote_code

OURS: list[Rule] = [*deserialization.RULES, *remote_code.RULES]


def test_codes_names_and_checkers() -> None:
    assert [r.code for r in OURS] == [f"ML10{i}" for i in range(1, 9)]
    assert [r.name for r in OURS] == [
        "pickle-load",
        "torch-load-unsafe",
        "numpy-allow-pickle",
        "yaml-unsafe-load",
        "keras-unsafe-load",
        "trust-remote-code",
        "torch-hub-load",
        "unpinned-hub-download",
    ]
    covered = {code for c in [*deserialization.CHECKERS, *remote_code.CHECKERS] for code in c.codes}
    assert covered == {r.code for r in OURS}
    for rule in OURS:
        assert all_rules()[rule.code] is rule
        assert get_rule(rule.code.lower()) is rule


@pytest.mark.parametrize("rule", OURS, ids=[r.code for r in OURS])
def test_docs_are_complete(rule: Rule) -> None:
    assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", rule.name)
    for text in (rule.summary, rule.what, rule.why, rule.fix):
        assert text.strip() and "\n" not in rule.summary
    assert rule.references and all(r.startswith("https://") for r in rule.references)
    assert rule.security_severity is not None and 0 < rule.security_severity <= 10
    assert "security" in rule.tags
    md = rule.markdown()
    assert "## What it does" in md and "## Why is this bad?" in md and "## Use instead" in md


@pytest.mark.parametrize("rule", OURS, ids=[r.code for r in OURS])
def test_bad_example_fires_and_good_example_does_not(rule: Rule) -> None:
    assert rule.code in [f.rule for f in check_code(rule.bad, select=[rule.code])]
    assert check_code(rule.good, select=["ML1"]) == []


def test_severities() -> None:
    severity = {r.code: r.severity for r in OURS}
    assert severity.pop("ML108") == "warning"
    assert set(severity.values()) == {"error"}
