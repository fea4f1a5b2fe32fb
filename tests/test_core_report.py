"""The four writers on a hand-built report: JSON contract, SARIF schema, annotations, text."""

from __future__ import annotations

import json
from typing import Any

from mlvet.findings import FileError, Finding, Report, exit_code
from mlvet.report import render
from mlvet.report.github import render_github
from mlvet.report.sarif import build_sarif


def _report() -> Report:
    return Report(
        findings=[
            Finding(
                "ML101",
                "pickle-load",
                "error",
                "src/train.py",
                12,
                5,
                "pickle.load runs code",
                fix="use safetensors",
                snippet="obj = pickle.load(f)",
            ),
            Finding(
                "ML201",
                "unseeded-randomness",
                "warning",
                "nb.ipynb",
                2,
                5,
                "numpy unseeded",
                cell=3,
                physical_line=40,
                snippet="x = np.random.rand(3)",
            ),
            Finding(
                "S301",
                "suspicious-pickle-usage",
                "warning",
                "src/a b.py",
                1,
                1,
                "ruff says",
                source="ruff",
            ),
        ],
        errors=[FileError("broken.ipynb", "not valid JSON: Expecting value (line 1)")],
        tools=["mlvet", "ruff"],
        files_checked=4,
    )


def test_json_contract() -> None:
    data = json.loads(render(_report(), "json"))
    assert data["version"] == 1
    first = data["findings"][0]
    for key in (
        "rule",
        "name",
        "source",
        "severity",
        "path",
        "line",
        "column",
        "cell",
        "message",
        "fix",
    ):
        assert key in first
    assert first["path"] == "src/train.py" and first["cell"] is None
    assert data["findings"][1]["cell"] == 3 and data["findings"][1]["line"] == 2
    assert data["errors"] == [
        {"path": "broken.ipynb", "message": "not valid JSON: Expecting value (line 1)"}
    ]


def test_text_locations() -> None:
    text = render(_report(), "text")
    assert "src/train.py:12:5: ML101 pickle.load runs code" in text
    assert "nb.ipynb:cell_3:2:5: ML201 numpy unseeded" in text
    assert "    fix: use safetensors (docs: `mlvet rule ML101`)" in text
    expected = "Found 3 findings (1 error, 2 warnings) in 3 files; 4 files checked; 1 file could not be checked."
    assert expected in text
    # Grouped by file: a blank line between files.
    lines = text.splitlines()
    assert lines[lines.index("    docs: `mlvet rule ML201`") + 1] == ""
    assert "\033[" not in text


def test_sarif_validates_and_has_one_run_per_tool(sarif_validator: Any) -> None:
    sarif = build_sarif(_report())
    sarif_validator.validate(sarif)
    assert [r["tool"]["driver"]["name"] for r in sarif["runs"]] == ["mlvet", "ruff"]
    mlvet_run = sarif["runs"][0]
    results = mlvet_run["results"]
    nb = next(r for r in results if r["ruleId"] == "ML201")
    assert nb["locations"][0]["physicalLocation"]["region"]["startLine"] == 40
    assert all("mlvet/v1" in r["partialFingerprints"] for r in results)
    ruff_uri = sarif["runs"][1]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"
    ]["uri"]
    assert ruff_uri == "src/a%20b.py"
    assert mlvet_run["invocations"][0]["executionSuccessful"] is False


def test_github_annotations_escape_and_point_at_physical_lines() -> None:
    out = render_github(_report())
    assert (
        "::error file=src/train.py,line=12,col=5,title=ML101 pickle-load::pickle.load runs code"
        in out
    )
    assert (
        "::warning file=nb.ipynb,line=40,title=ML201 unseeded-randomness::numpy unseeded (cell 3, line 2)"
        in out
    )
    expected = "::error file=broken.ipynb,title=mlvet%3A cannot check::not valid JSON: Expecting"
    assert expected in out


def test_github_limit_puts_most_severe_first_and_counts_the_rest() -> None:
    findings = [Finding("ML201", "x", "warning", f"f{i}.py", 1, 1, "w") for i in range(15)]
    findings.append(Finding("ML101", "y", "error", "z.py", 1, 1, "e"))
    out = render_github(Report(findings=findings)).splitlines()
    assert out[0].startswith("::error ")
    assert sum(line.startswith("::warning ") for line in out) == 10
    assert "5 more finding(s) not annotated" in out[-1]


def test_exit_codes_follow_fail_on() -> None:
    warn_only = Report(findings=[Finding("ML201", "x", "warning", "a.py", 1, 1, "m")])
    assert exit_code(warn_only, "warning") == 1
    assert exit_code(warn_only, "error") == 0
    assert exit_code(Report(errors=[FileError("a.py", "x")]), "error") == 1
    assert exit_code(Report(), "info") == 0


def test_fingerprint_survives_moves_but_not_edits() -> None:
    a = Finding("ML101", "n", "error", "a.py", 3, 1, "m", snippet="x = pickle.load(f)")
    moved = Finding("ML101", "n", "error", "a.py", 30, 9, "m", snippet="x  =  pickle.load(f)")
    edited = Finding("ML101", "n", "error", "a.py", 3, 1, "m", snippet="y = pickle.load(g)")
    assert a.fingerprint() == moved.fingerprint() != edited.fingerprint()
