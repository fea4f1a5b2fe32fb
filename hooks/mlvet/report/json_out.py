"""The JSON format of DESIGN.md (version 1)."""

from __future__ import annotations

import json
from typing import Any

from mlvet.findings import Finding, Report


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "name": f.name,
        "source": f.source,
        "severity": f.severity,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "cell": f.cell,
        "message": f.message,
        "fix": f.fix,
        "fingerprint": f.fingerprint(),
    }


def render_json(report: Report) -> str:
    data = {
        "version": 1,
        "findings": [finding_dict(f) for f in report.findings],
        "errors": [{"path": e.path, "message": e.message} for e in report.errors],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
