"""`mlvet init`: fits the repository, merges without losing anything, never clobbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from mlvet.config import load_config
from mlvet.onboarding import Profile, merge_precommit

EXISTING = """\
# Our hooks. Keep this comment.
default_language_version:
  python: python3.11
repos:
    # formatting first
    - repo: https://github.com/psf/black
      rev: 24.8.0
      hooks:
        - id: black  # the formatter
    - repo: https://github.com/pre-commit/pre-commit-hooks
      rev: v4.6.0
      hooks:
        - id: check-yaml

# CI settings
ci:
  autofix_prs: false
"""


def test_merge_keeps_comments_and_other_repos() -> None:
    merged = merge_precommit(EXISTING, Profile(notebooks=2))
    assert merged is not None
    for line in EXISTING.splitlines():
        assert line in merged.splitlines()
    data = yaml.safe_load(merged)
    repos = [r["repo"] for r in data["repos"]]
    assert repos[:2] == [
        "https://github.com/psf/black",
        "https://github.com/pre-commit/pre-commit-hooks",
    ]
    assert repos[2].endswith("/mlvet")
    ids = [h["id"] for h in data["repos"][2]["hooks"]]
    assert ids == ["mlvet", "detect-ml-secrets", "strip-notebook-outputs"]
    assert data["ci"] == {"autofix_prs": False}
    assert merge_precommit(merged, Profile()) is None  # a second run adds nothing


def test_merge_into_file_without_repos_is_refused() -> None:
    with pytest.raises(ValueError):
        merge_precommit("default_stages: [pre-commit]\n", Profile())


def test_init_writes_what_fits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "nb.ipynb").write_text("{}")
    (tmp_path / "model.pt").write_bytes(b"PK")
    (tmp_path / "requirements.txt").write_text("torch\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    code, out, _ = run_cli(["init", str(tmp_path)], capsys)
    assert code == 0
    pc = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    ids = [h["id"] for h in pc["repos"][0]["hooks"]]
    assert {"mlvet", "strip-notebook-outputs", "scan-model-files", "audit-dependencies"} <= set(ids)
    wf = yaml.safe_load((tmp_path / ".github" / "workflows" / "mlvet.yml").read_text())
    steps = wf["jobs"]["mlvet"]["steps"]
    assert any("upload-sarif" in s.get("uses", "") for s in steps)
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith("[project]\nname = 'x'\n") and "[tool.mlvet]" in text
    assert load_config(start=tmp_path).per_file_ignores  # the starter is valid config
    assert "pre-commit install" in out


def test_init_never_overwrites_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / ".github" / "workflows" / "mlvet.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text("# mine\n")
    (tmp_path / ".mlvet.toml").write_text("# mine too\n")
    code, out, _ = run_cli(["init", str(tmp_path)], capsys)
    assert code == 0
    assert wf.read_text() == "# mine\n"
    assert (tmp_path / ".mlvet.toml").read_text() == "# mine too\n"
    assert "--force" in out
    code, _, _ = run_cli(["init", "--force", str(tmp_path)], capsys)
    assert code == 0 and "jobs:" in wf.read_text()


def test_init_print_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["init", "--print", str(tmp_path)], capsys)
    assert code == 0
    assert "repos:" in out and "jobs:" in out and "[tool.mlvet]" in out
    assert list(tmp_path.iterdir()) == []
