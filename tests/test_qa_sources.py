"""Black-box QA of discovery and reading: special files, links, odd bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_notebook, notebook_text, run_cli

BAD = "import pickle\n\n\ndef restore(path):\n    with open(path, 'rb') as fh:\n        return pickle.load(fh)\n"

fifo_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def _mlvet(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # A short timeout: reading a named pipe would block for ever.
    return subprocess.run(
        [sys.executable, "-m", "mlvet", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


@fifo_only
@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["check"], "pipe.py"),
        (["check", "--select", "ML4"], "model.pkl"),
        (["strip", "--check"], "pipe.ipynb"),
        (["ruff"], "pipe.py"),
        (["bandit"], "pipe.py"),
        (["secrets"], "pipe.py"),
        (["audit", "--offline"], "requirements.txt"),
    ],
)
def test_named_pipe_on_the_command_line_is_one_line_not_a_hang(
    tmp_path: Path, command: list[str], name: str
) -> None:
    os.mkfifo(tmp_path / name)
    proc = _mlvet([*command, "--format", "json", name], tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [e["path"] for e in data["errors"]] == [name]
    assert "not a regular file" in data["errors"][0]["message"]
    assert "Traceback" not in proc.stderr


@fifo_only
@pytest.mark.parametrize("git", [False, True])
def test_named_pipe_inside_a_folder_is_skipped(tmp_path: Path, git: bool) -> None:
    if git:
        subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "pipe.ipynb")
    (tmp_path / "train.py").write_text(BAD)
    proc = _mlvet(["check", "--format", "json", "."], tmp_path)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert [f["path"] for f in data["findings"]] == ["train.py"]
    assert data["errors"] == []


def test_symlink_loop_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    os.symlink("b.py", tmp_path / "a.py")
    os.symlink("a.py", tmp_path / "b.py")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["check", "a.py"], capsys)
    assert code == 1
    assert err.strip() == "mlvet: error: a.py: symbolic link loop"


def test_notebook_cell_with_nul_bytes_says_so_without_line_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = make_notebook(["import pickle\npickle.loads(b'')\n", "x = 1\x00\n"])
    (tmp_path / "nb.ipynb").write_text(notebook_text(nb))
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "json", "nb.ipynb"], capsys)
    assert code == 1
    data = json.loads(out)
    assert [f["rule"] for f in data["findings"]] == ["ML101"]  # the good cell is checked
    (error,) = data["errors"]
    assert error["message"].startswith("cell 2: ")
    assert "None" not in error["message"] and "null bytes" in error["message"]


@pytest.mark.parametrize(
    "paths",
    [
        [".", "./src/train.py"],
        ["src", "./src"],
        ["src/", "src/../src/train.py"],
        ["src/train.py", "./src/train.py"],
    ],
)
def test_one_file_named_two_ways_is_checked_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    paths: list[str],
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["check", "--format", "json", *paths], capsys)
    assert code == 1
    assert len(json.loads(out)["findings"]) == 1


def test_very_deep_folder_tree_is_walked_not_a_recursion_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = [tmp_path]
    for _ in range(1200):  # deeper than Python's recursion limit
        folders.append(folders[-1] / "a")
        folders[-1].mkdir()
    (folders[-1] / "x.py").write_text(BAD)
    (tmp_path / "top.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    try:
        code, out, err = run_cli(["check", "--format", "json", "."], capsys)
        assert code == 1, err
        paths = sorted(f["path"] for f in json.loads(out)["findings"])
        assert paths == sorted(["top.py", "a/" * 1200 + "x.py"])
    finally:  # pytest's own clean-up recurses and would fail on this tree
        (folders[-1] / "x.py").unlink()
        for folder in reversed(folders[1:]):
            folder.rmdir()
