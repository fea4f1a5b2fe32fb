"""Black-box QA of `mlvet init` on repositories whose files are broken or in the way:
one clear line, exit 2, and no file written or changed (never half an onboarding)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import run_cli


def _snapshot(root: Path) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def _refused(root: Path, capsys: pytest.CaptureFixture[str], needle: str) -> None:
    before = _snapshot(root)
    code, out, err = run_cli(["init", str(root)], capsys)
    assert code == 2, out + err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("mlvet: error: "), err
    assert needle in lines[0]
    assert "internal error" not in err and "Traceback" not in err
    assert _snapshot(root) == before, "init wrote files although it refused"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "train.py").write_text("import torch\n")
    monkeypatch.chdir(tmp_path)
    return root


@pytest.mark.parametrize(
    "text",
    [
        "repos: [\n",  # not valid YAML
        "repos: 5\n",  # repos is not a list
        "- a\n- b\n",  # not a mapping
        "repos:\n  - repo: local\n    hooks: [\n",  # broken further down
    ],
)
def test_broken_precommit_config_is_refused_and_left_alone(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (repo / ".pre-commit-config.yaml").write_text(text)
    _refused(repo, capsys, ".pre-commit-config.yaml")


def test_binary_precommit_config_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / ".pre-commit-config.yaml").write_bytes(b"repos:\n\xff\xfe\x00junk")
    _refused(repo, capsys, ".pre-commit-config.yaml")


def test_binary_pyproject_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_bytes(b"\xb6\x00\xffnot toml")
    _refused(repo, capsys, "pyproject.toml")


def test_invalid_pyproject_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # No [tool.mlvet] in it, so config loading does not see it; init must not append to it.
    (repo / "pyproject.toml").write_text('[project\nname = "x"\n')
    _refused(repo, capsys, "pyproject.toml")


def test_workflows_path_taken_by_a_file_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".github").mkdir()
    (repo / ".github" / "workflows").write_text("not a folder\n")
    _refused(repo, capsys, "workflows")


def test_precommit_config_that_is_a_folder_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".pre-commit-config.yaml").mkdir()
    _refused(repo, capsys, ".pre-commit-config.yaml")


def test_flow_style_repos_are_refused_not_corrupted(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A one-line `repos: [...]` cannot take a block entry: refuse rather than corrupt it.
    (repo / ".pre-commit-config.yaml").write_text(
        "# ours\nrepos: [{repo: local, hooks: [{id: x, name: x, entry: x, language: system}]}]\n"
    )
    _refused(repo, capsys, "add it by hand")


def test_successful_merge_is_valid_yaml_with_both_repos(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "# keep me\nrepos:\n- repo: local  # mine\n  hooks: []\n\nci:\n  autofix: false\n"
    (repo / ".pre-commit-config.yaml").write_text(text)
    code, _, err = run_cli(["init", str(repo)], capsys)
    assert code == 0, err
    new = (repo / ".pre-commit-config.yaml").read_text()
    assert "# keep me" in new and "# mine" in new
    data = yaml.safe_load(new)
    assert len(data["repos"]) == 2 and data["ci"] == {"autofix": False}


def test_init_in_a_very_deep_tree_is_no_recursion_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = [repo]
    for _ in range(1200):  # deeper than Python's recursion limit
        folders.append(folders[-1] / "a")
        folders[-1].mkdir()
    (folders[-1] / "nb.ipynb").write_text("{}")
    try:
        code, out, err = run_cli(["init", "--print", str(repo)], capsys)
        assert code == 0, err
        assert "strip-notebook-outputs" in out  # the deep notebook was seen
    finally:  # pytest's own clean-up recurses and would fail on this tree
        (folders[-1] / "nb.ipynb").unlink()
        for folder in reversed(folders[1:]):
            folder.rmdir()
