"""The registry is the one source of truth: docs complete, examples honest."""

from __future__ import annotations

import json
import re

import pytest
from conftest import check_code, check_notebook
from mlvet.registry import Rule, all_rules

RULES = list(all_rules().values())


def test_codes_and_names_are_well_formed() -> None:
    names = set()
    for rule in RULES:
        assert re.fullmatch(r"ML[1-7]\d\d", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
        assert rule.name not in names
        names.add(rule.name)


def test_design_codes_are_all_present() -> None:
    expected = {f"ML10{i}" for i in range(1, 9)} | {f"ML20{i}" for i in range(1, 8)}
    expected |= {
        "ML301",
        "ML302",
        "ML401",
        "ML402",
        "ML403",
        "ML404",
        "ML405",
        "ML501",
        "ML601",
        "ML602",
        "ML701",
        "ML702",
        "ML703",
    }
    assert expected <= set(all_rules())


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docs_are_complete(rule: Rule) -> None:
    for field in ("summary", "what", "why", "bad", "good", "fix"):
        assert getattr(rule, field).strip(), f"{rule.code} has no {field}"
    assert rule.severity in ("error", "warning", "info")
    assert rule.references, f"{rule.code} has no references"


CODE_RULES = [r for r in RULES if r.example_kind in ("python", "notebook")]


@pytest.mark.parametrize("rule", CODE_RULES, ids=lambda r: r.code)
def test_bad_example_fires_and_good_does_not(rule: Rule) -> None:
    def run(text: str) -> list[str]:
        if rule.example_kind == "notebook":
            return [f.rule for f in check_notebook(json.loads(text), select=[rule.code])]
        return [f.rule for f in check_code(text, select=[rule.code])]

    assert rule.code in run(rule.bad), f"{rule.code}: documented bad example does not fire"
    assert rule.code not in run(rule.good), f"{rule.code}: documented good example fires"
