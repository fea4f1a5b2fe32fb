"""Black-box QA of the writers: paths as users give them, SARIF GitHub can place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

BAD = "import pickle\n\n\ndef restore(path):\n    with open(path, 'rb') as fh:\n        return pickle.load(fh)\n"


def _locations(sarif: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r["locations"][0]["physicalLocation"]["artifactLocation"]
        for run in sarif["runs"]
        for r in run["results"]
    ]


def test_sarif_absolute_path_inside_the_working_folder_is_repo_relative(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sarif_validator: Any,
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train me.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "sarif", str(tmp_path / "src")], capsys)
    assert code == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    assert _locations(sarif) == [{"uri": "src/train%20me.py", "uriBaseId": "%SRCROOT%"}]


def test_sarif_absolute_path_outside_the_working_folder_is_a_file_uri(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sarif_validator: Any,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "t.py").write_text(BAD)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    code, out, _ = run_cli(["check", "--format", "sarif", str(elsewhere / "t.py")], capsys)
    assert code == 1
    sarif = json.loads(out)
    sarif_validator.validate(sarif)
    assert _locations(sarif) == [{"uri": (elsewhere / "t.py").as_uri()}]


def test_json_and_text_keep_the_path_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "json", str(tmp_path / "t.py")], capsys)
    assert code == 1
    assert json.loads(out)["findings"][0]["path"] == f"{tmp_path}/t.py"
    code, out, _ = run_cli(["check", "./t.py"], capsys)
    assert code == 1
    assert out.startswith("./t.py:6:16: ML101")


def test_summary_links_quote_paths_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlvet.findings import Finding, Report
    from mlvet.report.summary import render_summary

    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    f = Finding("ML101", "pickle-load", "error", "data dir/prep ü.py", 2, 1, "m | n")
    text = render_summary(Report(findings=[f], files_checked=1))
    assert "(https://github.com/o/r/blob/abc123/data%20dir/prep%20%C3%BC.py#L2)" in text
    assert "m \\| n" in text


def test_text_summary_counts_unreadable_files_not_errors() -> None:
    from mlvet.findings import FileError, Report
    from mlvet.report.text import summary

    report = Report(
        errors=[FileError("nb.ipynb", "cell 1: syntax error"), FileError("nb.ipynb", "cell 4: x")],
        files_checked=3,
    )
    assert summary(report) == "No findings; 3 files checked; 1 file could not be checked."


def test_github_annotations_for_absolute_paths_are_checkout_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "t.py").write_text(BAD)
    (tmp_path / "src" / "broken.py").write_text("def f(:\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "github", str(tmp_path / "src")], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::error file=src/t.py,line=6,col=16,title=ML101")
    assert lines[1].startswith("::error file=src/broken.py,title=mlvet%3A cannot check::")


def test_summary_links_for_absolute_paths_are_checkout_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlvet.findings import Finding, Report
    from mlvet.report.summary import render_summary

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "o/r")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    f = Finding("ML101", "pickle-load", "error", f"{tmp_path}/src/t.py", 6, 16, "m")
    text = render_summary(Report(findings=[f], files_checked=1))
    assert "(https://github.com/o/r/blob/abc123/src/t.py#L6)" in text
