"""Black-box QA of the wrapped tools (ruff, bandit) on hostile input: one line per bad
file, the rest of the run goes on, never a crash of the whole hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

BAD = "import pickle\n\n\ndef restore(path):\n    with open(path, 'rb') as fh:\n        return pickle.load(fh)\n"

# Deep enough that ruff's parser overflows its stack and the process aborts.
RUFF_CRASHER = "x = " + "[" * 30000 + "]" * 30000 + "\n"


def _json(out: str) -> dict:  # type: ignore[type-arg]
    return json.loads(out)


def test_ruff_crash_on_one_file_is_that_files_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "deep.py").write_text(RUFF_CRASHER)
    (tmp_path / "train.py").write_text(BAD)
    (tmp_path / "other.py").write_text("import os\n\nSEP = os.sep\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["ruff", "--format", "json", "."], capsys)
    assert code == 1, err
    data = _json(out)
    assert [(f["path"], f["rule"]) for f in data["findings"]] == [("train.py", "S301")]
    assert [e["path"] for e in data["errors"]] == ["deep.py"]
    assert "ruff" in data["errors"][0]["message"]
    assert "Traceback" not in err


def test_ruff_crash_in_text_format_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "deep.py").write_text(RUFF_CRASHER)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["ruff", "deep.py"], capsys)
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlvet: error: deep.py: "), err


def test_bandit_skips_a_file_too_large_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlvet.sources

    # The limit is lowered so the test stays small; the real one is 20 MiB.
    monkeypatch.setattr(mlvet.sources, "MAX_SOURCE_BYTES", 2000)
    (tmp_path / "huge.py").write_text("import pickle\n" + "x = 1\n" * 1000 + "pickle.loads(b'')\n")
    (tmp_path / "train.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["bandit", "--format", "json", "."], capsys)
    assert code == 1
    data = _json(out)
    assert {f["path"] for f in data["findings"]} == {"train.py"}
    assert [e["path"] for e in data["errors"]] == ["huge.py"]
    assert "too large" in data["errors"][0]["message"]


def test_ruff_fix_next_to_a_crashing_file_still_fixes_and_fails_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "deep.py").write_text(RUFF_CRASHER)
    (tmp_path / "fixme.py").write_text("import os\nimport sys\n\nprint(sys.argv)\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["ruff", "--fix", "--format", "json", "."], capsys)
    assert code == 1, err
    assert "import os" not in (tmp_path / "fixme.py").read_text()  # F401 fixed
    assert [e["path"] for e in _json(out)["errors"]] == ["deep.py"]
    assert "fixme.py" in err  # the notice names the rewritten file
