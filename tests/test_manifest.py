"""The pre-commit manifest, the hook table and the README stay in step."""

from __future__ import annotations

import subprocess
import sys

import yaml
from conftest import REPO_ROOT
from mlvet.hookspec import BY_ID, DEFAULT_RUN, HOOKS


def _manifest() -> list[dict[str, object]]:
    data = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(data, list)
    return data


def test_manifest_is_valid_for_pre_commit() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "validate-manifest",
            str(REPO_ROOT / ".pre-commit-hooks.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifest_entries_are_the_hook_table() -> None:
    manifest = {h["id"]: h for h in _manifest()}
    assert list(manifest) == [h.id for h in HOOKS]
    for hook in HOOKS:
        assert manifest[hook.id]["entry"] == "mlvet " + " ".join(hook.argv)
        assert manifest[hook.id]["language"] == "python"


def test_code_hooks_run_on_python_and_notebooks() -> None:
    manifest = {h["id"]: h for h in _manifest()}
    for hid in (
        "mlvet",
        "check-pickle-load",
        "check-remote-code",
        "check-random-seed",
        "check-ml-smells",
        "check-llm-safety",
    ):
        assert manifest[hid]["types_or"] == ["python", "jupyter"]


def test_heavy_tools_live_in_their_own_extras() -> None:
    manifest = {h["id"]: h for h in _manifest()}
    for hid in ("mlvet", "check-pickle-load", "scan-model-files"):
        assert "additional_dependencies" not in manifest[hid]
    assert manifest["audit-dependencies"]["additional_dependencies"] == [".[audit]"]


def test_readme_lists_every_hook_and_rule() -> None:
    from mlvet.registry import all_rules, markdown_table

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for hook in HOOKS:
        assert f"`{hook.id}`" in readme, hook.id
    assert markdown_table() in readme, "README rule table is stale: run scripts/update_readme.py"
    for code in all_rules():
        assert code in readme


def test_default_run_hooks_exist() -> None:
    assert all(h in BY_ID for h in DEFAULT_RUN)


def test_action_default_hooks_match_run_default() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert action["inputs"]["hooks"]["default"] == ",".join(DEFAULT_RUN)


def test_repo_runs_its_own_hooks() -> None:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    local = [r for r in config["repos"] if r["repo"] == "local"]
    assert local, "the repository's own .pre-commit-config.yaml should run mlvet on itself"
    ids = {h["id"] for r in local for h in r["hooks"]}
    assert {"mlvet", "scan-model-files", "detect-ml-secrets"} <= ids
