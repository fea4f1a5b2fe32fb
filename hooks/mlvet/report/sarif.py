"""SARIF 2.1.0 for GitHub code scanning: one run per tool that produced results."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlvet import __version__
from mlvet.findings import Finding, Report
from mlvet.registry import Rule, all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
TOOL_URI = {
    "mlvet": "https://github.com/mlvet/mlvet",
    "ruff": "https://docs.astral.sh/ruff/",
    "bandit": "https://bandit.readthedocs.io/",
    "detect-secrets": "https://github.com/Yelp/detect-secrets",
    "safety": "https://github.com/pyupio/safety",
    "nbstripout": "https://github.com/kynan/nbstripout",
}


def _uri(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return quote(path, safe="/")


def _artifact(path: str) -> dict[str, str]:
    """A location GitHub can place: relative to the checkout (the working folder), or
    a file:// URI for an absolute path outside it (never an absolute path on %SRCROOT%)."""
    if os.path.isabs(path):
        cwd = os.getcwd()
        try:
            inside = os.path.commonpath([cwd, path]) == cwd
        except ValueError:  # another drive on Windows
            inside = False
        if not inside:
            return {"uri": Path(path).as_uri()}
        path = os.path.relpath(path, cwd)
    return {"uri": _uri(path), "uriBaseId": "%SRCROOT%"}


def _rule_descriptor(code: str, rule: Rule | None, sample: Finding) -> dict[str, Any]:
    if rule is None:
        return {
            "id": code,
            "name": sample.name or code,
            "shortDescription": {"text": sample.name or code},
            "defaultConfiguration": {"level": LEVEL.get(sample.severity, "warning")},
            "properties": {"tags": [sample.source]},
        }
    tags = ["ml", *rule.tags]
    props: dict[str, Any] = {}
    if rule.security_severity is not None:
        props["security-severity"] = f"{rule.security_severity:.1f}"
        tags.append("security")
    props["tags"] = list(dict.fromkeys(tags))  # SARIF wants unique tags
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what},
        "helpUri": rule.help_uri,
        "help": {
            "text": f"{rule.what}\n\n{rule.why}\n\nFix: {rule.fix}",
            "markdown": rule.markdown(),
        },
        "defaultConfiguration": {"level": LEVEL.get(rule.severity, "warning")},
        "properties": props,
    }


def _result(f: Finding, index: int) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, f.file_line)}
    if f.cell is None and f.column > 0:
        region["startColumn"] = f.column
    message = f.message
    if f.cell is not None:
        message += f" (cell {f.cell}, line {f.line})"
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": LEVEL.get(f.severity, "warning"),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(f.path),
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {"mlvet/v1": f.fingerprint()},
    }
    if f.cell is not None:
        result["properties"] = {"cell": f.cell, "cellLine": f.line}
    return result


def build_sarif(report: Report) -> dict[str, Any]:
    catalogue = all_rules()
    tools = list(dict.fromkeys([*report.tools, *(f.source for f in report.findings)]))
    runs: list[dict[str, Any]] = []
    for tool in tools:
        findings = [f for f in report.findings if f.source == tool]
        codes: dict[str, int] = {}
        descriptors: list[dict[str, Any]] = []
        for f in findings:
            if f.rule not in codes:
                codes[f.rule] = len(descriptors)
                # ML codes reported through a wrapped tool (ML501, ML601) keep their docs.
                known = tool == "mlvet" or f.rule.startswith("ML")
                rule = catalogue.get(f.rule) if known else None
                descriptors.append(_rule_descriptor(f.rule, rule, f))
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": tool,
                    "informationUri": TOOL_URI.get(tool, TOOL_URI["mlvet"]),
                    "rules": descriptors,
                    **({"version": __version__} if tool == "mlvet" else {}),
                }
            },
            "results": [_result(f, codes[f.rule]) for f in findings],
            "columnKind": "unicodeCodePoints",
        }
        if tool == tools[0]:
            run["invocations"] = [
                {
                    "executionSuccessful": not report.errors,
                    "toolExecutionNotifications": [
                        {
                            "level": "error",
                            "message": {"text": e.message},
                            "locations": [
                                {"physicalLocation": {"artifactLocation": _artifact(e.path)}}
                            ],
                        }
                        for e in report.errors
                    ],
                }
            ]
        runs.append(run)
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def render_sarif(report: Report) -> str:
    return json.dumps(build_sarif(report), indent=2, ensure_ascii=False) + "\n"
